// The planner's view of a configured job.
import type { JobConfig } from '../config/types.js';
import type { SlotCalculator } from '../schedule/slot-calculator.js';
import type { PlanJobInput } from './plan-catch-up.js';

export function toPlanInput(config: JobConfig, slots: SlotCalculator): PlanJobInput {
  return {
    name: config.name,
    slots,
    catchup: config.catchup,
    catchupWindowMs: config.catchupWindowMs,
    maxCatchup: config.maxCatchup,
    backfillFromMs: config.backfillFromMs,
  };
}
