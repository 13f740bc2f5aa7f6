// The term's second phase, before anything is planned: the state of jobs
// removed longer than the retention is forgotten, renames and schedule
// changes are applied (apply-job-changes.ts), and the pause state is read, so
// that paused jobs are left out of the catch-up and the schedule.
import type { Logger } from 'pino';
import { jobsByName } from '../config/jobs-by-name.js';
import type { JobConfig } from '../config/types.js';
import type { LeaderControls } from '../controls/leader-controls.js';
import type { Clock } from '../runtime/clock.js';
import type { JobState } from '../state/job-state.js';
import { applyJobChanges, type JobChangesContext } from './apply-job-changes.js';

export async function reconcileJobs(o: {
  jobs: readonly JobConfig[];
  retentionMs: number;
  state: JobState;
  jobChanges: JobChangesContext;
  controls: LeaderControls;
  clock: Clock;
  logger: Logger;
}): Promise<void> {
  const forgotten = o.state.prune(jobsByName(o.jobs), o.clock.now() - o.retentionMs);
  if (forgotten.length > 0) o.logger.info({ jobs: forgotten }, 'forgot the state of long-removed jobs');
  await applyJobChanges(o.jobChanges, o.jobs, o.clock.now());
  await o.controls.load();
}
