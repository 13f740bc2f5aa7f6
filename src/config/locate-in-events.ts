// From a path inside the config data back to file:line:column, from js-yaml's
// parser events: the placement locate-problem.ts makes from the `yaml`
// package's document (its problemAt, rooted at the document), without
// reading the file a second time with that package (seconds at 100,000 jobs).
//
// Same rules, same places: a path is walked from the document's root node (in
// a map, the last pair whose key names the segment; in a list, item [n]; an
// alias followed to its anchored node); a path that does not exist points at
// the key of its nearest existing ancestor; an empty value at its key. A node
// starts where the `yaml` package's range starts: a quoted scalar at its
// opening quote, a block scalar at its `|` or `>`, a scalar's text after its
// anchor and tag, a flow collection at its bracket, a block collection at its
// first `-` or key (at the key's text when that key has an anchor or a tag),
// an alias at its `*`, an empty node just after the indicator, anchor or tag
// before it and the blanks that follow.
import {
  EVENT_ID,
  type Event,
  getScalarValue,
  type MappingEvent,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
  type SequenceEvent,
} from 'js-yaml';
import type { Anchor, PathSegment } from './locate-problem.js';
// As read-plain.ts parses: the same events for the same text.
import { PARSER_MAX_DEPTH } from './read-plain.js';
import { plainValue } from './yaml-scalars.js';

/** COLLECTION_STYLE.BLOCK */
const BLOCK = 1;
/** CHOMPING_MODE.KEEP */
const KEEP = 3;
/** Not computed yet (endAt). */
const UNKNOWN = -2;
/** The walk reached nothing (an index that is not a list index): as `undefined` in locate-problem.ts. */
const NONE = -1;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const BOM = 0xfeff;

type Collection = MappingEvent | SequenceEvent;

export interface EventPosition {
  file: string;
  line: number;
  column: number;
}

export class EventLocator {
  private readonly events: Event[];
  /** For each document, map and list event: the index just past its closing POP. */
  private readonly close: Int32Array;
  /** The anchored node each alias event stands for (the last such anchor before it). */
  private readonly aliasTargets = new Map<number, number>();
  /** Each collection's children, in order: a map's keys and values alternate. */
  private readonly childrenOf = new Map<number, Int32Array>();
  /** Each map's pairs by key name: the index of the last pair of that name. */
  private readonly pairsOf = new Map<number, Map<string, number>>();
  /** Where each node's text ends, as far as computed (UNKNOWN: not yet; -1: nowhere). */
  private readonly endAt: Int32Array;
  private lineStarts: number[] | undefined;

  /** Throws js-yaml's error when it cannot parse `text`. */
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.events = parseEvents(text, { maxDepth: PARSER_MAX_DEPTH });
    this.close = new Int32Array(this.events.length);
    this.endAt = new Int32Array(this.events.length).fill(UNKNOWN);
    this.indexEvents();
  }

  /** undefined if js-yaml cannot parse the text. */
  static read(text: string, file: string): EventLocator | undefined {
    try {
      return new EventLocator(text, file);
    } catch {
      return undefined;
    }
  }

  /**
   * Where the problem at `path` is placed: the value's start (`at: 'value'`) or
   * its key's (`at: 'key'`), as locate-problem.ts problemAt places it; line 1,
   * column 1 where that has nowhere (an empty document).
   */
  at(path: readonly PathSegment[], at: Anchor): EventPosition {
    const offset = this.locate(path, at);
    return offset === undefined ? { file: this.file, line: 1, column: 1 } : this.positionAt(offset);
  }

  // ---- the walk (locate-problem.ts locate) ------------------------------------------------

  private locate(path: readonly PathSegment[], at: Anchor): number | undefined {
    const events = this.events;
    // The first document's root node, if it has one.
    if (events[0]?.type !== EVENT_ID.DOCUMENT || events[1] === undefined || events[1].type === EVENT_ID.POP)
      return undefined;
    let value = 1;
    let valueIn = 0;
    let valueAt = 0;
    let key = NONE;
    let keyIn = 0;
    let found = true;
    for (const seg of path) {
      const node = value === NONE ? NONE : this.resolve(value);
      const type = node === NONE ? undefined : events[node]!.type;
      if (type === EVENT_ID.MAPPING) {
        const pair = this.pairs(node).get(String(seg));
        if (pair === undefined) {
          found = false;
          break;
        }
        key = this.children(node)[2 * pair]!;
        keyIn = node;
        value = this.children(node)[2 * pair + 1]!;
        valueIn = node;
        valueAt = 2 * pair + 1;
      } else if (type === EVENT_ID.SEQUENCE && typeof seg === 'number' && seg < this.children(node).length) {
        // As `node.items[seg]`: nothing at all for an index that is not one (-1, 1.5).
        const items = this.children(node);
        value = Number.isInteger(seg) && seg >= 0 ? items[seg]! : NONE;
        valueIn = node;
        valueAt = seg;
        key = NONE;
      } else {
        found = false;
        break;
      }
    }
    const keyStart = key === NONE ? undefined : this.startOf(key, keyIn, valueAt - 1);
    const valueStart = (): number | undefined =>
      value === NONE ? undefined : this.startOf(value, valueIn, valueAt);
    if (!found || at === 'key') return keyStart ?? valueStart();
    // An empty value (`timeout:`) points at its key.
    if (value !== NONE && this.isEmptyNull(value)) return keyStart ?? valueStart();
    return valueStart() ?? keyStart;
  }

  /** An alias's anchored node (NONE for an unknown anchor); any other node itself. */
  private resolve(node: number): number {
    if (this.events[node]!.type !== EVENT_ID.ALIAS) return node;
    return this.aliasTargets.get(node) ?? NONE;
  }

  /** Document, map and list ends; what each alias stands for. One pass. */
  private indexEvents(): void {
    const { events, text, close } = this;
    const open: number[] = [];
    const anchors = new Map<string, number>();
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case EVENT_ID.DOCUMENT:
          anchors.clear();
          open.push(i);
          break;
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE:
          open.push(i);
          break;
        case EVENT_ID.POP: {
          const start = open.pop();
          if (start === undefined) break;
          close[start] = i + 1;
          const opened = events[start]!;
          // An anchor names its node once the node is complete (as yaml-source.ts checkStructure has it).
          if (
            (opened.type === EVENT_ID.MAPPING || opened.type === EVENT_ID.SEQUENCE) &&
            opened.anchorStart >= 0
          )
            anchors.set(text.slice(opened.anchorStart, opened.anchorEnd), start);
          break;
        }
        case EVENT_ID.SCALAR:
          if (event.anchorStart >= 0) anchors.set(text.slice(event.anchorStart, event.anchorEnd), i);
          break;
        case EVENT_ID.ALIAS: {
          const target = anchors.get(text.slice(event.anchorStart, event.anchorEnd));
          if (target !== undefined) this.aliasTargets.set(i, target);
          break;
        }
      }
    }
  }

  /** The child nodes of a map (keys and values alternating) or list. */
  private children(collection: number): Int32Array {
    let children = this.childrenOf.get(collection);
    if (children) return children;
    const list: number[] = [];
    const end = this.close[collection]! - 1;
    for (let i = collection + 1; i < end;) {
      list.push(i);
      const type = this.events[i]!.type;
      i = type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE ? this.close[i]! : i + 1;
    }
    children = Int32Array.from(list);
    this.childrenOf.set(collection, children);
    return children;
  }

  /** A map's pairs by key name, the last of duplicate keys winning (as in the plain data). */
  private pairs(map: number): Map<string, number> {
    let pairs = this.pairsOf.get(map);
    if (pairs) return pairs;
    pairs = new Map();
    const children = this.children(map);
    for (let p = 0; 2 * p < children.length; p++) pairs.set(this.keyName(children[2 * p]!), p);
    this.pairsOf.set(map, pairs);
    return pairs;
  }

  // ---- key names (locate-problem.ts keyText, after yaml-source.ts keepWrittenText) ------------

  /** A key as the `yaml` package names it: a scalar's value as text, a collection as JSON, an alias as `*name`. */
  private keyName(key: number): string {
    const event = this.events[key]!;
    if (event.type === EVENT_ID.SCALAR) return String(this.scalarValue(event));
    if (event.type === EVENT_ID.ALIAS) return `*${this.text.slice(event.anchorStart, event.anchorEnd)}`;
    return JSON.stringify(this.plainValueOf(key));
  }

  /** A scalar's value: a plain one as yaml-scalars.ts reads it, unless a tag says otherwise. */
  private scalarValue(event: ScalarEvent): unknown {
    const written = getScalarValue(this.text, event);
    if (event.style !== SCALAR_STYLE.PLAIN) return written;
    if (event.tagStart < 0) return plainValue(written);
    if (this.isNullTag(event)) return null;
    if (this.isTag(event, 'str')) return written;
    const value = plainValue(written);
    return value === null ? written : value;
  }

  /** A collection key's contents as plain data, to be named as JSON. */
  private plainValueOf(node: number): unknown {
    const event = this.events[node]!;
    switch (event.type) {
      case EVENT_ID.SCALAR:
        return this.scalarValue(event);
      case EVENT_ID.SEQUENCE:
        return Array.from(this.children(node), (item) => this.plainValueOf(item));
      case EVENT_ID.MAPPING: {
        const out: Record<string, unknown> = {};
        const children = this.children(node);
        for (let i = 0; i + 1 < children.length; i += 2) {
          Object.defineProperty(out, this.keyName(children[i]!), {
            value: this.plainValueOf(children[i + 1]!),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      default:
        return null;
    }
  }

  private isTag(event: ScalarEvent, name: string): boolean {
    const tag = this.text.slice(event.tagStart, event.tagEnd);
    return tag === `!!${name}` || tag === `!<tag:yaml.org,2002:${name}>`;
  }

  private isNullTag(event: ScalarEvent): boolean {
    return this.isTag(event, 'null');
  }

  /** An empty scalar the `yaml` package reads as null (not `!!str`, which is ''). */
  private isEmptyNull(node: number): boolean {
    const event = this.events[node]!;
    return event.type === EVENT_ID.SCALAR && isEmpty(event) && (event.tagStart < 0 || this.isNullTag(event));
  }

  // ---- where nodes start and end (the `yaml` package's range) ------------------------------

  /** Where node `node`, child `index` of `parent` (the document: 0, 0), starts; undefined for nowhere. */
  private startOf(node: number, parent: number, index: number): number | undefined {
    const event = this.events[node]!;
    let start: number;
    switch (event.type) {
      case EVENT_ID.SCALAR:
        if (event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED)
          start = event.valueStart - 1;
        else if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK)
          start = this.blockHeader(node, parent, index);
        else if (isEmpty(event)) start = this.emptyAt(node, parent, index);
        else start = event.valueStart;
        break;
      case EVENT_ID.ALIAS:
        start = event.anchorStart - 1;
        break;
      case EVENT_ID.MAPPING: {
        // A block map whose first key has an anchor or a tag starts at that key's text.
        // So does a single pair in a flow list whose key is empty (`[a,\n : b]`: just after the `,`).
        const first = node + 1;
        const key = this.events[first]!;
        if (
          !this.isFlowMap(event) &&
          key.type !== EVENT_ID.POP &&
          (propsStart(key) === event.start || (isFlow(event) && this.isBareEmpty(first)))
        )
          return this.startOf(first, node, 0);
        start = event.start;
        break;
      }
      case EVENT_ID.SEQUENCE:
        start = event.start;
        break;
      default:
        return undefined;
    }
    return start >= 0 ? start : undefined;
  }

  /** Where node `node` (child `index` of `parent`) ends: the offset just past its text; -1 if nowhere. */
  private endOf(node: number, parent: number, index: number): number {
    const known = this.endAt[node]!;
    if (known !== UNKNOWN) return known;
    const event = this.events[node]!;
    let end: number;
    switch (event.type) {
      case EVENT_ID.SCALAR:
        if (event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED)
          end = event.valueEnd + 1;
        else if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK)
          end = this.blockScalarEnd(event);
        else if (!isEmpty(event)) end = event.valueEnd;
        else end = this.emptyEnd(node, parent, index, this.endBefore(parent, index));
        break;
      case EVENT_ID.ALIAS:
        end = event.anchorEnd;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const children = this.children(node);
        const last = children.length - 1;
        const lastEnd = last < 0 ? event.start + 1 : this.endOf(children[last]!, node, last);
        if (!isFlow(event) || (event.type === EVENT_ID.MAPPING && !this.isFlowMap(event))) {
          end = lastEnd;
        } else {
          // Past the closing bracket.
          let p = skipSpace(this.text, lastEnd);
          while (this.text[p] === ',') p = skipSpace(this.text, p + 1);
          end = p + 1;
        }
        break;
      }
      default:
        end = -1;
    }
    this.endAt[node] = end;
    return end;
  }

  /**
   * Where the node before child `index` of `parent` ends (its `{`, `[` or first
   * token for the first child). Walks back over empty siblings, whose ends depend
   * on the sibling before them, then forward: no recursion along a long list of `-`.
   */
  private endBefore(parent: number, index: number): number {
    const event = this.events[parent]!;
    if (event.type === EVENT_ID.DOCUMENT) return 0;
    const children = this.children(parent);
    let j = index - 1;
    while (j >= 0 && this.endAt[children[j]!] === UNKNOWN && this.isBareEmpty(children[j]!)) j--;
    let end = j < 0 ? (event as Collection).start : this.endOf(children[j]!, parent, j);
    for (let k = j + 1; k < index; k++) {
      end = this.emptyEnd(children[k]!, parent, k, end);
      this.endAt[children[k]!] = end;
    }
    return end;
  }

  /** An empty scalar with no anchor or tag: where it is depends on what comes before it. */
  private isBareEmpty(node: number): boolean {
    const event = this.events[node]!;
    return event.type === EVENT_ID.SCALAR && isEmpty(event) && propsEnd(event) < 0;
  }

  /** An empty node's end: its position, or (none, as a map value without `:`) the end before it. */
  private emptyEnd(node: number, parent: number, index: number, before: number): number {
    const at = this.emptyAt(node, parent, index, before);
    return at >= 0 ? at : before;
  }

  /**
   * Where the `yaml` package places an empty node (util-empty-scalar-position.ts):
   * just after the last token before it (its anchor or tag, else the indicator:
   * `:`, `-`, `?`, `,`, `[`, `{`, `---`) and the blanks after that. -1 if nowhere.
   */
  private emptyAt(node: number, parent: number, index: number, before?: number): number {
    const event = this.events[node] as ScalarEvent;
    const props = propsEnd(event);
    if (props >= 0) return skipBlanks(this.text, props);
    before ??= this.endBefore(parent, index);
    const indicator = this.indicatorEnd(parent, index, before);
    if (indicator >= 0) return skipBlanks(this.text, indicator);
    const container = this.events[parent]!;
    if (container.type === EVENT_ID.MAPPING && !isFlow(container) && index % 2 === 0)
      return index === 0
        ? container.start
        : this.implicitEmptyKeyAt(this.children(parent)[index - 1]!, before);
    return -1;
  }

  /**
   * An empty implicit key (`: x`) after the first pair of a block map: where the
   * previous value's range ends in the `yaml` package: past the end of the
   * value's line (a block scalar's last line that is not blank), and past the
   * lines after it that are blank or comments indented more than the map, up to
   * the last such comment (after a block collection, to the colon if the first
   * comment is indented as much as the collection; one that ends in an empty
   * node: emptyTailEnd).
   */
  private implicitEmptyKeyAt(previous: number, before: number): number {
    const text = this.text;
    const colon = skipSpace(text, before);
    const lineStart = text.lastIndexOf('\n', colon - 1) + 1;
    const indent = colon - lineStart;
    const tail = this.emptyTailEnd(previous, colon);
    if (tail !== undefined) return tail;
    const event = this.events[previous]!;
    if (event.type === EVENT_ID.SCALAR && isEmpty(event)) return this.emptyValueEnd(before, colon, indent);
    let line = nextLine(text, before);
    // A block collection takes the comments after it indented as much as it is, up to the colon.
    const block =
      (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) && !isFlow(event)
        ? indentation(text, event.start)
        : -1;
    let at = line;
    while (line > 0 && line < colon) {
      const content = skipBlanks(text, line);
      const c = text.charCodeAt(content);
      const next = text.indexOf('\n', content) + 1;
      if (c === HASH && block >= 0) {
        if (content - line >= block) return colon;
        break;
      }
      if (c === HASH && content - line > indent) at = next;
      else if (c !== LF && c !== CR) break;
      line = next;
    }
    return at;
  }

  /**
   * Where the tokens of a pair whose value is empty (at `empty`) end, before an
   * empty implicit key at `colon`: what follows the `:` is the value's until a
   * line shows it is not. A comment on the value's line takes it past that line;
   * then comments indented more than the map (and the blank lines before them)
   * with their lines, then a comment at the map's indentation up to its end, or
   * the blanks of a blank line, are the value's.
   */
  private emptyValueEnd(empty: number, colon: number, indent: number): number {
    const text = this.text;
    let q = skipBlanks(text, empty);
    const comment = text.charCodeAt(q) === HASH;
    q = text.indexOf('\n', q) + 1;
    if (q <= 0 || q > colon) return empty;
    let at = comment ? skipBlanks(text, q) : empty;
    while (q < colon) {
      const content = skipBlanks(text, q);
      const c = text.charCodeAt(content);
      const next = text.indexOf('\n', content) + 1;
      if (c === HASH && content - q > indent) {
        at = skipBlanks(text, next);
      } else if (c === HASH) {
        at = lineEnd(text, content);
        break;
      } else if (c === LF || c === CR) {
        // Blank lines before an indented comment are the value's, else the blanks of the first.
        let r = next;
        while (r > 0 && r < colon && isBlankLine(text, r)) r = text.indexOf('\n', r) + 1;
        const rc = skipBlanks(text, r);
        if (r > 0 && r < colon && text.charCodeAt(rc) === HASH && rc - r > indent) {
          q = r;
          continue;
        }
        at = content;
        break;
      } else break;
      q = next;
    }
    return at;
  }

  /** Where a block scalar's range ends: past its last line that is not blank, unless it keeps them (`|+`). */
  private blockScalarEnd(event: ScalarEvent): number {
    let end = event.valueEnd;
    if (event.chomping === KEEP) return end;
    const text = this.text;
    for (let p = end - 1; p > event.valueStart; p--) {
      const c = text.charCodeAt(p - 1);
      if (c === LF) end = p;
      else if (c !== SPACE && c !== TAB && c !== CR) break;
    }
    return end;
  }

  /**
   * Where the `yaml` package ends a block collection that ends, at any depth, in
   * an empty node: at that node (at `colon`, the next key's, when a comment comes
   * with it); after a key with no `:` (`? a`), at that key if it is empty, else
   * at `colon`. undefined if it ends in a node with text.
   */
  private emptyTailEnd(node: number, colon: number): number | undefined {
    const event = this.events[node]!;
    if ((event.type !== EVENT_ID.MAPPING && event.type !== EVENT_ID.SEQUENCE) || isFlow(event))
      return undefined;
    const children = this.children(node);
    const last = children.length - 1;
    const child = this.events[children[last]!]!;
    if (child.type !== EVENT_ID.SCALAR || !isEmpty(child)) return this.emptyTailEnd(children[last]!, colon);
    let empty = last;
    let at = this.emptyAt(children[last]!, node, last);
    if (at < 0) {
      // A key with no `:` (`? a`).
      const key = event.type === EVENT_ID.MAPPING ? this.events[children[last - 1]!] : undefined;
      if (key?.type !== EVENT_ID.SCALAR || !isEmpty(key)) return colon;
      empty = last - 1;
      at = this.startOf(children[empty]!, node, empty) ?? colon;
    }
    // A comment among the tokens before it (a key's: from the line after the previous value) or
    // after it takes it to the colon.
    const text = this.text;
    let from = this.endBefore(node, empty);
    if (empty > 0 && (event.type === EVENT_ID.SEQUENCE || empty % 2 === 0)) from = nextLine(text, from);
    const comment = text.indexOf('#', from);
    return from > 0 && comment >= 0 && comment < colon ? colon : at;
  }

  /** A block scalar's `|` or `>`: the first token after its anchor or tag, else after its indicator. */
  private blockHeader(node: number, parent: number, index: number): number {
    const event = this.events[node] as ScalarEvent;
    let from = propsEnd(event);
    if (from < 0) from = this.indicatorEnd(parent, index, this.endBefore(parent, index));
    if (from < 0) from = this.events[parent]!.type === EVENT_ID.DOCUMENT ? 0 : this.endBefore(parent, index);
    const p = skipSpace(this.text, from);
    const c = this.text[p];
    return c === '|' || c === '>' ? p : event.valueStart;
  }

  /**
   * The offset just past the indicator before child `index` of `parent`, the
   * previous token ending at `before`: `---` in a document, `-` in a block list,
   * `[` or `,` in a flow list, `:` before a map value, `?` before an explicit
   * key, `{` or `,` (and a `?`) before a key in a flow map. -1 if there is none.
   */
  private indicatorEnd(parent: number, index: number, before: number): number {
    const text = this.text;
    const container = this.events[parent]!;
    if (container.type === EVENT_ID.DOCUMENT) return container.explicitStart ? this.documentStartEnd() : -1;
    if (container.type !== EVENT_ID.MAPPING && container.type !== EVENT_ID.SEQUENCE) return -1;
    const p = skipSpace(text, before);
    const c = text[p];
    // In a block collection, an indicator on a later line is the collection's only at its indentation.
    const ours =
      isFlow(container) ||
      text.lastIndexOf('\n', p - 1) < before - 1 ||
      indentation(text, p) === indentation(text, container.start);
    if (container.type === EVENT_ID.SEQUENCE) {
      if (!isFlow(container)) return c === '-' && ours ? p + 1 : -1;
      return c === '[' || c === ',' ? p + 1 : -1;
    }
    if (index % 2 === 1) return c === ':' && ours ? p + 1 : -1;
    if (!isFlow(container)) return c === '?' && ours ? p + 1 : -1;
    if (this.isFlowMap(container)) {
      if (c !== '{' && c !== ',') return -1;
      const q = skipSpace(text, p + 1);
      return text[q] === '?' ? q + 1 : p + 1;
    }
    // A single pair in a flow list (`[a: 1]`): after its `?`, or the `[` or `,` before it.
    if (c === '?') return p + 1;
    let q = container.start - 1;
    while (q >= 0 && isSpace(text.charCodeAt(q))) q--;
    return text[q] === '[' || text[q] === ',' || text[q] === '?' ? q + 1 : -1;
  }

  /** The offset just past the document's `---`, after any BOM, directives, comments and blank lines. */
  private documentStartEnd(): number {
    const text = this.text;
    let p = text.charCodeAt(0) === BOM ? 1 : 0;
    while (p < text.length) {
      if (text.startsWith('---', p)) return p + 3;
      const q = skipBlanks(text, p);
      const c = text.charCodeAt(q);
      if (c !== HASH && c !== LF && c !== CR && text[p] !== '%') return -1;
      const eol = text.indexOf('\n', q);
      if (eol < 0) return -1;
      p = eol + 1;
    }
    return -1;
  }

  /** A map written with braces (not a single pair in a flow list, not a block map). */
  private isFlowMap(event: MappingEvent): boolean {
    return isFlow(event) && this.text[event.start] === '{';
  }

  // ---- line and column (locate-problem.ts positionAt) ---------------------------------------

  private positionAt(offset: number): EventPosition {
    // As yaml-source.ts lineStartsOf: '\n' ends a line.
    if (!this.lineStarts) {
      const starts = [0];
      const text = this.text;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

function isFlow(event: Collection): boolean {
  return event.style !== BLOCK;
}

/** A plain scalar with no text (`key:`, `-`). */
function isEmpty(event: ScalarEvent): boolean {
  return event.valueStart < 0 && event.style === SCALAR_STYLE.PLAIN;
}

/** Where a node's anchor (`&` included) or tag begins; -1 if it has neither. */
function propsStart(event: Event): number {
  if (event.type !== EVENT_ID.SCALAR && event.type !== EVENT_ID.MAPPING && event.type !== EVENT_ID.SEQUENCE)
    return -1;
  const anchor = event.anchorStart >= 0 ? event.anchorStart - 1 : -1;
  if (anchor < 0) return event.tagStart;
  return event.tagStart < 0 ? anchor : Math.min(anchor, event.tagStart);
}

/** Where a node's anchor and tag end (the later of the two); -1 if it has neither. */
function propsEnd(event: ScalarEvent): number {
  return Math.max(event.anchorEnd, event.tagEnd);
}

/** The column (from 0) of offset `p`, a BOM not counted. */
function indentation(text: string, p: number): number {
  const lineStart = text.lastIndexOf('\n', p - 1) + 1;
  return p - lineStart - (lineStart === 0 && text.charCodeAt(0) === BOM ? 1 : 0);
}

/** The end of the line at `p`, before its `\r\n` or `\n`. */
function lineEnd(text: string, p: number): number {
  let end = text.indexOf('\n', p);
  if (end < 0) end = text.length;
  return end > p && text.charCodeAt(end - 1) === CR ? end - 1 : end;
}

/** The start of the line after the one `p` is on; `p` itself if a line ends just before it (0: none). */
function nextLine(text: string, p: number): number {
  return p > 0 && text.charCodeAt(p - 1) === LF ? p : text.indexOf('\n', p) + 1;
}

/** Whether the line starting at `p` holds nothing but blanks. */
function isBlankLine(text: string, p: number): boolean {
  const c = text.charCodeAt(skipBlanks(text, p));
  return c === LF || c === CR;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

/** Past spaces and tabs. */
function skipBlanks(text: string, p: number): number {
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c !== SPACE && c !== TAB) break;
    p++;
  }
  return p;
}

/** Past white space, line breaks, comments (and a BOM). */
function skipSpace(text: string, p: number): number {
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c === SPACE || c === TAB || c === LF || c === CR || c === BOM) p++;
    else if (c === HASH) {
      const eol = text.indexOf('\n', p);
      p = eol < 0 ? text.length : eol + 1;
    } else break;
  }
  return p;
}
