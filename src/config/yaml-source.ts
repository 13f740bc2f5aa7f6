// Reading one config file into a YAML document that keeps source ranges, and
// the problems the YAML layer itself finds: syntax errors, duplicate keys,
// unknown aliases.
import { open } from 'node:fs/promises';
import { unsafeConfigFile } from './file-permissions.js';
import { type Document, isAlias, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { formatPath, keyText, nodeStart, type PathSegment, positionAt } from './locate-problem.js';
import type { ConfigProblem } from './types.js';

export interface SourceFile {
  /** Absolute path. */
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
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

/**
 * Reads and parses `file` (absolute). Never throws for a bad or missing file.
 * Unless `insecure`, a file others could have written is refused (see file-permissions.ts).
 */
export async function readSource(file: string, options: { insecure?: boolean } = {}): Promise<ReadResult> {
  let text: string;
  try {
    // Check the file that is read, not a path that could be swapped in between.
    const handle = await open(file, 'r');
    try {
      const unsafe = options.insecure ? undefined : unsafeConfigFile(await handle.stat(), process.getuid?.());
      if (unsafe)
        return { source: undefined, value: undefined, usable: false, problems: [docProblem(file, unsafe)] };
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    const message = `cannot read config file: ${(err as Error).message}`;
    return { source: undefined, value: undefined, usable: false, problems: [docProblem(file, message)] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const source: SourceFile = { file, doc, lineCounter };
  const problems: ConfigProblem[] = doc.errors.map((err) => ({
    ...positionAt(source, err.pos[0]),
    path: '',
    message: firstLine(err.message),
  }));
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
