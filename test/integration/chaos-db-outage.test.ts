// The short version of `npm run chaos`'s database outage: Postgres stopped for
// 5 s (pg_ctl stop -m fast) under one daemon and under an HA pair. Nobody exits;
// claiming stops and /readyz, the metrics and the log say so; after the outage
// a leader restores and catches up by policy: every slot once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { runOutage } from '../../chaos/db-outage.js';
import { createDatabase } from '../../chaos/chaos-store.js';
import { type PgCluster, startCluster } from '../../scripts/pg-cluster.js';
import { tempDir } from '../support/daemon.js';

let cluster: PgCluster | undefined;
const dirs: string[] = [];
after(() => {
  cluster?.destroy();
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

for (const pair of [false, true]) {
  test(`database down 5 s under ${pair ? 'an HA pair' : 'one daemon'}: no exit, no claim, caught up after`, async () => {
    // Its own cluster: stopping the test suite's Postgres would fail the other files.
    cluster ??= await startCluster();
    const dir = tempDir('chaos-outage');
    dirs.push(dir);
    const url = await createDatabase(cluster.url, `outage_${pair ? 'pair' : 'one'}`);
    const r = await runOutage({ cluster, url, dir, outageMs: 5_000, jobs: 50, perSecond: 3, pair });
    const problems = [...r.examples, ...r.crashDetails].join('\n');
    assert.equal(r.crashes, 0, problems);
    assert.equal(r.duplicates, 0, problems);
    assert.equal(r.misses, 0, problems);
    assert.equal(r.runsStartedDuringOutage, 0, 'nothing starts without its claim');
    assert.ok(r.readyz503, '/readyz answered 503 during the outage');
    assert.equal(r.readyzOnLoss, 503, 'not ready from the moment leadership is lost');
    assert.equal(r.readyzStandingBy, 503, 'standing by with the database down is not ready');
    assert.ok(r.databaseUp0, 'cronkeeper_database_up was 0 during the outage');
    assert.ok(
      r.outageLogLines.some((m) => /database unreachable/.test(m)),
      `the log says the database is unreachable: ${r.outageLogLines.join(' | ')}`,
    );
    assert.ok(r.caughtUp >= 3, `the outage's slots were caught up: ${r.caughtUp}`);
    assert.ok(r.readyAfter, 'every node ready again');
  });
}
