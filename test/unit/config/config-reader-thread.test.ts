// Reloads read the config on a worker thread: the same Config, the same problems.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigOffThread } from '../../../src/config/config-reader-thread.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError, formatProblem } from '../../../src/config/types.js';

const EXAMPLE = fileURLToPath(new URL('../../../config/cronkeeper.yaml', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-reader-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('config reader thread', () => {
  it('reads the same Config as loadConfig', async () => {
    const here = await loadConfig(EXAMPLE, { insecure: true });
    const there = await loadConfigOffThread(EXAMPLE, { insecure: true });
    assert.ok(there.jobs.length > 0);
    assert.deepEqual(there, here);
  });

  it('hands over many jobs in slices, all of them, in order, the same as loadConfig', async () => {
    const file = path.join(dir, 'many.yaml');
    const lines = ['jobs:'];
    for (let i = 0; i < 1_203; i++) {
      const zone = ['UTC', 'Europe/Berlin', 'Asia/Kolkata'][i % 3];
      const action =
        i % 2 === 0 ? `http: { url: "http://127.0.0.1:9/hook" }` : `command: [echo, "${i}"], cwd: /tmp`;
      lines.push(`  job-${i}: { schedule: "${i % 60} * * * *", timezone: ${zone}, ${action} }`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const here = await loadConfig(file);
    const there = await loadConfigOffThread(file);
    assert.equal(there.jobs.length, 1_203);
    assert.deepEqual(
      there.jobs.map((j) => j.name),
      here.jobs.map((j) => j.name),
    );
    assert.deepEqual(there, here);
  });

  it('rejects a bad config with the same located problems', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      'jobs:\n  a: { schedule: "61 * * * *", command: [echo] }\n  b: { every: 5x, command: [echo] }\n',
    );
    const problems = async (read: Promise<unknown>) => {
      const err = await read.then(
        () => assert.fail('accepted a bad config'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, String(err));
      return err.problems.map(formatProblem);
    };
    const here = await problems(loadConfig(file));
    const there = await problems(loadConfigOffThread(file));
    assert.equal(there.length, 2);
    assert.deepEqual(there, here);
    assert.match(there[0]!, /bad\.yaml:2:\d+: jobs\.a\.schedule/);
  });

  it('rejects a missing file with its error', async () => {
    await assert.rejects(loadConfigOffThread(path.join(dir, 'missing.yaml')), /missing\.yaml/);
  });
});
