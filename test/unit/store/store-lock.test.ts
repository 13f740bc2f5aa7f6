import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreLockedError, acquireStoreLock } from '../../../src/store/store-lock.js';

let root: string;
let n = 0;
const freshDir = (): string => path.join(root, `store-${n++}`);
const lockFile = (dir: string): string => path.join(dir, 'cronkeeper.lock');
const readLock = (dir: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')) as Record<string, unknown>;

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  assert.ok(pid !== undefined);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  return pid;
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-lock-'));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('acquireStoreLock', () => {
  it('creates the directory and a lock file naming this process', () => {
    const dir = path.join(freshDir(), 'nested', 'deeper');
    const lock = acquireStoreLock(dir);
    try {
      assert.equal(lock.file, lockFile(dir));
      const content = readLock(dir);
      assert.equal(content.pid, process.pid);
      assert.equal(content.host, os.hostname());
    } finally {
      lock.release();
    }
    assert.equal(fs.existsSync(lockFile(dir)), false, 'release removes the lock file');
  });

  it('a second acquire on the same dir throws StoreLockedError naming the live holder', () => {
    const dir = freshDir();
    const lock = acquireStoreLock(dir);
    try {
      assert.throws(
        () => acquireStoreLock(dir),
        (err: unknown) => {
          assert.ok(err instanceof StoreLockedError);
          assert.equal(err.holder.pid, process.pid);
          assert.equal(err.lockFile, lockFile(dir));
          assert.match(err.message, new RegExp(`pid ${process.pid}\\b`));
          return true;
        },
      );
      // The failed attempt left the holder's lock alone.
      assert.equal(readLock(dir).pid, process.pid);
    } finally {
      lock.release();
    }
  });

  it('release then re-acquire works', () => {
    const dir = freshDir();
    const first = acquireStoreLock(dir);
    first.release();
    const second = acquireStoreLock(dir);
    assert.equal(readLock(dir).pid, process.pid);
    second.release();
    assert.equal(fs.existsSync(lockFile(dir)), false);
  });

  it('release is idempotent and does not remove a lock taken after it', () => {
    const dir = freshDir();
    const first = acquireStoreLock(dir);
    first.release();
    const second = acquireStoreLock(dir);
    first.release();
    assert.ok(fs.existsSync(lockFile(dir)), 'a second release of the old handle leaves the new lock');
    second.release();
  });

  it('takes over a stale lock naming a dead pid on this host', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const pid = await deadPid();
    fs.writeFileSync(
      lockFile(dir),
      JSON.stringify({ pid, host: os.hostname(), startTicks: '', since: new Date(0).toISOString() }) + '\n',
    );
    const lock = acquireStoreLock(dir);
    try {
      assert.equal(readLock(dir).pid, process.pid);
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.includes('stale')),
        [],
        'no aside file left',
      );
    } finally {
      lock.release();
    }
  });

  it('takes over a lock naming a live pid whose start time differs (a recycled pid)', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      lockFile(dir),
      JSON.stringify({ pid: process.pid, host: os.hostname(), startTicks: '1', since: '' }) + '\n',
    );
    const lock = acquireStoreLock(dir);
    try {
      assert.equal(readLock(dir).pid, process.pid);
      assert.notEqual(readLock(dir).startTicks, '1');
    } finally {
      lock.release();
    }
  });

  const garbage: Array<[string, string]> = [
    ['empty', ''],
    ['not JSON', 'this is not a lock\n'],
    ['half-written JSON', '{"pid": 12'],
    ['JSON without a pid', '{"host":"x"}'],
    ['JSON with a string pid', '{"pid":"123"}'],
  ];
  for (const [what, content] of garbage) {
    it(`takes over a garbage lock file (${what})`, () => {
      const dir = freshDir();
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(lockFile(dir), content);
      const lock = acquireStoreLock(dir);
      try {
        assert.equal(readLock(dir).pid, process.pid);
      } finally {
        lock.release();
      }
    });
  }

  it('respects a lock written on another host (it cannot check that pid)', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const pid = await deadPid();
    const content = JSON.stringify({ pid, host: `not-${os.hostname()}`, startTicks: '', since: '' }) + '\n';
    fs.writeFileSync(lockFile(dir), content);
    assert.throws(() => acquireStoreLock(dir), StoreLockedError);
    assert.equal(fs.readFileSync(lockFile(dir), 'utf8'), content);
  });

  it('release does not delete a lock that another holder rewrote', () => {
    const dir = freshDir();
    const lock = acquireStoreLock(dir);
    const other = JSON.stringify({ pid: 1, host: 'elsewhere', startTicks: '', since: '' }) + '\n';
    fs.writeFileSync(lockFile(dir), other);
    lock.release();
    assert.equal(fs.readFileSync(lockFile(dir), 'utf8'), other);
  });

  it('release does not fail when the lock file is already gone', () => {
    const dir = freshDir();
    const lock = acquireStoreLock(dir);
    fs.rmSync(lockFile(dir));
    assert.doesNotThrow(() => lock.release());
  });
});
