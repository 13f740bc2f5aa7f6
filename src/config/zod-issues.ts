// zod issues as config problems: plain-language messages, each at its path in
// the config data (located later, if at all: locate-problem.ts), unknown keys
// one by one with a "did you mean" hint.
import { z } from 'zod';
import type { PathIssue, PathSegment } from './locate-problem.js';
import { describeValue } from './field-values.js';
import { suggest } from '../text/suggest.js';

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
};

/** Messages for zod's built-in issues; messages set in the schema take precedence. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array' || iss.origin === 'string') return 'must not be empty';
      return `must be at least ${String(iss.minimum)}, got ${describeValue(iss.input)}`;
    case 'too_big':
      return `must be at most ${String(iss.maximum)}, got ${describeValue(iss.input)}`;
    case 'invalid_value':
      return `${describeValue(iss.input)} is not one of: ${iss.values.map(String).join(', ')}`;
    default:
      return undefined;
  }
};

/** Options for every safeParse of config data. */
export const PARSE_OPTIONS = { reportInput: true, error: errorMap } as const;

/** One problem per zod issue (per key for unknown keys). */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): PathIssue[] {
  const problems: PathIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((seg): seg is PathSegment => typeof seg !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        const message = `unknown key '${key}'${hint ? `; did you mean '${hint}'?` : ''}`;
        problems.push({ path: [...path, key], message, at: 'key' });
      }
    } else if (issue.code === 'invalid_key') {
      problems.push({ path, message: issue.issues[0]?.message ?? issue.message, at: 'key' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined && path.length > 0) {
      problems.push({ path, message: `missing required key '${String(path.at(-1))}'`, at: 'value' });
    } else {
      problems.push({ path, message: issue.message, at: 'value' });
    }
  }
  return problems;
}

/** The keys a strict object accepts at `path` inside `schema`. */
function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let s: unknown = unwrap(schema);
  for (const seg of path) {
    if (s instanceof z.ZodObject) s = s.shape[String(seg)];
    else if (s instanceof z.ZodRecord) s = s.valueType;
    else if (s instanceof z.ZodArray) s = s.element;
    else return [];
    s = unwrap(s);
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap();
    else if (s instanceof z.ZodPipe) s = s.in;
    else return s;
  }
}
