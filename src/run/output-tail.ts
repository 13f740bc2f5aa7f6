// Keeps the last N bytes of a run's output (stdout and stderr together, in
// arrival order) for the ledger and the hooks, with bounded memory: a ring
// buffer that grows up to N bytes and then overwrites its oldest bytes, so a
// job that prints gigabytes costs N bytes here.

/** What the text of a tail starts with when older output was dropped. */
export function cutMarker(bytesBefore: number): string {
  return `…[${bytesBefore} bytes before]\n`;
}

const MARKER = /^…\[(\d+) bytes before\]\n/;

/** Below this, the buffer is not allocated at its full size up front. */
const INITIAL_BYTES = 1024;

export class OutputTail {
  private buf: Buffer = Buffer.alloc(0);
  private total = 0;

  /** `maxBytes` 0 keeps nothing: text() is null. */
  constructor(private readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) this.maxBytes = 0;
  }

  /** Bytes seen so far (kept or not). */
  get totalBytes(): number {
    return this.total;
  }

  /** Bytes held in memory (never more than maxBytes). */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** Counts `n` bytes that came before anything pushed (not kept); call before the first push. */
  skip(n: number): void {
    if (this.total === 0) this.total = Math.max(0, n);
  }

  push(chunk: Uint8Array): void {
    const max = this.maxBytes;
    const n = chunk.byteLength;
    if (max === 0 || n === 0) {
      this.total += n;
      return;
    }
    // Byte i of the output lives at buf[i % max]. Until the buffer has its full
    // size every byte seen fits in it, so i % max === i there.
    if (this.buf.length < max && this.total + n > this.buf.length) {
      const size = Math.min(max, Math.max(this.buf.length * 2, this.total + n, INITIAL_BYTES));
      const grown = Buffer.alloc(size);
      this.buf.copy(grown, 0, 0, this.total);
      this.buf = grown;
    }
    let from = 0;
    if (n > max) {
      // Only the last max bytes of this chunk can survive it.
      from = n - max;
      this.total += from;
    }
    while (from < n) {
      const at = this.total % max;
      const take = Math.min(n - from, max - at);
      this.buf.set(chunk.subarray(from, from + take), at);
      from += take;
      this.total += take;
    }
  }

  /**
   * The kept output as text: the last maxBytes bytes, decoded as UTF-8 (invalid
   * sequences become U+FFFD), NUL as U+FFFD (a Postgres text cannot hold it).
   * When older output was dropped it starts with "…[N bytes before]\n", N
   * counting every byte not shown, and never with half a character. Null when
   * maxBytes is 0.
   */
  text(): string | null {
    const max = this.maxBytes;
    if (max === 0) return null;
    const kept = Math.min(this.total, max);
    const start = this.total - kept;
    const at = start % max;
    const bytes =
      at + kept <= this.buf.length
        ? this.buf.subarray(at, at + kept)
        : Buffer.concat([this.buf.subarray(at), this.buf.subarray(0, kept - (this.buf.length - at))]);
    return tailText(bytes, start);
  }
}

/**
 * Cuts a tail's text (from OutputTail.text(), or any string) to its last
 * `maxBytes` bytes of UTF-8, UTF-8 safe, with the "…[N bytes before]\n" marker;
 * N adds up with a marker the text already has. Text that fits is returned as is.
 */
export function cutTail(text: string, maxBytes: number): string {
  const max = Math.max(0, Math.floor(maxBytes));
  const m = MARKER.exec(text);
  const before = m ? Number(m[1]) : 0;
  const body = m ? text.slice(m[0].length) : text;
  if (Buffer.byteLength(body, 'utf8') <= max) return text;
  const bytes = Buffer.from(body, 'utf8');
  return tailText(bytes.subarray(bytes.length - max), before + bytes.length - max);
}

/** `bytes` preceded by `before` dropped bytes: skips a partial character at the start, adds the marker. */
function tailText(bytes: Buffer, before: number): string {
  let skip = 0;
  if (before > 0) {
    // A continuation byte (10xxxxxx) at the start belongs to a character cut in half.
    while (skip < 3 && skip < bytes.length && (bytes[skip]! & 0xc0) === 0x80) skip++;
  }
  const text = bytes.toString('utf8', skip).replaceAll('\u0000', '\uFFFD');
  return before + skip > 0 ? cutMarker(before + skip) + text : text;
}
