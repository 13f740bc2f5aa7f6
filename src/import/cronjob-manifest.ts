// Kubernetes manifests read for `import cronjob`: every YAML document of a
// file (a `List` gives its items), as the API server reads them (YAML 1.1:
// `yes` is true), each node with the line it starts on. Pure.
import {
  type Document,
  LineCounter,
  type Node,
  type Pair,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
} from 'yaml';

/** A node and where it is: the offset in the text of its key, or of the node itself for a list item. */
export interface Located {
  node: Node | null;
  offset: number;
}

export interface Manifests {
  /** The objects of the documents, in order (a List's items in its place). */
  objects: Located[];
  /** Where a document cannot be read. */
  problems: Array<{ line: number; message: string }>;
  /** The text of line `n` (1-based), for notes. */
  lineText(n: number): string;
  /** The line (1-based) of an offset. */
  lineAt(offset: number): number;
}

/** The manifests of `text`. */
export function readManifests(text: string): Manifests {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), {
    lineCounter: counter,
    version: '1.1',
    uniqueKeys: true,
  }) as Document[] | { empty: true };
  const lines = text.split(/\r?\n/);
  const manifests: Manifests = {
    objects: [],
    problems: [],
    lineText: (n) => lines[n - 1] ?? '',
    lineAt: (offset) => counter.linePos(offset).line,
  };
  if (!Array.isArray(docs)) return manifests;
  for (const doc of docs) {
    for (const e of doc.errors) {
      // The note gives the line: the message without the position the yaml package adds.
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      manifests.problems.push({ line: e.linePos?.[0].line ?? 1, message });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue;
    const root = doc.contents as Node;
    const kind = scalar(field(root, 'kind')?.node);
    const items = field(root, 'items')?.node;
    if (kind === 'List' && isSeq(items)) {
      for (const item of items.items as Node[])
        manifests.objects.push({ node: item, offset: offsetOf(item) });
    } else manifests.objects.push({ node: root, offset: offsetOf(root) });
  }
  return manifests;
}

/** The value of `key` in a map node, with the line of its key; undefined when absent or `node` is no map. */
export function field(node: Node | null | undefined, key: string): Located | undefined {
  if (!isMap(node)) return undefined;
  const pair = (node.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair) return undefined;
  return { node: (pair.value ?? null) as Node | null, offset: offsetOf(pair.key as Node) };
}

function offsetOf(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

/** The keys of a map node, each with its located value. */
export function entries(node: Node | null | undefined): Array<[string, Located]> {
  if (!isMap(node)) return [];
  return (node.items as Pair[]).flatMap((p) => {
    if (!isScalar(p.key)) return [];
    const located: Located = { node: (p.value ?? null) as Node | null, offset: offsetOf(p.key as Node) };
    return [[String(p.key.value), located] as [string, Located]];
  });
}

/** A scalar node's value, or undefined. */
export function scalar(node: Node | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

/** The items of a sequence node, or undefined when it is none. */
export function items(node: Node | null | undefined): Node[] | undefined {
  return isSeq(node) ? (node.items as Node[]) : undefined;
}
