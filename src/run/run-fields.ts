// Small pieces every executor shares: the log fields that tie a line to its
// slot, error messages, and timer delays that setTimeout can represent.
import { slotKey } from '../store/ledger.js';
import type { RunRequest } from './types.js';

/** The fields attached to every log line of a run. scheduledAt is ISO 8601 UTC with milliseconds. */
export interface RunLogFields {
  job: string;
  scheduledAt: string;
  runId: number;
}

export function runLogFields(req: RunRequest): RunLogFields {
  return { job: req.job.name, scheduledAt: isoTime(req.scheduledAtMs), runId: req.runId };
}

/**
 * CRONKEEPER_SLOT / `slot`: a stable key for downstream deduplication, the same
 * for every attempt and every leader: `<job>@<scheduledAt ISO UTC ms>` (the
 * ledger's slot key). A manual run stands for no slot, so its key cannot
 * collide with one: `<job>@manual:<runId>`.
 */
export function runSlotKey(req: RunRequest): string {
  return req.manual ? `${req.job.name}@manual:${req.runId}` : slotKey(req.job.name, req.scheduledAtMs);
}

/** UTC epoch ms → ISO 8601 UTC with milliseconds; never throws (an invalid instant is printed as a number). */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** The message of anything thrown, with its cause when it has one (fetch's "fetch failed" hides the reason there). */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  if (cause instanceof Error && cause.message && cause.message !== err.message) {
    return `${err.message}: ${cause.message}`;
  }
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return `${err.message}: ${cause.errors.map((e) => errorMessage(e)).join('; ')}`;
  }
  return err.message;
}

/** setTimeout fires at once for delays above 2^31 - 1 ms (~24.8 days); such a delay means "never" here. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timer {
  clear(): void;
}

/**
 * Starts a timer, or none when `ms` is not a positive finite delay. setTimeout
 * fires at once past 2^31 - 1 ms (~24.8 days), so a longer delay (a
 * `timeout: 30d`) is waited for in steps.
 */
export function startTimer(ms: number, fn: () => void): Timer | undefined {
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  let handle: NodeJS.Timeout;
  const wait = (left: number): void => {
    handle = setTimeout(
      () => (left > MAX_TIMER_MS ? wait(left - MAX_TIMER_MS) : fn()),
      Math.min(left, MAX_TIMER_MS),
    );
  };
  wait(ms);
  return { clear: () => clearTimeout(handle) };
}
