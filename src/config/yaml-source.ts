// Reading one config file into a YAML document that keeps source ranges, and
// the problems the YAML layer itself finds: syntax errors, duplicate keys,
// unknown aliases.
import type { ConfigFiles } from './config-files.js';
import {
  type Document,
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
import type { ConfigProblem } from './types.js';
import { plainValue } from './yaml-scalars.js';

export interface SourceFile {
  /** Absolute path. */
  file: string;
  doc: Document.Parsed;
  /**
   * Offsets at which each line starts ('\n' ends a line, as for the parser).
   * Counted here rather than by the parser's LineCounter, which skips a line
   * after some syntax errors and would then place every later problem a line off.
   */
  lineStarts: number[];
}

export interface ReadResult {
  /** Undefined when the file could not be read. */
  source: SourceFile | undefined;
  /** The document as plain data; only meaningful when `usable`. */
  value: unknown;
  /** False when the document is too broken to validate further. */
  usable: boolean;
  problems: ConfigProblem[];
}

/** Reads (through `files`) and parses `file` (absolute). Never throws for a bad or missing file. */
export async function readSource(file: string, files: ConfigFiles): Promise<ReadResult> {
  const read = await files.read(file);
  if (read.problem) return { source: undefined, value: undefined, usable: false, problems: [read.problem] };
  const text = read.text;
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  keepWrittenText(doc);
  const source: SourceFile = { file, doc, lineStarts: lineStartsOf(text) };
  const problems: ConfigProblem[] = doc.errors.map((err) => syntaxProblem(source, err));
  const structural = checkStructure(source);
  problems.push(...structural.problems);
  let usable = doc.errors.length === 0 && structural.aliasesOk;
  let value: unknown;
  if (usable) {
    try {
      value = doc.toJS();
    } catch (err) {
      problems.push(docProblem(file, (err as Error).message));
      usable = false;
    }
  }
  return { source, value, usable, problems };
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

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function docProblem(file: string, message: string): ConfigProblem {
  return { file, line: 1, column: 1, path: '', message };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Duplicate keys in any map (the second one is reported, pointing at the first)
 * and aliases to unknown anchors. Duplicates among job names are left to the
 * job collector, which reports them the same way as duplicates across files.
 */
function checkStructure(source: SourceFile): { problems: ConfigProblem[]; aliasesOk: boolean } {
  const problems: ConfigProblem[] = [];
  let aliasesOk = true;
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (isAlias(node)) {
      if (node.resolve(source.doc) === undefined) {
        problems.push({
          ...positionAt(source, nodeStart(node) ?? 0),
          path: formatPath(path),
          message: `unknown alias '*${node.source}'`,
        });
        aliasesOk = false;
      }
    } else if (isMap(node)) {
      const first = new Map<string, number>();
      const isJobsMap = path.length === 1 && path[0] === 'jobs';
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const offset = nodeStart(pair.key) ?? 0;
        const earlier = first.get(key);
        if (earlier === undefined) {
          first.set(key, offset);
        } else if (!isJobsMap) {
          const { line, column } = positionAt(source, earlier);
          problems.push({
            ...positionAt(source, offset),
            path: formatPath([...path, key]),
            message: `duplicate key '${key}' (first at line ${line}, column ${column})`,
          });
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(source.doc.contents, []);
  return { problems, aliasesOk };
}
