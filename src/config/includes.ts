// `include:` patterns → the files they name. A pattern is relative to the
// including file; '*' and '?' may appear in its last segment only; matches are
// sorted by name. A wildcard pattern matching nothing is fine, a literal path
// that does not exist is an error.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PathSegment } from './locate-problem.js';
import { describeValue } from './field-values.js';

/** A problem of the `include` value, at a path inside the main file (the caller locates it). */
export interface IncludeIssue {
  at: PathSegment[];
  message: string;
}

export interface IncludeResult {
  /** Absolute paths, in pattern order, each pattern's matches sorted by name, without repeats. */
  files: string[];
  issues: IncludeIssue[];
}

/** `raw` is the plain value of the `include` key of `mainFile` (absolute). */
export async function expandIncludes(mainFile: string, raw: unknown): Promise<IncludeResult> {
  const issues: IncludeIssue[] = [];
  const patterns: { pattern: string; at: PathSegment[] }[] = [];
  if (raw === undefined || raw === null) return { files: [], issues };
  if (typeof raw === 'string') {
    patterns.push({ pattern: raw, at: ['include'] });
  } else if (Array.isArray(raw)) {
    raw.forEach((item: unknown, i) => {
      if (typeof item === 'string') patterns.push({ pattern: item, at: ['include', i] });
      else
        issues.push({ at: ['include', i], message: `expected a file pattern, got ${describeValue(item)}` });
    });
  } else {
    issues.push({
      at: ['include'],
      message: `expected a file pattern or a list of them, got ${describeValue(raw)}`,
    });
  }

  const baseDir = path.dirname(mainFile);
  const files: string[] = [];
  const seen = new Set<string>([mainFile]);
  for (const { pattern, at } of patterns) {
    const result = await expandPattern(baseDir, pattern);
    if (typeof result === 'string') {
      issues.push({ at, message: result });
      continue;
    }
    for (const file of result) {
      if (!seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
  }
  return { files, issues };
}

/** The matching files, or a message saying why the pattern is wrong. */
async function expandPattern(baseDir: string, pattern: string): Promise<string[] | string> {
  if (pattern.trim() === '') return 'an include pattern must not be empty';
  const absolute = path.resolve(baseDir, pattern);
  const dir = path.dirname(absolute);
  const last = path.basename(absolute);
  if (/[*?]/.test(dir)) return `'${pattern}': wildcards ('*', '?') are only allowed in the last path segment`;

  if (!/[*?]/.test(last)) {
    try {
      const info = await stat(absolute);
      return info.isFile() ? [absolute] : `included path '${absolute}' is not a file`;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return e.code === 'ENOENT'
        ? `included file '${absolute}' does not exist`
        : `cannot read included file '${absolute}': ${e.message}`;
    }
  }

  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return [];
    return `cannot list directory '${dir}' for '${pattern}': ${e.message}`;
  }
  const regex = wildcardRegex(last);
  const matches: string[] = [];
  for (const name of names.filter((n) => regex.test(n)).sort()) {
    const file = path.join(dir, name);
    try {
      if ((await stat(file)).isFile()) matches.push(file);
    } catch {
      // A dangling symlink or a file removed meanwhile: not a match.
    }
  }
  return matches;
}

/** '*' = any run of characters, '?' = one character; like a shell, neither matches a leading '.'. */
function wildcardRegex(segment: string): RegExp {
  const body = segment
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')))
    .join('');
  const hiddenGuard = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hiddenGuard}${body}$`, 's');
}
