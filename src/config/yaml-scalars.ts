// What a plain YAML scalar means. The YAML 1.2 core schema makes `0644` the
// number 644, `0x10` 16, `1e3` 1000 and `True` true; a config value is most
// often text (an environment value, a job name, an argument) and a user who
// writes `0644` means `0644`. So a plain scalar is read as the core schema
// reads it only when that keeps what was written (`5`, `1.5`, `true`); else it
// stays the text written, and the fields that want a number or a boolean take
// such text as the core schema would (yamlNumber, yamlBoolean). One rule for
// both readings of a config (yaml-subset.ts, yaml-source.ts).

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const DASH = 0x2d;

/** A plain scalar's value by the YAML 1.2 core schema, tested in the `yaml` package's order. */
export function coreValue(text: string): unknown {
  if (NULL.test(text)) return null;
  const c = text.charCodeAt(0);
  // Only these can start a bool or a number: skip the tests for everything else.
  const numeric = (c >= 0x30 && c <= 0x39) || c === 0x2b || c === DASH || c === 0x2e;
  if (!numeric) {
    if (BOOL.test(text)) return c === 0x74 || c === 0x54;
    return text;
  }
  if (INT_OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_NAN.test(text)) {
    if (text.slice(-3).toLowerCase() === 'nan') return NaN;
    return text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}

/** A plain scalar as a config value: the core schema's, when that keeps what was written; else the text. */
export function plainValue(text: string): unknown {
  const value = coreValue(text);
  if (value === null || typeof value === 'string') return value;
  return String(value) === text ? value : text;
}

/** For a field that wants a number: text written as a YAML number (`0x10`, `1e3`) is that number. */
export function yamlNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = coreValue(value.trim());
  return typeof v === 'number' ? v : value;
}

/** For a field that wants a boolean: `True`, `FALSE` and the like are booleans. */
export function yamlBoolean(value: unknown): unknown {
  if (typeof value !== 'string' || !BOOL.test(value)) return value;
  return value.charCodeAt(0) === 0x74 || value.charCodeAt(0) === 0x54;
}
