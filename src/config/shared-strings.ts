// A job's repeated text made one string for all jobs. A config read on a
// worker thread arrives as a copy (structured clone) in which every string is
// its own: the same zone, file, URL and policy names 100,000 times over. The
// reader thread hands jobs over a slice at a time and each slice goes through
// here at once, so the copies it drops die young.
import type { HookConfig, JobAction, JobConfig } from './types.js';

const MAX_STRINGS = 10_000;

export class SharedStrings {
  private readonly strings = new Map<string, string>();

  /** Replaces `job`'s repeated strings with the ones already seen (in place). */
  shareJob(job: JobConfig): void {
    job.catchup = this.get(job.catchup);
    job.overlap = this.get(job.overlap);
    job.onInterrupted = this.get(job.onInterrupted);
    job.onResume = this.get(job.onResume);
    job.onScheduleChange = this.get(job.onScheduleChange);
    job.logOutput = this.get(job.logOutput);
    job.source.file = this.get(job.source.file);
    const schedule = job.schedule;
    schedule.kind = this.get(schedule.kind);
    if (schedule.kind === 'cron') schedule.timezone = this.get(schedule.timezone);
    this.shareAction(job.action);
    if (job.onFailure) this.shareHook(job.onFailure);
    if (job.onSuccess) this.shareHook(job.onSuccess);
  }

  private shareHook(hook: HookConfig): void {
    this.shareAction(hook.action);
  }

  private shareAction(action: JobAction): void {
    action.kind = this.get(action.kind);
    if (action.kind === 'http') {
      action.url = this.get(action.url);
      action.method = this.get(action.method);
    } else if (action.cwd !== undefined) {
      action.cwd = this.get(action.cwd);
    }
  }

  private get<T extends string>(s: T): T {
    const seen = this.strings.get(s);
    if (seen !== undefined) return seen as T;
    // A field that differs from job to job (a URL per job) must not make the table one entry per job.
    if (this.strings.size < MAX_STRINGS) this.strings.set(s, s);
    return s;
  }
}
