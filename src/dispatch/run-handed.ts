// One attempt of a `runOn: <pool>` job, on the leader's side: handed to the
// pool (or, for a run an earlier leader handed, taken up where it is) and
// followed until its worker writes its end. The slot's place (overlap,
// concurrency) is held meanwhile, as for a run of the leader's own: the
// policies count runs on every host. A stop asks the worker to stop the run;
// a shutdown of the leader leaves it running, for the next leader to follow.
import type { JobConfig } from '../config/types.js';
import type { ClaimedSlot } from '../schedule/slot.js';
import type { HandedEnd } from './handed-attempts.js';
import { SHUTDOWN, type SlotRunContext, type SlotRunOptions } from './run-slot.js';

/** Undefined: not handed (no Postgres store, no longer this leader's, or the store failed): left claimed. */
export async function runHanded(
  ctx: SlotRunContext,
  job: JobConfig,
  slot: ClaimedSlot,
  attempt: number,
  o: SlotRunOptions,
): Promise<HandedEnd | undefined> {
  const { logger } = ctx;
  const fields = { job: job.name, runId: slot.runId, attempt, pool: job.runOn };
  const handed = ctx.handed;
  if (!handed) {
    logger.error(fields, 'runOn needs a Postgres store: the run is left claimed');
    return undefined;
  }
  const key = { runId: slot.runId, attempt };
  if (o.handed !== attempt) {
    if (job.runOn === undefined) return undefined;
    let ok: boolean;
    try {
      ok = await handed.handOff(ctx.fence(), key, job.runOn, slot.catchup);
    } catch (err) {
      logger.error(
        { ...fields, err },
        'could not hand the run to its pool; it stays claimed for the next leader',
      );
      return undefined;
    }
    if (!ok) {
      logger.warn(
        fields,
        'not handing the run: this node no longer leads, or another leader took the slot over',
      );
      return undefined;
    }
    logger.info(fields, 'run handed to its pool');
  }
  const follow = handed.follow(key, attempt === 1 ? slot.scheduledAtMs : undefined);
  const stop = (reason: string) => (reason === SHUTDOWN ? follow.leave() : follow.stop());
  o.onAttempt({
    stop,
    // As for a run of the leader's own: its worker wrote an end by `ms`, and no retry follows.
    endedBy: async (ms) => {
      const end = await handed.endOf(key).catch(() => undefined);
      return (
        end !== undefined &&
        end.finishedAtMs <= ms &&
        (end.outcome === 'success' || attempt > job.retries.max)
      );
    },
  });
  const onAbort = () => stop(String(o.signal.reason));
  o.signal.addEventListener('abort', onAbort, { once: true });
  if (o.signal.aborted) onAbort();
  try {
    return await follow.end;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    o.onAttempt(undefined);
  }
}
