// Which database server the store is on: its cluster's system identifier and
// the primary's WAL timeline, recorded in cronkeeper_database_timelines
// (sql/010) by the node that first sees them, on its leader-lock connection.
// A new row after the first is a failover: a standby promoted (new timeline)
// or another cluster behind the same address (new identifier).
import type pg from 'pg';
import type { Queryable } from './db.js';

export interface DatabaseTimeline {
  /** '' when the role may not read pg_control_system(). */
  systemIdentifier: string;
  timeline: number;
}

/** This connection's server, or undefined on a standby (no current WAL) or an error. */
export async function readTimeline(client: pg.Client): Promise<DatabaseTimeline | undefined> {
  try {
    const res = await client.query<{ tl: string }>(
      `SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tl`,
    );
    const tl = res.rows[0]?.tl;
    if (tl === undefined) return undefined;
    const sys = await client
      .query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')
      .then((r) => r.rows[0]?.id ?? '')
      .catch(() => '');
    return { systemIdentifier: sys, timeline: parseInt(tl, 16) };
  } catch {
    return undefined;
  }
}

/**
 * Records `now` if it is new; returns the server recorded before it when it
 * is (a failover this node is the first to see), else undefined.
 */
export async function recordTimeline(
  client: pg.Client,
  now: DatabaseTimeline,
  nodeId: string,
): Promise<{ before: DatabaseTimeline | null } | undefined> {
  const res = await client.query<{ inserted: boolean; sys: string | null; tl: number | null }>(
    `WITH before AS (
       SELECT system_identifier, timeline FROM cronkeeper_database_timelines
       ORDER BY first_seen_at DESC, timeline DESC LIMIT 1),
     ins AS (
       INSERT INTO cronkeeper_database_timelines (system_identifier, timeline, seen_by)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM ins) AS inserted, b.system_identifier AS sys, b.timeline AS tl
     FROM (SELECT 1) one LEFT JOIN before b ON true`,
    [now.systemIdentifier, now.timeline, nodeId],
  );
  const r = res.rows[0];
  if (!r?.inserted) return undefined;
  return { before: r.tl === null ? null : { systemIdentifier: r.sys ?? '', timeline: r.tl } };
}

export interface TimelineHistory {
  current: DatabaseTimeline & { since: Date; seenBy: string };
  /** Failovers seen: rows after the first. */
  failovers: number;
}

/** The newest server recorded and how many failovers were seen; null before any. */
export async function readTimelineHistory(db: Queryable): Promise<TimelineHistory | null> {
  const rows = await db.query<{ sys: string; tl: number; since: Date; by: string; n: number }>(
    `SELECT system_identifier AS sys, timeline AS tl, first_seen_at AS since, seen_by AS by,
            (SELECT count(*)::int FROM cronkeeper_database_timelines) AS n
     FROM cronkeeper_database_timelines ORDER BY first_seen_at DESC, timeline DESC LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    current: { systemIdentifier: r.sys, timeline: r.tl, since: new Date(r.since), seenBy: r.by },
    failovers: r.n - 1,
  };
}
