// The configured jobs by name: one index per job list, shared by every part
// of the daemon that looks jobs up (controls, freshness, catch-up, renames,
// metrics). Each built its own before: at scale every copy was a table of
// megabytes, and the garbage of building it. A reload brings a new list,
// and with it a new index; the old one goes with the old list.
import type { JobConfig } from './types.js';

const indexes = new WeakMap<readonly JobConfig[], ReadonlyMap<string, JobConfig>>();

export function jobsByName(jobs: readonly JobConfig[]): ReadonlyMap<string, JobConfig> {
  let index = indexes.get(jobs);
  if (!index) {
    const m = new Map<string, JobConfig>();
    for (const j of jobs) m.set(j.name, j);
    indexes.set(jobs, (index = m));
  }
  return index;
}

/** Records the index of a list built as the list was (by the config reader, a slice at a time). */
export function rememberJobsByName(jobs: readonly JobConfig[], index: ReadonlyMap<string, JobConfig>): void {
  indexes.set(jobs, index);
}
