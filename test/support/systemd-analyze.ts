// systemd's own reading of a calendar event, for tests that check an imported
// pattern against it: `systemd-analyze calendar --base-time=... --iterations=N`.
// Absent on a machine without systemd: SYSTEMD_ANALYZE is then undefined and
// the tests that need it skip.
import { spawnSync } from 'node:child_process';

function find(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  const found = r.stdout.trim();
  if (r.status !== 0 || found === '') return undefined;
  // --base-time came with systemd 250: an older one cannot answer from a fixed instant.
  const help = spawnSync(found, ['--help'], { encoding: 'utf8' });
  return help.stdout.includes('--base-time') ? found : undefined;
}

export const SYSTEMD_ANALYZE = find();

/**
 * The first `n` instants after `baseIso` (exclusive) at which systemd elapses
 * `event`, as UTC ISO strings with milliseconds, on a host whose local zone
 * is `hostZone`. Empty when the event never elapses.
 */
export function systemdInstants(event: string, baseIso: string, n: number, hostZone: string): string[] {
  if (!SYSTEMD_ANALYZE) throw new Error('systemd-analyze is not installed');
  const base = new Date(baseIso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const r = spawnSync(SYSTEMD_ANALYZE, ['calendar', `--base-time=${base}`, `--iterations=${n}`, event], {
    encoding: 'utf8',
    env: { ...process.env, TZ: hostZone, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`systemd-analyze calendar '${event}': ${r.stderr}`);
  // In a zone other than UTC, each instant is followed by a "(in UTC): ..." line.
  const lines = r.stdout.split('\n');
  const inUtc = lines.filter((l) => l.includes('(in UTC):'));
  const chosen = inUtc.length > 0 ? inUtc : lines.filter((l) => /(?:Next elapse|Iter\. #\d+):/.test(l));
  return chosen.flatMap((l) => {
    const m = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC$/.exec(l.trim());
    return m ? [`${m[1]}T${m[2]}.000Z`] : [];
  });
}
