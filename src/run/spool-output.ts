// A supervised run's output, read from the file its supervisor appends to in
// the spool (run-supervisor.ts): a chunk per turn of the event loop, into the
// kept tail and through the log budget, polled while the job is quiet. The
// file stays bounded while it is followed: emptied once 16 MiB of it have been
// read to its end, while the job is quiet; a job that never pauses, or
// prints faster than it is read, has the unread rest passed over (but for its
// end) once the file passes 128 MiB, so a flood fills neither the disk nor the
// event loop. (While no daemon follows the run, the file grows until one
// adopts it.)
import { type FileHandle, open, truncate } from 'node:fs/promises';
import type { OutputLog } from './output-log.js';
import type { OutputTail } from './output-tail.js';

/** Bytes read from the output file per turn of the event loop; more while a backlog lasts. */
const READ_BYTES = 64 * 1024;
const READ_BYTES_BEHIND = 1024 * 1024;
/** Emptied at its end once this much has been read. */
const SPOOL_OUTPUT_BYTES = 16 * 1024 * 1024;
/**
 * Never much larger than this: the rest is passed over. Checked every CHECK_EVERY_BYTES read and
 * every CHECK_EVERY_MS; what the job writes in between (more on a loaded machine, where the reader
 * gets less of the CPU than the writer) is the margin above it.
 */
const SPOOL_MAX_BYTES = 128 * 1024 * 1024;
const CHECK_EVERY_BYTES = 1024 * 1024;
const CHECK_EVERY_MS = 50;
/** Emptied only once the job has written nothing for this long: not between two writes of a burst. */
const QUIET_MS = 200;
/** How often the output file is read while the job is quiet (ms). */
const OUTPUT_POLL_MS = 200;
/**
 * ...and while it prints: the last look read something. What a job writes between two looks is
 * the margin above SPOOL_MAX_BYTES, so a fast writer is not given the quiet interval.
 */
const OUTPUT_POLL_BUSY_MS = 20;

export interface SpoolOutputOptions {
  tail: OutputTail;
  log: OutputLog;
  /** The tail's size: what is kept of a backlog passed over. */
  keepBytes: number;
  /** Called once, the first time a backlog is passed over. */
  passedOver: (bytes: number) => void;
}

export class SpoolOutput {
  private file: FileHandle | undefined;
  private path: string | undefined;
  private offset = 0;
  private passed = 0;
  private bytesRead = 0;
  private reading: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: SpoolOutputOptions) {}

  /** Opens the file (the supervisor makes it as it starts). `from: 'end'`: an adopted run, what it printed before is not logged again; its end goes to the tail. */
  async open(file: string, from: 'start' | 'end'): Promise<void> {
    this.path = file;
    for (let i = 0; i < 50 && !this.file && !this.closed; i++) {
      try {
        this.file = await open(file, 'r');
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (this.file && from === 'end') {
      const size = (await this.file.stat()).size;
      const keep = Math.min(size, this.o.keepBytes);
      if (keep < size) this.o.tail.skip(size - keep);
      this.offset = size - keep;
      await this.read(false);
    }
  }

  /** Reads on every OUTPUT_POLL_MS until closed. */
  poll(): void {
    if (this.closed) return;
    const before = this.bytesRead;
    void this.read().then(() => {
      const busy = this.bytesRead !== before;
      if (!this.closed)
        this.pollTimer = setTimeout(() => this.poll(), busy ? OUTPUT_POLL_BUSY_MS : OUTPUT_POLL_MS);
    });
  }

  /** The run ended: reads what is left and ends the log. */
  async drain(file: string): Promise<void> {
    if (!this.file) await this.open(file, 'start');
    await this.read();
    this.o.log.end();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.pollTimer);
    void this.file?.close().catch(() => {});
  }

  /** Reads the file up to its end, a chunk per turn; `log`: also through the log budget. */
  private read(log = true): Promise<void> {
    this.reading = this.reading.then(async () => {
      const file = this.file;
      if (!file) return;
      let buf = Buffer.allocUnsafe(READ_BYTES);
      for (let sinceCheck = CHECK_EVERY_BYTES, checkedAt = 0; ;) {
        if (sinceCheck >= CHECK_EVERY_BYTES || performance.now() - checkedAt >= CHECK_EVERY_MS) {
          sinceCheck = 0;
          checkedAt = performance.now();
          await this.passOverIfTooLarge(file);
        }
        const { bytesRead } = await file
          .read(buf, 0, buf.length, this.offset)
          .catch(() => ({ bytesRead: 0 }));
        if (bytesRead === 0) return this.empty();
        this.offset += bytesRead;
        this.bytesRead += bytesRead;
        sinceCheck += bytesRead;
        const chunk = Buffer.from(buf.subarray(0, bytesRead));
        this.o.tail.push(chunk);
        if (log) this.o.log.push('stdout', chunk);
        // A full buffer: more is waiting, read it in larger chunks.
        if (bytesRead === buf.length && buf.length < READ_BYTES_BEHIND)
          buf = Buffer.allocUnsafe(READ_BYTES_BEHIND);
        await new Promise((r) => setImmediate(r));
      }
    });
    return this.reading;
  }

  /**
   * A job printing faster than it is read, the file past SPOOL_MAX_BYTES: its end goes to the tail,
   * the rest unread is passed over (said in the tail), and the file is emptied.
   */
  private async passOverIfTooLarge(file: FileHandle): Promise<void> {
    const size = (await file.stat().catch(() => undefined))?.size ?? 0;
    if (size <= SPOOL_MAX_BYTES || !this.path || this.closed) return;
    const keep = Math.min(this.o.keepBytes, size - this.offset);
    const skip = size - keep - this.offset;
    const end = Buffer.allocUnsafe(keep);
    const { bytesRead } = await file.read(end, 0, keep, size - keep).catch(() => ({ bytesRead: 0 }));
    await truncate(this.path, 0).catch(() => {});
    this.offset = 0;
    this.o.tail.push(Buffer.from(`\n[cronkeeper: ${skip} bytes of output passed over unread]\n`));
    this.o.tail.push(end.subarray(0, bytesRead));
    if (this.passed === 0) this.o.passedOver(skip);
    this.passed += skip;
  }

  /**
   * Read to its end and past SPOOL_OUTPUT_BYTES: the file is emptied. The supervisor appends
   * (O_APPEND), so its next write lands at the new end.
   */
  private async empty(): Promise<void> {
    if (this.offset < SPOOL_OUTPUT_BYTES || !this.path || this.closed || !this.file) return;
    // Only while the job is quiet (all read, nothing written for QUIET_MS): a write landing between
    // the look and the truncation would be lost. A job that writes without a pause meets
    // SPOOL_MAX_BYTES instead.
    const stat = await this.file.stat().catch(() => undefined);
    if (!stat || stat.size !== this.offset || stat.mtimeMs > Date.now() - QUIET_MS) return;
    await truncate(this.path, 0).catch(() => {});
    this.offset = 0;
  }
}
