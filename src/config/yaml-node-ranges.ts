// Where a node of js-yaml's event stream starts and ends, for
// locate-in-events.ts. A node starts where the `yaml` package's range starts:
// a quoted scalar at its opening quote, a block scalar at its `|` or `>`, a
// scalar's text after its anchor and tag, a flow collection at its bracket, a
// block collection at its first `-` or key (at the key's text when that key
// has an anchor or a tag), an alias at its `*`, an empty node just after the
// indicator, anchor or tag before it and the blanks that follow.
import {
  EVENT_ID,
  type Event,
  type MappingEvent,
  SCALAR_STYLE,
  type ScalarEvent,
  type SequenceEvent,
} from 'js-yaml';
import {
  BOM,
  CR,
  HASH,
  indentation,
  isBlankLine,
  isSpace,
  LF,
  lineEnd,
  nextLine,
  skipBlanks,
  skipSpace,
  SPACE,
  TAB,
  lineStart,
} from './yaml-text.js';

/** COLLECTION_STYLE.BLOCK */
const BLOCK = 1;
/** CHOMPING_MODE.KEEP */
const KEEP = 3;
/** Not computed yet (endAt). */
const UNKNOWN = -2;

type Collection = MappingEvent | SequenceEvent;

export class NodeRanges {
  /** Where each node's text ends, as far as computed (UNKNOWN: not yet; -1: nowhere). */
  private readonly endAt: Int32Array;

  constructor(
    private readonly text: string,
    private readonly events: readonly Event[],
    /** A collection's child nodes (a map's keys and values alternating), as indexed once by the caller. */
    private readonly children: (collection: number) => Int32Array,
  ) {
    this.endAt = new Int32Array(events.length).fill(UNKNOWN);
  }

  /** Where node `node`, child `index` of `parent` (the document: 0, 0), starts; undefined for nowhere. */
  startOf(node: number, parent: number, index: number): number | undefined {
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
    const indent = colon - lineStart(text, colon);
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
}

function isFlow(event: Collection): boolean {
  return event.style !== BLOCK;
}

/** A plain scalar with no text (`key:`, `-`). */
export function isEmpty(event: ScalarEvent): boolean {
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
