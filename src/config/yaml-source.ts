// The located reading of a config file: the `yaml` package's document, with
// source ranges, and the problems the YAML layer itself finds (syntax errors,
// duplicate keys and job names, unknown aliases, alias bombs, nesting). Used
// where the plain reading (read-plain.ts) cannot read a file, and to place the
// problems found in the data at file:line:column (locate-problem.ts).
import {
  type Alias,
  type Document,
  type Node,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { formatPath, keyText, nodeStart, type PathSegment, positionAt } from './locate-problem.js';
import { MAX_DEPTH, MAX_EXPANDED_VALUES, type PlainFile } from './read-plain.js';
import type { ConfigProblem, SourceLocation } from './types.js';
import { plainValue } from './yaml-scalars.js';
import { lineStarts } from './yaml-text.js';

export interface SourceFile {
  /** Absolute path. */
  file: string;
  doc: Document.Parsed;
  /** The anchored node each alias stands for (checkStructure); an alias missing here is unknown. */
  aliasTargets: Map<Alias, Node>;
  /**
   * Offsets at which each line starts ('\n' ends a line, as for the parser).
   * Counted here rather than by the parser's LineCounter, which skips a line
   * after some syntax errors and would then place every later problem a line off.
   */
  lineStarts: number[];
}

export interface LocatedReading {
  source: SourceFile;
  /** The document as plain data, when it is sound enough to be validated. */
  plain: PlainFile | undefined;
  problems: ConfigProblem[];
}

/** Parses `text` of `file` (absolute) with source ranges. */
export function readLocated(file: string, text: string): LocatedReading {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  keepWrittenText(doc);
  const source: SourceFile = { file, doc, aliasTargets: new Map(), lineStarts: lineStarts(text) };
  const problems: ConfigProblem[] = doc.errors.map((err) => syntaxProblem(source, err));
  const structural = checkStructure(source);
  for (const p of structural.problems) problems.push(p);
  if (doc.errors.length > 0 || !structural.aliasesOk) return { source, plain: undefined, problems };
  const value = doc.contents === null ? null : nodeValue(source, doc.contents);
  return { source, plain: { value, jobAt: jobPositions(source) }, problems };
}

/** Where each key of the root map's `jobs` map is written (the first, for a key written twice). */
export function jobPositions(source: SourceFile): Map<string, SourceLocation> {
  const at = new Map<string, SourceLocation>();
  const root = source.doc.contents;
  if (!isMap(root)) return at;
  const pair = root.items.findLast((p) => keyText(p.key) === 'jobs');
  const jobs = isAlias(pair?.value) ? source.aliasTargets.get(pair.value) : pair?.value;
  if (!isMap(jobs)) return at;
  for (const job of jobs.items) {
    const name = keyText(isAlias(job.key) ? source.aliasTargets.get(job.key) : job.key);
    if (!at.has(name)) at.set(name, positionAt(source, nodeStart(job.key) ?? 0));
  }
  return at;
}

/** Plain scalars, keys included, read as yaml-scalars.ts says: a number or boolean whose text would change stays text. */
export function keepWrittenText(doc: Document.Parsed): void {
  visit(doc, {
    Scalar(_key, node) {
      if (node.type !== 'PLAIN' || typeof node.source !== 'string') return;
      if (typeof node.value === 'number' || typeof node.value === 'boolean')
        node.value = plainValue(node.source);
    },
  });
}

/**
 * A YAML syntax error. An unclosed quote or flow collection is reported where
 * it opens: the parser notices it only at the end of the file or the block,
 * which may be many lines later and tells the reader nothing.
 */
function syntaxProblem(source: SourceFile, err: YAMLError): ConfigProblem {
  const at = err.pos[0];
  const opened = unclosedAt(source, err, at);
  if (opened) return { ...positionAt(source, opened.offset), path: '', message: opened.message };
  return { ...positionAt(source, at), path: '', message: firstLine(err.message) };
}

function unclosedAt(
  source: SourceFile,
  err: YAMLError,
  at: number,
): { offset: number; message: string } | undefined {
  const quote =
    err.code === 'MISSING_CHAR' && /closing "quote/.test(err.message) ? 'QUOTE_DOUBLE' : undefined;
  const squote =
    err.code === 'MISSING_CHAR' && /closing 'quote/.test(err.message) ? 'QUOTE_SINGLE' : undefined;
  const flow = /^Flow (sequence|map) in block collection/.exec(err.message)?.[1];
  if (!quote && !squote && !flow) return undefined;
  // The innermost node of that kind whose range reaches the error.
  let found: { offset: number; message: string } | undefined;
  visit(source.doc, (_key, node) => {
    const range = isNode(node) ? node.range : undefined;
    if (!range || range[0] >= at || at > range[2]) return;
    if (isScalar(node) && (node.type === quote || node.type === squote)) {
      const q = node.type === 'QUOTE_DOUBLE' ? '"' : "'";
      found = { offset: range[0], message: `the string opened by this ${q} is never closed` };
    } else if (flow === 'sequence' && isSeq(node) && node.flow) {
      found = {
        offset: range[0],
        message: `this '[' is not closed by a ']' (or a line of the list is not indented enough)`,
      };
    } else if (flow === 'map' && isMap(node) && node.flow) {
      found = {
        offset: range[0],
        message: `this '{' is not closed by a '}' (or a line of the map is not indented enough)`,
      };
    }
  });
  return found;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * A node as plain data, aliases expanded (each use a copy of its own, within
 * the budget checkStructure enforced), map keys as strings.
 */
export function nodeValue(source: SourceFile, node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isAlias(node)) {
    const target = source.aliasTargets.get(node);
    return target === undefined ? undefined : nodeValue(source, target);
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = isNode(pair.key) ? nodeValue(source, pair.key) : pair.key;
      // As keyText names it, and as the plain reading does (`~:` is the key 'null').
      const key = k === undefined ? '' : k !== null && typeof k === 'object' ? JSON.stringify(k) : String(k);
      const value = isNode(pair.value) ? nodeValue(source, pair.value) : (pair.value ?? null);
      // A key '__proto__' is a key like any other, not the object's prototype.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => (isNode(item) ? nodeValue(source, item) : (item ?? null)));
  return null;
}

/**
 * Duplicate keys in any map (the second one is reported, pointing at the first),
 * aliases to unknown anchors, and bounds: the document's values with its
 * aliases expanded (MAX_EXPANDED_VALUES) and its nesting (MAX_DEPTH), each
 * reported where it is passed. Records what each alias stands for
 * (source.aliasTargets), in one pass: resolving each alias by a search of the
 * document was quadratic. A job name written twice in one `jobs` map is said
 * the way validate-config.ts says one defined in two files.
 */
function checkStructure(source: SourceFile): { problems: ConfigProblem[]; aliasesOk: boolean } {
  const problems: ConfigProblem[] = [];
  let aliasesOk = true;
  // The node each anchor names at this point of the document (a later one replaces it), with its
  // expanded size and height.
  const anchors = new Map<string, { node: Node; size: number; height: number }>();
  let total = 0;
  let bounded = false;
  const exceed = (node: unknown, path: PathSegment[], message: string): void => {
    if (bounded) return;
    bounded = true;
    aliasesOk = false;
    problems.push({ ...positionAt(source, nodeStart(node) ?? 0), path: formatPath(path), message });
  };
  /** Walks `node`; returns its size and height with aliases expanded. */
  const walk = (node: unknown, path: PathSegment[], depth: number): { size: number; height: number } => {
    const measured = measure(node, path, depth);
    if (isNode(node) && node.anchor) anchors.set(node.anchor, { node, ...measured });
    return measured;
  };
  const measure = (node: unknown, path: PathSegment[], depth: number): { size: number; height: number } => {
    if (depth > MAX_DEPTH) {
      exceed(node, path, `nested more than ${MAX_DEPTH} levels deep`);
      return { size: 1, height: 0 };
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) {
        problems.push({
          ...positionAt(source, nodeStart(node) ?? 0),
          path: formatPath(path),
          message: `unknown alias '*${node.source}'`,
        });
        aliasesOk = false;
        return { size: 1, height: 0 };
      }
      source.aliasTargets.set(node, target.node);
      total += target.size - 1;
      if (total > MAX_EXPANDED_VALUES) {
        exceed(node, path, `aliases expand the document past ${MAX_EXPANDED_VALUES} values (an alias bomb?)`);
      } else if (depth + target.height > MAX_DEPTH) {
        exceed(node, path, `nested more than ${MAX_DEPTH} levels deep once '*${node.source}' is expanded`);
      }
      return { size: target.size, height: target.height };
    }
    total++;
    if (isMap(node)) {
      const first = new Map<string, number>();
      const isJobsMap = path.length === 1 && path[0] === 'jobs';
      let size = 1;
      let height = 0;
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const offset = nodeStart(pair.key) ?? 0;
        const earlier = first.get(key);
        if (earlier === undefined) {
          first.set(key, offset);
        } else {
          const { line, column } = positionAt(source, earlier);
          problems.push({
            ...positionAt(source, offset),
            path: formatPath([...path, key]),
            message: isJobsMap
              ? `duplicate job '${key}'; first defined at ${source.file}:${line}:${column}`
              : `duplicate key '${key}' (first at line ${line}, column ${column})`,
          });
        }
        const k = walk(pair.key, [...path, key], depth + 1);
        const v = walk(pair.value, [...path, key], depth + 1);
        size += k.size + v.size;
        height = Math.max(height, k.height + 1, v.height + 1);
      }
      return { size, height };
    }
    if (isSeq(node)) {
      let size = 1;
      let height = 0;
      node.items.forEach((item, i) => {
        const m = walk(item, [...path, i], depth + 1);
        size += m.size;
        height = Math.max(height, m.height + 1);
      });
      return { size, height };
    }
    return { size: 1, height: 0 };
  };
  walk(source.doc.contents, [], 0);
  return { problems, aliasesOk };
}
