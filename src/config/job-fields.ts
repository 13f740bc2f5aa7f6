// The job schema applied one field at a time, each (field, value) parsed once
// per config: of 100,000 jobs most share most values (a zone, a URL, a
// policy), and a zod parse of the whole job object per job costs more than
// the rest of loading together. Only for the happy path: a job any field of
// which fails gets `undefined`, and the caller parses it with the whole schema
// to report its problems.
import { z } from 'zod';
import { jobSchema, type ParsedJob } from './schema.js';

type FieldResult = { ok: true; value: unknown } | { ok: false };

interface FieldMemo {
  schema: z.ZodType;
  /** Results by value: strings, numbers, booleans, null. */
  values: Map<unknown, FieldResult>;
  /** Results of lists and maps, by valueKey. */
  objects: Map<string, FieldResult>;
  /** Lookups in `values` that found a result, and that did not. */
  hits: number;
  misses: number;
}

/**
 * A field whose values hardly repeat (a schedule per job) is parsed without
 * the memo once it has seen this many values, under 1 in 8 of them repeated:
 * remembering 100,000 distinct values costs more than parsing them.
 */
const MEMO_TRIAL = 1024;

export class JobFieldParser {
  /** By field name; no prototype, so only the schema's fields are found. */
  private readonly fields: Record<string, FieldMemo | undefined> = Object.create(null) as Record<
    string,
    FieldMemo | undefined
  >;

  constructor() {
    // Valid only while the job schema is a strict object of independent fields:
    // a refinement of the whole object would be skipped here.
    const def = jobSchema._zod.def;
    if (!(jobSchema instanceof z.ZodObject) || (def.checks?.length ?? 0) > 0) {
      throw new Error('JobFieldParser: the job schema is not a plain strict object');
    }
    for (const [field, schema] of Object.entries(jobSchema.shape as Record<string, z.ZodType>)) {
      this.fields[field] = { schema, values: new Map(), objects: new Map(), hits: 0, misses: 0 };
    }
  }

  /** What `jobSchema.safeParse(raw)` gives when it succeeds, else undefined. */
  parse(raw: Record<string, unknown>): ParsedJob | undefined {
    const out: Record<string, unknown> = {};
    for (const field of Object.keys(raw)) {
      const memo = this.fields[field];
      if (!memo) return undefined; // an unknown key
      const value = raw[field];
      let result: FieldResult | undefined;
      if (value !== null && typeof value === 'object') {
        const key = valueKey(value);
        result = key === undefined ? undefined : memo.objects.get(key);
        if (!result) {
          result = parseField(memo.schema, value);
          if (key !== undefined) memo.objects.set(key, result);
        }
      } else if (Object.is(value, -0) || !worthMemo(memo)) {
        // A Map does not tell -0 (a YAML `-0`) from 0.
        result = parseField(memo.schema, value);
      } else {
        result = memo.values.get(value);
        if (result) {
          memo.hits++;
        } else {
          memo.misses++;
          result = parseField(memo.schema, value);
          memo.values.set(value, result);
        }
      }
      if (!result.ok) return undefined;
      // Each job gets its own copy of a list or map, as from its own parse.
      out[field] = copyPlain(result.value);
    }
    return out as ParsedJob;
  }
}

function worthMemo(memo: FieldMemo): boolean {
  if (memo.hits + memo.misses < MEMO_TRIAL || memo.hits * 8 >= memo.misses) return true;
  memo.values.clear();
  return false;
}

function parseField(schema: z.ZodType, value: unknown): FieldResult {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

/**
 * A string that tells plain data (as YAML gives it) apart by type and content:
 * every part delimits itself (strings by their length, numbers by a ';'), so
 * the parts of a list or map can simply be joined. Undefined for anything else
 * (undefined, bigint, functions), which is not memoized.
 */
export function valueKey(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return Object.is(value, -0) ? 'n-0;' : `n${value};`;
    case 'boolean':
      return value ? 'T' : 'F';
    case 'object': {
      if (value === null) return 'z';
      let out: string;
      if (Array.isArray(value)) {
        out = `a${value.length}[`;
        for (const item of value as unknown[]) {
          const key = valueKey(item);
          if (key === undefined) return undefined;
          out += key;
        }
      } else {
        const entries = Object.entries(value);
        out = `o${entries.length}{`;
        for (const [k, v] of entries) {
          const key = valueKey(v);
          if (key === undefined) return undefined;
          out += `${k.length}:${k}${key}`;
        }
      }
      return out;
    }
    default:
      return undefined;
  }
}

function copyPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyPlain);
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = copyPlain(v);
  return copy;
}
