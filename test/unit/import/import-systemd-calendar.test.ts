// `cronkeeper import systemd`: OnCalendar= (src/import/systemd-calendar.ts)
// read as systemd 252 reads it and written as the cron pattern of the same
// instants, checked against `systemd-analyze calendar` itself where it is
// installed, DST days included: where cronkeeper and systemd differ on them,
// the difference is the one the report states (src/import/dst-differences.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dstDifferences } from '../../../src/import/dst-differences.js';
import { calendarPattern, parseCalendarEvent } from '../../../src/import/systemd-calendar.js';
import { cronSlots } from '../../../src/schedule/slot-calculator.js';
import { SYSTEMD_ANALYZE, systemdInstants } from '../../support/systemd-analyze.js';

function pattern(event: string): { pattern: string; zone?: string } | string {
  const parsed = parseCalendarEvent(event);
  if (typeof parsed === 'string') return parsed;
  const converted = calendarPattern(parsed);
  if ('unsupported' in converted) return converted.unsupported;
  return parsed.zone ? { pattern: converted.pattern, zone: parsed.zone } : { pattern: converted.pattern };
}

/** The first `n` slots of a pattern strictly after `fromIso`, as UTC ISO strings. */
function cronkeeperInstants(cron: string, zone: string, fromIso: string, n: number): string[] {
  const calc = cronSlots(cron, zone);
  const out: string[] = [];
  for (let t = Date.parse(fromIso); out.length < n;) {
    const next = calc.next(t);
    if (next === undefined) break;
    out.push(new Date(next).toISOString());
    t = next;
  }
  return out;
}

describe('import systemd: OnCalendar= as a cron pattern', () => {
  it('writes each event as the pattern of the same instants', () => {
    const table: Array<[string, string, string?]> = [
      ['minutely', '* * * * *'],
      ['hourly', '0 * * * *'],
      ['daily', '0 0 * * *'],
      ['weekly', '0 0 * * 1'],
      ['monthly', '0 0 1 * *'],
      ['yearly', '0 0 1 1 *'],
      ['quarterly', '0 0 1 */3 *'],
      ['semiannually', '0 0 1 1,7 *'],
      ['DAILY', '0 0 * * *'],
      ['*-*-* 03:00:00', '0 3 * * *'],
      ['*-*-* 6:00', '0 6 * * *'],
      ['*-*-* 6,18:00', '0 6,18 * * *'],
      ['Mon..Fri *-*-* 09:00', '0 9 * * 1-5'],
      ['Mon-Wed', '0 0 * * 1-3'],
      ['Sat,Sun 10:00', '0 10 * * 0,6'],
      ['Wed,Fri..Sun 7:05', '5 7 * * 0,3,5,6'],
      ['Monday *-12-* 17:00', '0 17 * 12 1'],
      ['Mon,', '0 0 * * 1'],
      ['*:0/15', '*/15 * * * *'],
      ['*:00,15,30,45', '*/15 * * * *'],
      ['*-*-* 9..17/2:00', '0 9-17/2 * * *'],
      ['*-*-* 1,2,3,5,6,7,9:00', '0 1-3,5-7,9 * * *'],
      ['*-*-01/2 04:00', '0 4 */2 * *'],
      ['*-1..3-* 00:00', '0 0 * 1-3 *'],
      ['*-1..12/3-1', '0 0 1 */3 *'],
      ['*-02-29 12:00', '0 12 29 2 *'],
      // Seconds other than 0: six fields, seconds first.
      ['*:*:0/20', '*/20 * * * * *'],
      ['12:0/20:30', '30 */20 12 * * *'],
      ['*-*-* *:*:*', '* * * * * *'],
      // A weekday and a date both restricted: systemd wants both, written with croner's + (AND).
      ['Mon *-*-1..7 03:00', '0 3 1-7 * +1'],
      ['Mon..Fri *-*-1,15 12:00', '0 12 1,15 * +1-5'],
      ['mon,fri *-1/2-1,3 *:30:45', '45 30 * 1,3 */2 +1,5'],
      // ~01: the last day of the month.
      ['*-*~01', '0 0 L * *'],
      ['Fri *-*~1 18:00', '0 18 L * +5'],
      // A zone after the event is the job's zone.
      ['daily Europe/Berlin', '0 0 * * *', 'Europe/Berlin'],
      ['Sat,Sun 10:00 Asia/Tokyo', '0 10 * * 0,6', 'Asia/Tokyo'],
      ['*-*-* 6:00 utc', '0 6 * * *', 'UTC'],
    ];
    for (const [event, cron, zone] of table) {
      assert.deepEqual(pattern(event), zone ? { pattern: cron, zone } : { pattern: cron }, event);
    }
  });

  it('refuses what no pattern means, saying why', () => {
    assert.equal(
      pattern('*-*~03'),
      'days counted from the end of the month other than the last (~01): a cronkeeper pattern names only the last day (L)',
    );
    assert.equal(
      pattern('*-*~1..7'),
      'days counted from the end of the month other than the last (~01): a cronkeeper pattern names only the last day (L)',
    );
    assert.equal(pattern('2027-*-* 00:00'), 'it names years (2027...): a cron pattern repeats every year');
    assert.equal(pattern('12-*-* 00:00'), 'it names years (2012...): a cron pattern repeats every year');
    assert.equal(pattern('*:*:0.5'), 'fractions of a second: cronkeeper schedules whole seconds');
    assert.equal(pattern('@1700000000'), 'one instant (@SECONDS): cronkeeper has no one-off jobs');
  });

  it('is an error where systemd refuses the event', () => {
    for (const event of [
      'Mon..Wed..Fri',
      'Fri..Mon',
      '*:*/5',
      '*:50/15',
      '*:0/60',
      '*-*~29',
      '*-*~01/5',
      '*-*-* 24:00',
      '*-13-*',
      '*:*:60',
      '1969-*-*',
      'Mon..',
      'sometimes',
      '',
    ]) {
      assert.equal(
        pattern(event),
        `'${event}' is not a calendar event systemd accepts (see systemd.time(7), or try systemd-analyze calendar)`,
        event,
      );
    }
  });
});

describe(
  'import systemd: the same instants as systemd-analyze calendar',
  { skip: !SYSTEMD_ANALYZE && 'systemd-analyze is not installed' },
  () => {
    // [event, host zone, from, count]: the windows include DST changes where the pattern keeps systemd's meaning.
    const same: Array<[string, string, string, number]> = [
      ['minutely', 'UTC', '2027-01-31T23:58:30Z', 5],
      ['hourly', 'Europe/Berlin', '2027-03-27T20:00:00Z', 30],
      ['daily', 'Europe/Berlin', '2027-03-20T00:00:00Z', 20],
      ['weekly', 'America/New_York', '2027-02-27T00:00:00Z', 12],
      ['quarterly', 'UTC', '2026-12-01T00:00:00Z', 9],
      ['semiannually', 'Asia/Tokyo', '2026-12-01T00:00:00Z', 5],
      ['*-*-* 03:00:00', 'Europe/Berlin', '2027-03-20T00:00:00Z', 20],
      ['*-*-* 6,18:00', 'America/New_York', '2027-03-10T00:00:00Z', 12],
      ['Mon..Fri *-*-* 09:00', 'America/New_York', '2027-03-01T00:00:00Z', 30],
      ['Sun *-*-* 03:10:00', 'Europe/Berlin', '2027-03-01T00:00:00Z', 10],
      ['*:0/15', 'Europe/Berlin', '2027-03-27T22:00:00Z', 60],
      ['*:0/15', 'UTC', '2027-10-30T22:00:00Z', 60],
      ['*-*-* 9..17/2:00', 'UTC', '2027-01-01T00:00:00Z', 20],
      ['12:0/20:30', 'UTC', '2027-01-01T00:00:00Z', 9],
      ['*:*:0/20', 'UTC', '2027-01-01T00:00:00Z', 10],
      ['Mon *-*-1..7 03:00', 'Europe/Berlin', '2026-12-01T00:00:00Z', 14],
      ['Mon..Fri *-*-1,15 12:00', 'UTC', '2026-12-01T00:00:00Z', 15],
      ['mon,fri *-1/2-1,3 *:30:45', 'UTC', '2026-12-01T00:00:00Z', 30],
      ['*-*~01 18:00 UTC', 'Europe/Berlin', '2026-12-01T00:00:00Z', 15],
      ['*-02-29 12:00', 'UTC', '2026-12-01T00:00:00Z', 3],
      ['Sat,Sun 10:00 Asia/Tokyo', 'Europe/Berlin', '2026-12-01T00:00:00Z', 10],
      ['Mon..Fri *-*-* 02:30:00 Europe/Berlin', 'UTC', '2027-03-20T00:00:00Z', 25],
    ];
    for (const [event, host, from, n] of same) {
      it(`${event} (host in ${host})`, () => {
        const p = pattern(event);
        assert.ok(typeof p !== 'string', `${event}: ${String(p)}`);
        const zone = p.zone ?? host;
        assert.deepEqual(cronkeeperInstants(p.pattern, zone, from, n), systemdInstants(event, from, n, host));
      });
    }

    it('on DST days, differs exactly as the report says', () => {
      // A fixed time in the skipped hour: systemd skips the day, cronkeeper runs when the gap ends.
      const from = '2027-03-26T00:00:00Z';
      const systemd = systemdInstants('*-*-* 02:30:00', from, 4, 'Europe/Berlin');
      const ours = cronkeeperInstants('30 2 * * *', 'Europe/Berlin', from, 4);
      assert.deepEqual(systemd, [
        '2027-03-26T01:30:00.000Z',
        '2027-03-27T01:30:00.000Z',
        '2027-03-29T00:30:00.000Z',
        '2027-03-30T00:30:00.000Z',
      ]);
      assert.deepEqual(ours, [
        '2027-03-26T01:30:00.000Z',
        '2027-03-27T01:30:00.000Z',
        '2027-03-28T01:00:00.000Z',
        '2027-03-29T00:30:00.000Z',
      ]);
      assert.deepEqual(dstDifferences('30 2 * * *', 'Europe/Berlin', 'systemd'), [
        'on the days the clock skips ahead in Europe/Berlin (e.g. 2026-03-29, 02:00 to 03:00), systemd does not run 02:30, which does not exist; cronkeeper runs it once, at 03:00',
      ]);
      // An hourly time in the repeated hour: systemd runs it once, cronkeeper at both times.
      const back = '2027-10-30T23:00:00Z';
      assert.deepEqual(systemdInstants('*:30', back, 4, 'Europe/Berlin'), [
        '2027-10-30T23:30:00.000Z',
        '2027-10-31T00:30:00.000Z',
        '2027-10-31T02:30:00.000Z',
        '2027-10-31T03:30:00.000Z',
      ]);
      assert.deepEqual(cronkeeperInstants('30 * * * *', 'Europe/Berlin', back, 4), [
        '2027-10-30T23:30:00.000Z',
        '2027-10-31T00:30:00.000Z',
        '2027-10-31T01:30:00.000Z',
        '2027-10-31T02:30:00.000Z',
      ]);
      assert.deepEqual(dstDifferences('30 * * * *', 'Europe/Berlin', 'systemd'), [
        'on the days the clock goes back in Europe/Berlin (e.g. 2026-10-25, 02:00 to 03:00 twice), systemd runs 02:30 once; cronkeeper runs it at both times',
      ]);
      // Neither: 02:30 on the repeated day runs once in both, and a zone without DST has no such days.
      assert.deepEqual(
        systemdInstants('*-*-* 02:30:00', '2027-10-30T12:00:00Z', 2, 'Europe/Berlin'),
        cronkeeperInstants('30 2 * * *', 'Europe/Berlin', '2027-10-30T12:00:00Z', 2),
      );
      assert.deepEqual(dstDifferences('30 2 * * *', 'Asia/Tokyo', 'systemd'), []);
      assert.deepEqual(dstDifferences('10 3 * * 0', 'Europe/Berlin', 'systemd'), []);
    });
  },
);
