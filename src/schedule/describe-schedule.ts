// A schedule in one line, as the status, the CLI and the job-change log show it.
import type { ScheduleSpec } from '../config/types.js';
import { formatDuration } from './duration.js';

export function describeSchedule(s: ScheduleSpec): string {
  if (s.kind === 'every')
    return `every ${formatDuration(s.everyMs)}${s.offsetMs ? ` +${formatDuration(s.offsetMs)}` : ''}`;
  return s.timezone === 'UTC' ? s.pattern : `${s.pattern} (${s.timezone})`;
}
