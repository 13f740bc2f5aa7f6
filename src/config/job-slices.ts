// Jobs as compact slices, for the hand-over from the config reader thread
// (config-reader-thread.ts). A JobConfig copied as an object (structured
// clone) costs its ~25 property names and every string in it, written on the
// worker and read back on the main thread: at 100,000 jobs the better part of
// the hand-over, and a copy of the same zone, file and policy names per job
// for the collector (BENCHMARKS.md "Scale: every config shape").
//
// A slice is columns instead: the numbers of its jobs in one Float64Array
// (handed over, not copied), the text that is each job's own (name, pattern)
// in one array, and the rest as references. A short text that jobs repeat
// (zone, file, policy, pool) is sent once per reading; an object (action,
// hook, retries, lists) once per identity: the jobs that share one on the
// worker (a default hook, the HTTP action of one endpoint) share one on the
// main thread. The reader keeps what the writer sent before, so slices are
// read in the order they were written, each once.
import { type HookConfig, type JobAction, type JobConfig } from './types.js';

/** One message: the jobs of one slice, and what the reader has not seen yet. */
export interface JobSlice {
  /** NUMBERS numbers per job. */
  numbers: Float64Array;
  /** TEXTS strings per job. */
  texts: string[];
  /** Repeated texts new in this slice, appended to the reader's table in this order. */
  newWords: string[];
  /** Objects new in this slice, appended to the reader's table in this order. */
  newObjects: object[];
}

/** An absent optional value (no field holds NaN). */
const NONE = Number.NaN;
const CRON = 0;
const EVERY = 1;

// Per job, the offsets of its numbers (refs are indices into the reader's tables).
const LINE = 0;
const COLUMN = 1;
const KIND = 2; // CRON or EVERY
const ZONE_OR_EVERY = 3; // word ref (cron) or everyMs
const OFFSET = 4; // offsetMs (every)
const WINDOW = 5;
const MAX_CATCHUP = 6;
const TIMEOUT = 7;
const KILL_GRACE = 8;
const BACKFILL = 9;
const JITTER = 10;
const OUTPUT_KEEP = 11;
const LINE_RATE = 12;
const KEEP_CHILDREN = 13;
const MAX_AGE = 14;
const FILE = 15; // word refs from here …
const CATCHUP = 16;
const OVERLAP = 17;
const INTERRUPTED = 18;
const RESUME = 19;
const SCHEDULE_CHANGE = 20;
const LOG_OUTPUT = 21;
const RUN_ON = 22;
const ACTION = 23; // … object refs from here
const RETRIES = 24;
const FORMER_NAMES = 25;
const ON_FAILURE = 26;
const ON_SUCCESS = 27;
const INHERIT_ENV = 28;
export const NUMBERS = 29;
/** name, pattern ('' for a fixed rate). */
export const TEXTS = 2;

/**
 * Every field of JobConfig, written and read below: a field added to JobConfig
 * and not here fails the type check (and its round-trip test).
 */
export const JOB_FIELDS = [
  'name',
  'source',
  'schedule',
  'action',
  'catchup',
  'catchupWindowMs',
  'maxCatchup',
  'overlap',
  'timeoutMs',
  'killGraceMs',
  'onInterrupted',
  'onResume',
  'onScheduleChange',
  'formerNames',
  'backfillFromMs',
  'retries',
  'jitterMs',
  'onFailure',
  'onSuccess',
  'outputKeepBytes',
  'logOutput',
  'logLineRate',
  'keepChildren',
  'maxAgeMs',
  'inheritEnv',
  'runOn',
] as const satisfies readonly (keyof JobConfig)[];
type Unwritten = Exclude<keyof JobConfig, (typeof JOB_FIELDS)[number]>;
const everyFieldWritten: [Unwritten] extends [never] ? true : Unwritten = true;
void everyFieldWritten;

/** Writes jobs as slices, on the reader thread; one per reading. */
export class JobSliceWriter {
  /** Repeated texts (zones, files, policy names) and shared objects, each sent once. */
  private readonly words = new Numbering<string>();
  private readonly objects = new Numbering<object>();

  /** The slice of `jobs`; its numbers' buffer is to be transferred with it. */
  write(jobs: readonly JobConfig[]): JobSlice {
    const numbers = new Float64Array(jobs.length * NUMBERS);
    const texts: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      const n = i * NUMBERS;
      const s = j.schedule;
      texts.push(j.name, s.kind === 'cron' ? s.pattern : '');
      numbers[n + LINE] = j.source.line;
      numbers[n + COLUMN] = j.source.column;
      if (s.kind === 'cron') {
        numbers[n + KIND] = CRON;
        numbers[n + ZONE_OR_EVERY] = this.words.ref(s.timezone);
      } else {
        numbers[n + KIND] = EVERY;
        numbers[n + ZONE_OR_EVERY] = s.everyMs;
        numbers[n + OFFSET] = s.offsetMs;
      }
      numbers[n + WINDOW] = j.catchupWindowMs;
      numbers[n + MAX_CATCHUP] = j.maxCatchup;
      numbers[n + TIMEOUT] = j.timeoutMs;
      numbers[n + KILL_GRACE] = j.killGraceMs;
      numbers[n + BACKFILL] = j.backfillFromMs ?? NONE;
      numbers[n + JITTER] = j.jitterMs;
      numbers[n + OUTPUT_KEEP] = j.outputKeepBytes;
      numbers[n + LINE_RATE] = j.logLineRate;
      numbers[n + KEEP_CHILDREN] = j.keepChildren ? 1 : 0;
      numbers[n + MAX_AGE] = 'maxAgeMs' in j ? j.maxAgeMs! : NONE;
      numbers[n + FILE] = this.words.ref(j.source.file);
      numbers[n + CATCHUP] = this.words.ref(j.catchup);
      numbers[n + OVERLAP] = this.words.ref(j.overlap);
      numbers[n + INTERRUPTED] = this.words.ref(j.onInterrupted);
      numbers[n + RESUME] = this.words.ref(j.onResume);
      numbers[n + SCHEDULE_CHANGE] = this.words.ref(j.onScheduleChange);
      numbers[n + LOG_OUTPUT] = this.words.ref(j.logOutput);
      numbers[n + RUN_ON] = 'runOn' in j ? this.words.ref(j.runOn!) : NONE;
      numbers[n + ACTION] = this.objects.ref(j.action);
      numbers[n + RETRIES] = this.objects.ref(j.retries);
      numbers[n + FORMER_NAMES] = this.objects.ref(j.formerNames);
      numbers[n + ON_FAILURE] = j.onFailure ? this.objects.ref(j.onFailure) : NONE;
      numbers[n + ON_SUCCESS] = j.onSuccess ? this.objects.ref(j.onSuccess) : NONE;
      numbers[n + INHERIT_ENV] = 'inheritEnv' in j ? this.objects.ref(j.inheritEnv!) : NONE;
    }
    return { numbers, texts, newWords: this.words.takeNew(), newObjects: this.objects.takeNew() };
  }
}

/** Values numbered in the order first seen (the reader's table index); those new since the last take. */
class Numbering<T> {
  private readonly refs = new Map<T, number>();
  private fresh: T[] = [];

  ref(value: T): number {
    let ref = this.refs.get(value);
    if (ref === undefined) {
      this.refs.set(value, (ref = this.refs.size));
      this.fresh.push(value);
    }
    return ref;
  }

  takeNew(): T[] {
    const fresh = this.fresh;
    this.fresh = [];
    return fresh;
  }
}

/** Reads the slices of one JobSliceWriter, in the order written, on the main thread. */
export class JobSliceReader {
  private readonly words: string[] = [];
  private readonly objects: object[] = [];
  /** Strings repeated inside the objects (an action's kind, a cwd), one copy each. */
  private readonly strings = new Map<string, string>();

  read(slice: JobSlice): JobConfig[] {
    for (const w of slice.newWords) this.words.push(w);
    for (const o of slice.newObjects) this.objects.push(this.shareStrings(o));
    const { numbers, texts } = slice;
    const jobs: JobConfig[] = [];
    for (let i = 0; i * NUMBERS < numbers.length; i++) {
      const n = i * NUMBERS;
      const num = (k: number) => smallest(numbers[n + k]!);
      const word = <T extends string>(k: number) => this.words[numbers[n + k]!] as T;
      const object = <T>(k: number) => this.objects[numbers[n + k]!] as T;
      const backfill = num(BACKFILL);
      const onFailure = num(ON_FAILURE);
      const onSuccess = num(ON_SUCCESS);
      const job: JobConfig = {
        name: texts[i * TEXTS]!,
        source: { file: word(FILE), line: num(LINE), column: num(COLUMN) },
        schedule:
          num(KIND) === CRON
            ? { kind: 'cron', pattern: texts[i * TEXTS + 1]!, timezone: word(ZONE_OR_EVERY) }
            : { kind: 'every', everyMs: num(ZONE_OR_EVERY), offsetMs: num(OFFSET) },
        action: object(ACTION),
        catchup: word(CATCHUP),
        catchupWindowMs: num(WINDOW),
        maxCatchup: num(MAX_CATCHUP),
        overlap: word(OVERLAP),
        timeoutMs: num(TIMEOUT),
        killGraceMs: num(KILL_GRACE),
        onInterrupted: word(INTERRUPTED),
        onResume: word(RESUME),
        onScheduleChange: word(SCHEDULE_CHANGE),
        formerNames: object(FORMER_NAMES),
        backfillFromMs: Number.isNaN(backfill) ? undefined : backfill,
        retries: object(RETRIES),
        jitterMs: num(JITTER),
        onFailure: Number.isNaN(onFailure) ? undefined : object(ON_FAILURE),
        onSuccess: Number.isNaN(onSuccess) ? undefined : object(ON_SUCCESS),
        outputKeepBytes: num(OUTPUT_KEEP),
        logOutput: word(LOG_OUTPUT),
        logLineRate: num(LINE_RATE),
        keepChildren: num(KEEP_CHILDREN) === 1,
      };
      // Only when set, as buildJob does: no key at all for an unset one.
      if (!Number.isNaN(num(MAX_AGE))) job.maxAgeMs = num(MAX_AGE);
      if (!Number.isNaN(num(INHERIT_ENV))) job.inheritEnv = object(INHERIT_ENV);
      if (!Number.isNaN(num(RUN_ON))) job.runOn = word(RUN_ON);
      jobs.push(job);
    }
    return jobs;
  }

  /** An action or a hook: its repeated strings made one (what commands repeat: kind, cwd, method). */
  private shareStrings(o: object): object {
    const hook = o as Partial<HookConfig>;
    const action = (hook.action ?? o) as Partial<JobAction>;
    if (action.kind === 'http') {
      action.kind = this.string(action.kind);
      action.method = this.string(action.method!);
      action.url = this.string(action.url!);
    } else if (action.kind === 'command') {
      action.kind = this.string(action.kind);
      if (action.cwd !== undefined) action.cwd = this.string(action.cwd);
    }
    return o;
  }

  private string<T extends string>(s: T): T {
    const seen = this.strings.get(s);
    if (seen !== undefined) return seen as T;
    // A field that differs from object to object (a URL per job) must not make the table one entry per job.
    if (this.strings.size < MAX_STRINGS) this.strings.set(s, s);
    return s;
  }
}

const MAX_STRINGS = 10_000;

/**
 * A number read from a Float64Array as V8 keeps a small integer (a Smi, in the
 * field itself): stored as it comes, each number field of each job became a
 * boxed double of its own, one more heap object per field and job.
 */
function smallest(v: number): number {
  const i = v | 0;
  return i === v && (i !== 0 || 1 / v > 0) ? i : v;
}
