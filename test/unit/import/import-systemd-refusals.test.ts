// `cronkeeper import systemd` (src/import/systemd*.ts): what systemd itself
// refuses is an error at its line; what cronkeeper cannot run as systemd did
// is refused, saying why (and nothing else about a job that does not exist);
// resets and overrides of settings are noted where they happen.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceNote } from '../../../src/import/import-notes.js';
import { importSystemd } from '../../../src/import/systemd.js';

/** Inline units: `files` maps a unit name to its text. */
function importUnits(files: Record<string, string>, localZone = 'UTC') {
  const units = Object.entries(files).map(([unit, text]) => ({ path: unit, unit, text }));
  return importSystemd(
    units.filter((u) => u.unit.endsWith('.timer')),
    units.filter((u) => u.unit.endsWith('.service')),
    { localZone },
  );
}

function noteLines(report: readonly SourceNote[]): string[] {
  return report.map(
    (n) => `${n.file}:${n.line} ${n.outcome}${n.job ? ` ${n.job}` : ''}${n.message ? `: ${n.message}` : ''}`,
  );
}

describe('import systemd: refusals and errors', () => {
  const service = '[Service]\nType=oneshot\nExecStart=/usr/bin/true\n';
  const messages = (files: Record<string, string>) =>
    noteLines(importUnits(files).report.filter((n) => n.message !== undefined));

  it('a calendar event systemd refuses, a missing service, a timer without triggers: errors with their lines', () => {
    const bad = importUnits({ 'a.timer': '[Timer]\nOnCalendar=Mon..Fri..Sun\n', 'a.service': service });
    assert.equal(bad.errors, 1);
    assert.deepEqual(messages({ 'a.timer': '[Timer]\nOnCalendar=Mon..Fri..Sun\n', 'a.service': service }), [
      "a.timer:2 error: 'Mon..Fri..Sun' is not a calendar event systemd accepts (see systemd.time(7), or try systemd-analyze calendar)",
    ]);
    assert.deepEqual(messages({ 'b.timer': '[Timer]\nOnCalendar=daily\n' }), [
      'b.timer:2 error: no file for b.service, the service the timer starts: give it too (it is looked for beside the timer)',
    ]);
    assert.deepEqual(messages({ 'c.timer': '[Timer]\nUnit=other.service\nOnCalendar=daily\n' }), [
      'c.timer:2 error: no file for other.service: give it too (it is looked for beside the timer)',
    ]);
    assert.deepEqual(messages({ 'd.timer': '[Unit]\nDescription=nothing\n' }), [
      'd.timer:1 error: no OnCalendar= nor any other trigger: systemd refuses the timer',
    ]);
    assert.deepEqual(
      messages({
        'e.timer': '[Timer]\nOnCalendar=daily\n',
        'e.service': '[Service]\nExecStart=/a\nExecStart=/b\n',
      }),
      ['e.service:3 error: more than one ExecStart= needs Type=oneshot (systemd refuses the service)'],
    );
  });

  it('an empty OnCalendar= resets the earlier triggers; a later setting overrides an earlier one', () => {
    const result = importUnits({
      'f.timer':
        '[Timer]\nOnCalendar=hourly\nOnBootSec=5min\nOnCalendar=\nOnCalendar=daily\nPersistent=true\nPersistent=false\n',
      'f.service': service,
    });
    assert.deepEqual(noteLines(result.report), [
      'f.timer:2 skipped f: reset by the empty OnCalendar= on line 4',
      'f.timer:3 skipped f: reset by the empty OnCalendar= on line 4',
      'f.timer:4 skipped f',
      'f.timer:5 job f',
      'f.timer:6 skipped f: overridden by Persistent= on line 7',
      'f.timer:7 converted f',
      'f.service:2 converted f',
      'f.service:3 converted f',
    ]);
    assert.match(
      result.yaml,
      /\n {2}f:\n {4}schedule: "0 0 \* \* \*"\n {4}timezone: UTC\n {4}command: \["\/usr\/bin\/true"\]\n/,
    );
  });

  it('a monotonic trigger beside OnCalendar= is reported; the job keeps the calendar', () => {
    assert.deepEqual(
      messages({ 'g.timer': '[Timer]\nOnCalendar=daily\nOnBootSec=15min\n', 'g.service': service }),
      [
        'g.timer:3 unsupported g: a monotonic timer (after boot): no cron pattern means it; the job keeps only the OnCalendar= times',
      ],
    );
  });

  it('commands cronkeeper cannot run as systemd did are refused', () => {
    const timer = '[Timer]\nOnCalendar=daily\n';
    const refused = (body: string) => messages({ 'h.timer': timer, 'h.service': `[Service]\n${body}` });
    assert.deepEqual(refused('EnvironmentFile=/etc/default/h\nExecStart=/usr/bin/h $OPTS\n'), [
      'h.timer:2 unsupported: not imported: h.service: ExecStart=: $OPTS may come from EnvironmentFile=, which is not read here',
      'h.service:2 unsupported: not read: systemd reads the file at each start; copy its variables into env: (or source it in a sh -c command)',
      'h.service:3 unsupported: $OPTS may come from EnvironmentFile=, which is not read here',
    ]);
    assert.deepEqual(refused('ExecStart=@/usr/bin/h h-worker\n'), [
      "h.timer:2 unsupported: not imported: h.service: ExecStart=: '@' gives the program another argv[0], which a cronkeeper command cannot",
      "h.service:2 unsupported: '@' gives the program another argv[0], which a cronkeeper command cannot",
    ]);
    assert.deepEqual(refused('ExecStart=/usr/bin/h --host %H\n'), [
      'h.timer:2 unsupported: not imported: h.service: ExecStart=: the specifier %H depends on the host: cronkeeper cannot know it',
      'h.service:2 unsupported: the specifier %H depends on the host: cronkeeper cannot know it',
    ]);
    assert.deepEqual(refused('ExecStart=/usr/bin/h --id $INVOCATION_ID\n'), [
      'h.timer:2 unsupported: not imported: h.service: ExecStart=: $INVOCATION_ID is set by systemd when the service starts',
      'h.service:2 unsupported: $INVOCATION_ID is set by systemd when the service starts',
    ]);
    // An EnvironmentFile= alone is reported; the job is still made.
    const kept = importUnits({
      'i.timer': timer,
      'i.service': '[Service]\nEnvironmentFile=-/etc/default/i\nExecStart=/usr/bin/i\n',
    });
    assert.equal(kept.jobs, 1);
  });
});
