// The kinds of value a config field takes, as zod types that read what a
// user writes in YAML or JSON: durations, sizes, integers and booleans (also
// as text), and text from any scalar; and how a value is named in a message.
import { z } from 'zod';
import { formatDuration, parseDuration } from '../schedule/duration.js';
import { yamlBoolean, yamlNumber } from './yaml-scalars.js';

const DURATION_HINT = 'use e.g. 500ms, 90s, 15m, 24h, 7d';
const SIZE_HINT = 'use a number of bytes or e.g. 512B, 16KB, 16KiB, 1MiB';

/** A value for a message: strings quoted, containers named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** Milliseconds of a duration as written in the config (a bare 0 is allowed), or undefined. */
export function durationMsOf(value: unknown): number | undefined {
  if (value === 0 || value === '0') return 0;
  return typeof value === 'string' ? parseDuration(value) : undefined;
}

/** A duration string → ms. `minMs` defaults to 1 (i.e. > 0). */
export function duration(opts: { minMs?: number; wholeSeconds?: boolean } = {}) {
  const minMs = opts.minMs ?? 1;
  return z.unknown().transform((value, ctx): number => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof value !== 'string' && typeof value !== 'number') {
      return fail(`expected a duration such as 90s, got ${describeValue(value)}`);
    }
    const ms = durationMsOf(value);
    // A bare number is the likeliest slip (`timeout: 30`): say what is missing.
    if (ms === undefined && typeof value === 'number') return fail(`${value} has no unit; ${DURATION_HINT}`);
    if (ms === undefined) return fail(`'${value}' is not a duration; ${DURATION_HINT}`);
    if (ms < minMs) {
      return fail(minMs <= 1 ? 'must be greater than 0' : `must be at least ${formatDuration(minMs)}`);
    }
    if (opts.wholeSeconds && ms % 1000 !== 0) return fail(`'${value}' is not a whole number of seconds`);
    return ms;
  });
}

const SIZE_UNITS = { B: 1, KB: 1_000, KiB: 1_024, MB: 1_000_000, MiB: 1_048_576 } as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB)?$/;

/**
 * Bytes of a size as written in the config (an integer number of bytes, or a
 * number with B, KB, KiB, MB or MiB), or undefined when it is not one. May be
 * fractional (0.1KiB): the caller insists on whole bytes.
 */
export function sizeBytesOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SIZE.exec(value.trim());
  if (!m?.[1]) return undefined;
  const unit = m[2] as keyof typeof SIZE_UNITS | undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[unit ?? 'B'];
  // 1.1KB is 1100 bytes, not 1100.0000000000002.
  const whole = Math.round(bytes);
  return Math.abs(bytes - whole) < 1e-6 ? whole : bytes;
}

/** A compact form of a byte count: 1048576 → 1MiB, 16384 → 16KiB, 1000 → 1000B. */
function formatSize(bytes: number): string {
  if (bytes > 0 && bytes % 1_048_576 === 0) return `${bytes / 1_048_576}MiB`;
  if (bytes > 0 && bytes % 1_024 === 0) return `${bytes / 1_024}KiB`;
  return `${bytes}B`;
}

/** A size → bytes, 0 <= bytes <= maxBytes. */
export function size(opts: { maxBytes: number }) {
  return z.unknown().transform((value, ctx): number => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof value !== 'string' && typeof value !== 'number') {
      return fail(`expected a size such as 16KiB, got ${describeValue(value)}`);
    }
    const bytes = sizeBytesOf(value);
    if (bytes === undefined) return fail(`'${value}' is not a size; ${SIZE_HINT}`);
    if (!Number.isInteger(bytes)) return fail(`'${value}' is not a whole number of bytes`);
    if (bytes > opts.maxBytes) return fail(`must be at most ${formatSize(opts.maxBytes)}, got '${value}'`);
    return bytes;
  });
}

/** A string, number or boolean, as a string (env values, header values). */
export function scalarString() {
  return z.unknown().transform((value, ctx): string => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    ctx.addIssue({
      code: 'custom',
      message: `expected a string, number or boolean, got ${describeValue(value)}`,
    });
    return z.NEVER;
  });
}

/** A number field: also as text written as a YAML number (yaml-scalars.ts). */
export function int(min: number) {
  return z.preprocess(yamlNumber, z.number().int().min(min));
}

/** A boolean field: also `True`, `FALSE` and the like (yaml-scalars.ts). */
export function bool() {
  return z.preprocess(yamlBoolean, z.boolean());
}
