// Reading the documentation as data, for the tests that keep it true: the
// Markdown files, their fenced code blocks (with the marker comments before
// them), their links, headings and tables. Only what README.md and docs/ use:
// not a Markdown parser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** README.md and every docs/*.md, relative to the root. */
export function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function readDoc(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** A fenced code block: its info string's language, its text, where it starts, the markers before it. */
export interface Fence {
  file: string;
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The `<!-- ... -->` comments right before the fence (blank lines between allowed), trimmed. */
  markers: string[];
}

const FENCE = /^(\s*)(```+|~~~+)\s*([\w-]*)/;

/** Every fenced code block of `text`, in order. */
export function fences(file: string, text: string): Fence[] {
  const lines = text.split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, mark, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim().startsWith(mark!) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent!) ? line.slice(indent!.length) : line);
    }
    found.push({
      file,
      lang: lang ?? '',
      body: body.join('\n'),
      line: i + 1,
      markers: markersBefore(lines, i),
    });
    i = j;
  }
  return found;
}

function markersBefore(lines: string[], fenceIndex: number): string[] {
  const markers: string[] = [];
  for (let k = fenceIndex - 1; k >= 0; k--) {
    const line = lines[k]!.trim();
    if (line === '') continue;
    const m = /^<!--\s*(.*?)\s*-->$/.exec(line);
    if (!m) break;
    markers.unshift(m[1]!);
  }
  return markers;
}

/** `text` with its fenced code blocks blanked out (line numbers kept). */
export function withoutFences(text: string): string {
  let inFence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const open = FENCE.exec(line);
      if (inFence === undefined && open) {
        inFence = open[2];
        return '';
      }
      if (inFence !== undefined) {
        if (line.trim().startsWith(inFence) && line.trim().replace(/[`~]/g, '') === '') inFence = undefined;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** `text` with fenced code blocks and inline code spans blanked out (line numbers kept). */
export function prose(text: string): string {
  return withoutFences(text)
    .split('\n')
    .map((line) => line.replace(/`[^`]*`/g, '``'))
    .join('\n');
}

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images, `[text](target)`, outside code. */
export function links(file: string, text: string): Link[] {
  const found: Link[] = [];
  prose(text)
    .split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(/!?\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        found.push({ file, line: i + 1, target: m[1]! });
      }
    });
  return found;
}

/** The anchors GitHub gives the headings of `text` (its slugger: lowercase, punctuation dropped, spaces to -). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const lines = text.split('\n');
  let inFence: string | undefined;
  for (const line of lines) {
    const open = FENCE.exec(line);
    if (inFence === undefined && open) {
      inFence = open[2];
      continue;
    }
    if (inFence !== undefined) {
      if (line.trim().startsWith(inFence) && line.trim().replace(/[`~]/g, '') === '') inFence = undefined;
      continue;
    }
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const slug = h[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

export interface Table {
  file: string;
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  rows: string[][];
  /** The `<!-- ... -->` comments right before the table. */
  markers: string[];
}

/** Pipe tables of `text` (outside code), cells trimmed; `\|` inside a cell kept as `|`. */
export function tables(file: string, text: string): Table[] {
  const lines = prose(text).split('\n');
  const raw = text.split('\n');
  const found: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1]!)) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(raw[j]!));
    found.push({ file, line: i + 1, header: cells(raw[i]!), rows, markers: markersBefore(raw, i) });
    i = j;
  }
  return found;
}

function cells(row: string): string[] {
  const parts: string[] = [];
  let cell = '';
  const text = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '\\' && text[k + 1] === '|') {
      cell += '|';
      k++;
    } else if (text[k] === '|') {
      parts.push(cell.trim());
      cell = '';
    } else {
      cell += text[k];
    }
  }
  parts.push(cell.trim());
  return parts;
}

/** The texts in backticks in `text` (a span broken across lines joined with a space). */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s*\n\s*/g, ' '));
}

/** The part of `text` under the heading whose text is `heading` (up to the next heading of its level or above). */
export function section(text: string, heading: RegExp): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{1,6}\s/.test(l) && heading.test(l.replace(/^#+\s*/, '')));
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start]!)![0].length;
  let end = start + 1;
  let inFence = false;
  for (; end < lines.length; end++) {
    if (FENCE.test(lines[end]!)) inFence = !inFence;
    const h = /^(#+)\s/.exec(lines[end]!);
    if (!inFence && h && h[1]!.length <= level) break;
  }
  return lines.slice(start, end).join('\n');
}
