// store.url with several hosts, the way libpq reads it (pg-hosts.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsPrimaryResolver, parsePgTarget, pgUrl } from '../../../src/text/pg-url.js';

describe('store URL host lists', () => {
  it('reads each host and port in order; several hosts want a read-write server by default', () => {
    const t = parsePgTarget('postgres://app:s3cret@db1:5432,db2:5433,[::1]/cron?sslmode=disable');
    assert.deepEqual(t.hosts, [
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
      { host: '::1', port: 5432 },
    ]);
    assert.equal(t.readWrite, true);
    // What pg is given: the first host, everything else as written.
    assert.equal(t.url, 'postgres://app:s3cret@db1:5432/cron?sslmode=disable');
    assert.equal(needsPrimaryResolver(t), true);
  });

  it('target_session_attrs is understood and not passed on to pg', () => {
    const rw = parsePgTarget('postgresql://db1/cron?target_session_attrs=read-write&application_name=x');
    assert.deepEqual([rw.readWrite, rw.url], [true, 'postgresql://db1:5432/cron?application_name=x']);
    const any = parsePgTarget('postgres://db1,db2/cron?target_session_attrs=any');
    assert.deepEqual([any.readWrite, any.url], [false, 'postgres://db1:5432/cron']);
    assert.throws(() => parsePgTarget('postgres://db1/cron?target_session_attrs=read-only'), /read-write/);
  });

  it('a plain URL is given to pg as written, and needs no resolver', () => {
    for (const url of [
      'postgres://postgres@127.0.0.1:5432/postgres',
      'postgres:///cron?host=/var/run/postgresql',
      'postgres://u:p%40ss@db.example.com/cron',
    ]) {
      assert.equal(pgUrl(url), url);
    }
    assert.equal(needsPrimaryResolver(parsePgTarget('postgres://db1:5432/cron')), false);
    assert.equal(pgUrl('postgres://a,b/db'), 'postgres://a:5432/db');
  });

  it('a bad host list says what is wrong, without the password', () => {
    assert.throws(
      () => parsePgTarget('postgres://u:hunter2@db1:99999,db2/cron'),
      (e: Error) => /bad port in 'db1:99999'/.test(e.message) && !e.message.includes('hunter2'),
    );
  });
});
