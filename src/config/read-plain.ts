// A config file's text → plain data, by js-yaml: YAML (block or flow) and
// JSON alike, since JSON is YAML; a file written as JSON by JSON.parse, where
// that gives the same data (read-json.ts says when), several times faster.
// Fast at 100,000 jobs and without source ranges for every node; where each
// job is defined comes from the parser's events (or read-json.ts's scan). A file it cannot read
// (a syntax error, a duplicate key, a tag outside the core schema) gets
// undefined: the located reading (yaml-source.ts, the `yaml` package) then
// reads it and reports what is wrong, with its own messages.
//
// Plain scalars are read as yaml-scalars.ts says (`0644` stays text), as in the
// located reading: the two must give the same data for every file both read.
import {
  COLLECTION_STYLE,
  CORE_SCHEMA,
  constructFromEvents,
  defineScalarTag,
  EVENT_ID,
  type Event,
  getScalarValue,
  type MappingEvent,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
  YAMLException,
} from 'js-yaml';
import { LineCounter } from './line-counter.js';
import { readJson } from './read-json.js';
import type { SourceLocation } from './types.js';
import { plainValue } from './yaml-scalars.js';

/** Values a document may hold once its aliases are expanded: past it, an alias is an "alias bomb". */
export const MAX_EXPANDED_VALUES = 2_000_000;
/** Collections within collections, aliases expanded: past it, a config is refused. */
export const MAX_DEPTH = 64;
/** Past MAX_DEPTH, so that the located reading is the one to say where. */
export const PARSER_MAX_DEPTH = MAX_DEPTH + 2;

export interface PlainFile {
  /** The document as plain data; null for an empty one. */
  value: unknown;
  /** Where each key of the top-level `jobs` map is written. */
  jobAt: Map<string, SourceLocation>;
}

/** A plain scalar the core schema reads as a number, when that keeps what was written (yaml-scalars.ts). */
const resolveNumber = (text: string): number | typeof NOT_RESOLVED => {
  const value = plainValue(text);
  return typeof value === 'number' ? value : NOT_RESOLVED;
};
/** The same for a boolean: `true`, but not `True`. */
const resolveBoolean = (text: string): boolean | typeof NOT_RESOLVED => {
  const value = plainValue(text);
  return typeof value === 'boolean' ? value : NOT_RESOLVED;
};
const DIGITS = [...'0123456789'];
const SCHEMA = CORE_SCHEMA.withTags(
  defineScalarTag('tag:yaml.org,2002:bool', {
    implicit: true,
    implicitFirstChars: ['t', 'T', 'f', 'F'],
    resolve: resolveBoolean,
    identify: () => false,
  }),
  defineScalarTag('tag:yaml.org,2002:int', {
    implicit: true,
    implicitFirstChars: ['-', '+', ...DIGITS],
    resolve: resolveNumber,
    identify: () => false,
  }),
  defineScalarTag('tag:yaml.org,2002:float', {
    implicit: true,
    implicitFirstChars: ['-', '+', '.', ...DIGITS],
    resolve: resolveNumber,
    identify: () => false,
  }),
);

/** `text` (of `file`) as plain data, or undefined when js-yaml cannot read it. */
export function readPlain(text: string, file: string): PlainFile | undefined {
  return readPlainOrWhy(text, file).plain;
}

/** As readPlain; when js-yaml's parser stops at a syntax error, also where (an offset into `text`). */
export function readPlainOrWhy(
  text: string,
  file: string,
): { plain: PlainFile | undefined; syntaxErrorAt?: number } {
  // JSON (most machine-written configs) by JSON.parse, when that reads what js-yaml would.
  // Declined when a key is written twice (JSON.parse keeps the last, YAML refuses it) or past the
  // bounds: js-yaml then reads it as before, and the located reading says what is wrong where.
  const json = readJson(text, file);
  if (json && keysWithinBounds(json.value) === json.keysWritten) {
    return { plain: { value: json.value, jobAt: json.jobAt } };
  }
  return readYamlOrWhy(text, file);
}

/** As readPlainOrWhy, by js-yaml alone (for any text, JSON included). */
export function readYamlOrWhy(
  text: string,
  file: string,
): { plain: PlainFile | undefined; syntaxErrorAt?: number } {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: PARSER_MAX_DEPTH });
  } catch (err) {
    // A YAMLException, or a RangeError from a document nested past the stack.
    return {
      plain: undefined,
      ...(err instanceof YAMLException && err.mark ? { syntaxErrorAt: err.mark.position } : {}),
    };
  }
  let documents: unknown[];
  try {
    documents = constructFromEvents(events, { source: text, schema: SCHEMA });
  } catch {
    return { plain: undefined };
  }
  if (documents.length > 1) return { plain: undefined };
  const value = documents.length === 0 ? null : (documents[0] ?? null);
  // An alias is the same object as its anchor here: a few of them can stand for billions of values.
  if (keysWithinBounds(value) === undefined) return { plain: undefined };
  return { plain: { value, jobAt: jobPositions(events, text, file) } };
}

/**
 * The keys of every map in `root` (aliases expanded), when it holds at most MAX_EXPANDED_VALUES
 * values (keys count) nested at most MAX_DEPTH deep; else undefined.
 */
function keysWithinBounds(root: unknown): number | undefined {
  let count = 0;
  let keys = 0;
  const walk = (value: unknown, depth: number): boolean => {
    if (++count > MAX_EXPANDED_VALUES || depth > MAX_DEPTH) return false;
    if (value === null || typeof value !== 'object') return true;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) if (!walk(item, depth + 1)) return false;
      return true;
    }
    for (const key in value) {
      count++;
      keys++;
      if (!walk((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  return walk(root, 0) ? keys : undefined;
}

/** The keys of the root map's `jobs` map, each at the start of its text. */
function jobPositions(events: Event[], text: string, file: string): Map<string, SourceLocation> {
  const at = new Map<string, SourceLocation>();
  const lines = new LineCounter(text);
  for (const jobKey of jobKeyEvents(events, text).keys) {
    const start = keyStart(jobKey);
    if (start !== undefined) at.set(keyOf(jobKey, text), { file, ...lines.at(start) });
  }
  return at;
}

/**
 * The scalar keys of the root map's `jobs` map, in order (a key that is not a
 * scalar is left out), and whether that map is written in flow style ({...}).
 */
export function jobKeyEvents(events: Event[], text: string): { keys: ScalarEvent[]; flow: boolean } {
  const keys: ScalarEvent[] = [];
  let flow = false;
  if (events[0]?.type !== EVENT_ID.DOCUMENT || events[1]?.type !== EVENT_ID.MAPPING) return { keys, flow };
  let i = 2;
  while (i < events.length && events[i]!.type !== EVENT_ID.POP) {
    const key = events[i]!;
    const value = nodeEnd(events, i);
    const next = nodeEnd(events, value);
    if (
      key.type === EVENT_ID.SCALAR &&
      keyOf(key, text) === 'jobs' &&
      events[value]?.type === EVENT_ID.MAPPING
    ) {
      flow = (events[value] as MappingEvent).style === COLLECTION_STYLE.FLOW;
      let j = value + 1;
      while (j < events.length && events[j]!.type !== EVENT_ID.POP) {
        const jobKey = events[j]!;
        if (jobKey.type === EVENT_ID.SCALAR) keys.push(jobKey);
        j = nodeEnd(events, nodeEnd(events, j));
      }
    }
    i = next;
  }
  return { keys, flow };
}

/** The index just past the node that starts at `i`. */
function nodeEnd(events: Event[], i: number): number {
  const type = events[i]?.type;
  if (type !== EVENT_ID.SEQUENCE && type !== EVENT_ID.MAPPING) return i + 1;
  let depth = 0;
  for (let j = i; j < events.length; j++) {
    const t = events[j]!.type;
    if (t === EVENT_ID.SEQUENCE || t === EVENT_ID.MAPPING) depth++;
    else if (t === EVENT_ID.POP && --depth === 0) return j + 1;
  }
  return events.length;
}

/** A scalar key as the map's key: a plain one as the schema reads it, then as text. */
function keyOf(event: ScalarEvent, text: string): string {
  const written = getScalarValue(text, event);
  if (event.style !== SCALAR_STYLE.PLAIN || event.tagStart !== -1) return written;
  return String(plainValue(written));
}

/**
 * Where a key is written, as the yaml package places a node: at its text (its opening quote
 * included), not at an anchor or tag before it. Undefined for an empty key.
 */
export function keyStart(event: ScalarEvent): number | undefined {
  if (event.valueStart < 0) return undefined;
  const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
  return quoted ? event.valueStart - 1 : event.valueStart;
}
