// Deterministic spreading. Every value is derived from the job name and the
// slot (UTC ms), never from a random source, so every node and every restart
// computes the same delay for the same slot — a retry or a jittered start
// survives a failover unchanged.
import { createHash } from 'node:crypto';

/** A number in [0, 1) from the given parts; the same parts give the same number everywhere. */
export function unitHash(...parts: Array<string | number>): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  // 48 bits: exactly representable in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Delay (ms) of the start of `slotMs` of `job`, in [0, jitterMs). */
export function slotJitterMs(job: string, slotMs: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  return Math.floor(unitHash('jitter', job, slotMs) * jitterMs);
}

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  max: number;
  /** The base delay before the first retry (ms). */
  backoffMs: number;
  /** The cap of the exponential growth (ms). */
  maxBackoffMs: number;
}

/**
 * Delay (ms) before attempt `attempt` (2 = the first retry): exponential backoff
 * with full jitter, uniform in [0, min(maxBackoff, backoff * 2^(attempt-2))].
 * Full jitter keeps a fleet of failing jobs from retrying in lockstep.
 */
export function retryDelayMs(policy: RetryPolicy, job: string, slotMs: number, attempt: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 2));
  return Math.floor(unitHash('retry', job, slotMs, attempt) * (ceiling + 1));
}
