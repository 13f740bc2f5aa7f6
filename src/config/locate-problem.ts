// From a path inside the config data (as zod reports it) back to the YAML node
// it came from, and so to file:line:column.
import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { ConfigProblem } from './types.js';
import type { SourceFile } from './yaml-source.js';
import { lineAndColumn } from './yaml-text.js';

export type PathSegment = string | number;

/** Where a path is rooted: the whole document, or one job's entry. */
export interface NodeContext {
  source: SourceFile;
  /** The node the relative paths start from. */
  root: unknown;
  /** The map key under which `root` stands (a job's name), if any. */
  rootKey: unknown;
  /** Path of `root` in the config, e.g. ['jobs', 'nightly-report']. */
  basePath: PathSegment[];
}

/**
 * Point at the value (`at: 'value'`) or at its key (`at: 'key'`; for unknown
 * keys and whole-entry problems). A path that does not exist (a missing key)
 * points at the key of its nearest existing ancestor.
 */
export type Anchor = 'value' | 'key';

/** A problem at a path of the config data: relative to a job's entry or a map, until it is placed in its file. */
export interface PathIssue {
  path: PathSegment[];
  message: string;
  at: Anchor;
}

/** `jobs.nightly-report.command[0]` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function problemAt(
  ctx: NodeContext,
  path: readonly PathSegment[],
  message: string,
  at: Anchor = 'value',
): ConfigProblem {
  const offset = locate(ctx, path, at);
  const position =
    offset === undefined ? { file: ctx.source.file, line: 1, column: 1 } : positionAt(ctx.source, offset);
  return { ...position, path: formatPath([...ctx.basePath, ...path]), message };
}

/** Start offset of a node, if it has a range. */
export function nodeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function locate(ctx: NodeContext, path: readonly PathSegment[], at: Anchor): number | undefined {
  let value: unknown = ctx.root;
  let key: unknown = ctx.rootKey;
  let found = true;
  for (const seg of path) {
    const node = isAlias(value) ? ctx.source.aliasTargets.get(value) : value;
    if (isMap(node)) {
      // The last of duplicate keys wins, as in the plain data.
      const pair = node.items.findLast((p) => keyText(p.key) === String(seg));
      if (!pair) {
        found = false;
        break;
      }
      value = pair.value;
      key = pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      value = node.items[seg];
      key = undefined;
    } else {
      found = false;
      break;
    }
  }
  const keyStart = nodeStart(key);
  if (!found || at === 'key') return keyStart ?? nodeStart(value);
  // An empty value (`timeout:`) has an empty range at the end of the line: point at its key.
  if (isScalar(value) && value.value === null && value.range && value.range[0] === value.range[1]) {
    return keyStart ?? value.range[0];
  }
  return nodeStart(value) ?? keyStart;
}

/** Line and column (from 1) of a character offset. */
export function positionAt(
  source: SourceFile,
  offset: number,
): { file: string; line: number; column: number } {
  return { file: source.file, ...lineAndColumn(source.lineStarts, offset) };
}

/** The text of a map key, as the key of the plain-data object it becomes. */
export function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}
