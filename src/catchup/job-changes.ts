// What changed about the configured jobs since a leader last saw them:
// schedules (by a hash of the spec) and names (formerNames). Pure: the
// leader applies the result to its state and the store (see apply-job-changes.ts).
import crypto from 'node:crypto';
import type { JobConfig, ScheduleChangePolicy, ScheduleSpec } from '../config/types.js';
import { jobsByName } from '../config/jobs-by-name.js';

/** A stable hash of what decides a job's slots: pattern and zone, or rate and offset. */
export function specHash(spec: ScheduleSpec): string {
  return sha256Prefix(canonicalSpec(spec));
}

/**
 * The first 8 bytes of the SHA-256 of `text`, as hex. By the one-shot crypto.hash where the
 * runtime has it (Node >= 20.12): a Hash object per job was most of the time of a pass.
 * Its 16 characters are a slice of the whole digest's 64, which it keeps alive: many hashes
 * are kept as numbers instead (SpecHashList).
 */
const sha256Prefix: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex').slice(0, 16)
    : (text) => crypto.createHash('sha256').update(text).digest().toString('hex', 0, 8);

/**
 * The specHash of each job of a list, kept as numbers (two 32-bit words a
 * job), each distinct spec hashed once: jobs share their patterns, and 100,000
 * jobs of 1,000 patterns are hashed 1,000 times. A term start holds the hashes
 * through its reads and writes of the stored specs; as 100,000 strings (each
 * keeping the digest's 64 characters it was cut from) they were megabytes
 * alive into the first seconds after ready.
 *
 * The jobs are hashed in order as far as asked for, so that a caller reading
 * the store a batch at a time hashes the next batch while the store compares
 * the last one.
 */
export class SpecHashList {
  private readonly words: Uint32Array;
  private hashed = 0;
  /** Which job's words hold a spec's hash: by the raw fields (zone, then pattern), no key built per job. */
  private seen: Map<string, Map<string | number, number>> | undefined = new Map();

  constructor(private readonly jobs: readonly { schedule: ScheduleSpec }[]) {
    this.words = new Uint32Array(jobs.length * 2);
  }

  get length(): number {
    return this.jobs.length;
  }

  /** The i-th job's specHash. */
  at(i: number): string {
    if (i < 0 || i >= this.jobs.length) throw new RangeError(`no job ${i} of ${this.jobs.length}`);
    while (this.hashed <= i) this.hashNext();
    return hexWord(this.words[2 * i]!) + hexWord(this.words[2 * i + 1]!);
  }

  private hashNext(): void {
    const i = this.hashed++;
    const { words } = this;
    const spec = this.jobs[i]!.schedule;
    const cron = spec.kind === 'cron';
    const outer = cron ? spec.timezone : `every ${spec.offsetMs}`;
    const inner = cron ? spec.pattern : spec.everyMs;
    const seen = this.seen!;
    let byInner = seen.get(outer);
    if (byInner === undefined) seen.set(outer, (byInner = new Map()));
    const same = byInner.get(inner);
    if (same !== undefined) {
      words[2 * i] = words[2 * same]!;
      words[2 * i + 1] = words[2 * same + 1]!;
    } else {
      byInner.set(inner, i);
      const hex = specHash(spec);
      words[2 * i] = parseInt(hex.slice(0, 8), 16);
      words[2 * i + 1] = parseInt(hex.slice(8, 16), 16);
    }
    if (this.hashed === this.jobs.length) this.seen = undefined; // all hashed: the memo is not needed
  }
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** By bytes from a table: toString(16) and padStart took most of a pass over 100,000 jobs. */
function hexWord(n: number): string {
  return HEX_BYTE[n >>> 24]! + HEX_BYTE[(n >>> 16) & 255]! + HEX_BYTE[(n >>> 8) & 255]! + HEX_BYTE[n & 255]!;
}

function canonicalSpec(spec: ScheduleSpec): string {
  return JSON.stringify(
    spec.kind === 'cron'
      ? ['cron', spec.pattern.trim().replace(/\s+/g, ' '), spec.timezone]
      : ['every', spec.everyMs, spec.offsetMs],
  );
}

export interface StoredSpec {
  hash: string;
  spec: string;
}

export interface ScheduleChange {
  job: string;
  from: string;
  to: string;
  rule: ScheduleChangePolicy;
}

/** Jobs whose schedule differs from the stored one. A job with nothing stored is new, not changed. */
export function scheduleChanges(
  jobs: readonly JobConfig[],
  stored: ReadonlyMap<string, StoredSpec>,
  describe: (spec: ScheduleSpec) => string,
  /** The i-th job's specHash, when the caller has them already. */
  hashAt: (i: number) => string = (i) => specHash(jobs[i]!.schedule),
): ScheduleChange[] {
  const changes: ScheduleChange[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    const before = stored.get(job.name);
    if (before && before.hash !== hashAt(i)) {
      changes.push({
        job: job.name,
        from: before.spec,
        to: describe(job.schedule),
        rule: job.onScheduleChange,
      });
    }
  }
  return changes;
}

export interface Rename {
  from: string;
  to: string;
}

/**
 * The renames to carry over: each former name that some record still knows
 * (`known`: state, history, pause, schedule) and that was not carried over
 * before (`done`).
 */
export function pendingRenames(
  jobs: readonly JobConfig[],
  known: (name: string) => boolean,
  done: ReadonlySet<string>,
): Rename[] {
  const out: Rename[] = [];
  for (const job of jobs) {
    for (const old of job.formerNames)
      if (!done.has(old) && known(old)) out.push({ from: old, to: job.name });
  }
  return out;
}

/**
 * Configured jobs seen for the first time while state of unconfigured jobs
 * exists: maybe renames without formerNames. Returned so the log can say how
 * to carry the state over; nothing is guessed.
 */
export async function possibleRenames(
  jobs: readonly JobConfig[],
  /** The names the state holds: a map or set (not copied: 100,000 names on every reload). */
  state: { has(name: string): boolean; keys(): Iterable<string> },
  /** Turns of the event loop: two passes over 100,000 names take a while. */
  turns: Turns = NO_TURNS,
): Promise<{ added: string[]; gone: string[] }> {
  const added: string[] = [];
  for (const j of jobs) {
    if (turns.spent()) await turns.yield();
    if (j.formerNames.length === 0 && !state.has(j.name)) added.push(j.name);
  }
  if (added.length === 0) return { added, gone: [] };
  // One pass over the state's names, no copy of them; the former names only when one is unconfigured.
  const configured = jobsByName(jobs);
  const gone: string[] = [];
  let former: Set<string> | undefined;
  for (const n of state.keys()) {
    if (turns.spent()) await turns.yield();
    if (configured.has(n)) continue;
    former ??= new Set(jobs.flatMap((j) => j.formerNames));
    if (!former.has(n)) gone.push(n);
  }
  return gone.length > 0 ? { added, gone } : { added: [], gone: [] };
}

/** Where a long pass gives the event loop its turns (turn-budget.ts); NO_TURNS: none. */
export interface Turns {
  spent(): boolean;
  yield(): Promise<void>;
}

const NO_TURNS: Turns = { spent: () => false, yield: () => Promise.resolve() };
