// From a path inside the config data back to file:line:column, from js-yaml's
// parser events: the placement locate-problem.ts makes from the `yaml`
// package's document (its problemAt, rooted at the document), without
// reading the file a second time with that package (seconds at 100,000 jobs).
//
// Same rules, same places: a path is walked from the document's root node (in
// a map, the last pair whose key names the segment; in a list, item [n]; an
// alias followed to its anchored node); a path that does not exist points at
// the key of its nearest existing ancestor; an empty value at its key. Where
// a node starts and ends: yaml-node-ranges.ts.
import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from 'js-yaml';
import type { Anchor, PathSegment } from './locate-problem.js';
// As read-plain.ts parses: the same events for the same text.
import { PARSER_MAX_DEPTH } from './read-plain.js';
import { isEmpty, NodeRanges } from './yaml-node-ranges.js';
import { plainValue } from './yaml-scalars.js';
import { lineAndColumn, lineStarts } from './yaml-text.js';

/** The walk reached nothing (an index that is not a list index): as `undefined` in locate-problem.ts. */
const NONE = -1;

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
  private readonly ranges: NodeRanges;
  private lineStarts: number[] | undefined;

  /** Throws js-yaml's error when it cannot parse `text`. */
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.events = parseEvents(text, { maxDepth: PARSER_MAX_DEPTH });
    this.close = new Int32Array(this.events.length);
    this.ranges = new NodeRanges(text, this.events, (collection) => this.children(collection));
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
    const keyStart = key === NONE ? undefined : this.ranges.startOf(key, keyIn, valueAt - 1);
    const valueStart = (): number | undefined =>
      value === NONE ? undefined : this.ranges.startOf(value, valueIn, valueAt);
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

  // ---- line and column (locate-problem.ts positionAt) ---------------------------------------

  private positionAt(offset: number): EventPosition {
    // As the located reading counts lines (yaml-source.ts).
    this.lineStarts ??= lineStarts(this.text);
    return { file: this.file, ...lineAndColumn(this.lineStarts, offset) };
  }
}
