import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigProblem } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate-config.js';

describe('validateConfig', () => {
  it('carries every problem of a file whose reading found hundreds of thousands', async () => {
    // A whole-file reading of a broken 100,000-job file names every line: spreading them into
    // one call's arguments overflowed the stack ("Maximum call stack size exceeded").
    const problems: ConfigProblem[] = Array.from({ length: 300_000 }, (_, i) => ({
      file: '/etc/cronkeeper/cronkeeper.yaml',
      line: i + 1,
      column: 1,
      path: '',
      message: 'All mapping items must start at the same column',
    }));
    const result = await validateConfig(
      '/etc/cronkeeper/cronkeeper.yaml',
      async () => ({ plain: undefined, problems }),
      Date.now(),
      {},
    );
    assert.equal(result.config, undefined);
    assert.equal(result.problems.length, 300_000);
  });
});
