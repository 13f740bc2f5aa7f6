// SIGHUP reloads the config: a bad new config (a bad value, a YAML syntax
// error, an empty file) is rejected as a whole and the running one keeps going; a good one adds, changes and removes jobs without a restart and
// without running any slot twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { readOutput, recordingCommand, startDaemon, tempDir, waitFor } from '../support/daemon.js';

const dir = tempDir('reload');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function configText(jobs: Record<string, string>): string {
  return [
    `store: { path: "${path.join(dir, 'store')}" }`,
    'jobs:',
    ...Object.entries(jobs).map(
      ([name, file]) =>
        `  ${name}:\n    schedule: "* * * * * *"\n    command: ${JSON.stringify(recordingCommand(path.join(dir, file)))}`,
    ),
    '',
  ].join('\n');
}

test('SIGHUP: a bad config is rejected, a good one applied; no slot twice', async () => {
  const config = path.join(dir, 'cronkeeper.yaml');
  const aOut = path.join(dir, 'a.txt');
  const bOut = path.join(dir, 'b.txt');
  const cOut = path.join(dir, 'c.txt');
  fs.writeFileSync(config, configText({ a: 'a.txt' }));
  const daemon = startDaemon(config);
  try {
    await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(aOut).length >= 2, 10_000, 'job a running');

    // Rejected as a whole: the valid new job c in the same file is not applied either.
    fs.writeFileSync(
      config,
      configText({ a: 'a.txt', c: 'c.txt' }) + '  b:\n    schedule: "61 * * * *"\n    command: ["true"]\n',
    );
    const rejections: Array<[what: string, problem: RegExp]> = [
      ['a bad pattern', /cronkeeper\.yaml:\d+:\d+: jobs\.b\.schedule: /],
      ['a YAML syntax error', /cronkeeper\.yaml:4:15: the string opened by this " is never closed$/],
      ['an empty file (a truncated write)', /cronkeeper\.yaml:1:1: the config file is empty; /],
    ];
    const nextText = [configText({ a: 'a.txt' }).replace('"* * * * * *"', '"* * * * * *'), '', undefined];
    for (const [i, [what, problem]] of rejections.entries()) {
      daemon.proc.kill('SIGHUP');
      const rejected = await daemon.waitForLog(
        (l) =>
          l.msg === 'config reload rejected: keeping the running config' &&
          problem.test(String((l.problems as string[])[0])),
      );
      assert.equal((rejected.problems as string[]).length, 1, `${what}: one problem`);
      const afterReject = readOutput(aOut).length;
      await waitFor(
        () => readOutput(aOut).length >= afterReject + 2,
        10_000,
        `job a still running after the rejected reload (${what})`,
      );
      const text = nextText[i];
      if (text !== undefined) fs.writeFileSync(config, text);
    }
    assert.deepEqual(readOutput(cOut), [], 'job c of a rejected config never ran');

    fs.writeFileSync(config, configText({ b: 'b.txt' }));
    daemon.proc.kill('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'config reloaded');
    await waitFor(() => readOutput(bOut).length >= 2, 10_000, 'job b running after the reload');
    const aFinal = readOutput(aOut).length;
    await waitFor(() => readOutput(bOut).length >= 4, 10_000, 'job b keeps running');
    assert.ok(readOutput(aOut).length <= aFinal + 1, 'job a stopped after it was removed');
  } finally {
    daemon.proc.kill('SIGTERM');
    assert.equal(await daemon.exited, 0);
  }
  for (const file of [aOut, bOut]) {
    const times = readOutput(file).map((o) => o.scheduledAt);
    assert.equal(new Set(times).size, times.length, `no slot twice in ${path.basename(file)}`);
  }
  // Job b was first seen at the reload: it has no catch-up runs.
  assert.ok(readOutput(bOut).every((o) => !o.catchup));
});
