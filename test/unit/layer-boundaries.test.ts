// The layers are kept by the linter (eslint.config.js): a pure module that
// imports I/O or a module above it, or a store module that imports the
// pipeline, fails `npm run lint`. Checked here on probe texts at the paths
// they would have, so that the rule is shown to bite, not only to pass.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restrictedImports(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries', () => {
  it('a pure module may not do I/O', async () => {
    for (const dir of ['schedule', 'catchup', 'snapshot', 'text']) {
      const found = await restrictedImports(
        `src/${dir}/boundary-probe.ts`,
        "import fs from 'node:fs';\nimport pg from 'pg';\nexport const x = [fs, pg];\n",
      );
      assert.equal(found.length, 2, `${dir}: ${found.join('; ')}`);
      assert.match(found[0]!, /pure module does no I\/O/);
    }
  });

  it('a pure module may not import the store, the pipeline or the runtime', async () => {
    const found = await restrictedImports(
      'src/catchup/boundary-probe.ts',
      [
        "import { claimSlots } from '../store/ledger.js';",
        "import { ClaimQueue } from '../dispatch/claim-queue.js';",
        "import { systemClock } from '../runtime/clock.js';",
        "import type { JobConfig } from '../config/types.js';",
        "import { createSlotCalculator } from '../schedule/slot-calculator.js';",
        'export const x = [claimSlots, ClaimQueue, systemClock, createSlotCalculator] as unknown as JobConfig[];',
        '',
      ].join('\n'),
    );
    assert.equal(found.length, 3, found.join('; '));
  });

  it('the store may not import what sits above it', async () => {
    const found = await restrictedImports(
      'src/store/boundary-probe.ts',
      "import { RunDispatcher } from '../dispatch/run-dispatcher.js';\nimport type { SlotClaim } from '../schedule/slot.js';\nexport const x: SlotClaim[] = [RunDispatcher as never];\n",
    );
    assert.equal(found.length, 1, found.join('; '));
    assert.match(found[0]!, /store is below/);
  });

  it('the config may not import the store or anything above it', async () => {
    const found = await restrictedImports(
      'src/config/boundary-probe.ts',
      "import { redactUrl } from '../text/redact-url.js';\nimport { openPostgres } from '../store/open-postgres.js';\nexport const x = [redactUrl, openPostgres];\n",
    );
    assert.equal(found.length, 1, found.join('; '));
    assert.match(found[0]!, /config imports only pure modules/);
  });

  it('the tree as it is keeps them', async () => {
    const results = await eslint.lintFiles([
      'src/schedule',
      'src/catchup',
      'src/snapshot',
      'src/text',
      'src/config',
      'src/store',
    ]);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    assert.deepEqual(broken, []);
  });
});
