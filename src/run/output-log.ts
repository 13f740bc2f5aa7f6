// What of a run's output reaches the daemon's log, within a budget: a job that
// floods its output must cost the log (and the event loop) a bounded amount,
// whatever it prints. The ledger's tail (output-tail.ts) is kept apart.
//
// 'lines': each line, while the run's token bucket (logLineRate a second, in
// bursts of ten seconds' worth) has tokens; beyond, lines are only counted —
// no string is built for them — and one 'job output suppressed' line per
// SUMMARY_EVERY_MS (and one at the end) says how many.
// 'tail' and 'none': no line while the run goes on.
import type pino from 'pino';
import type { LogOutputMode } from '../config/types.js';
import { OutputLines } from './output-lines.js';

/** At most one 'job output suppressed' line this often per run (ms, monotonic). */
export const SUMMARY_EVERY_MS = 10_000;
/** A run may log this many seconds' worth of lines at once. */
const BURST_SECONDS = 10;

export interface OutputLogOptions {
  mode: LogOutputMode;
  /** Lines a second (>= 1). */
  linesPerSecond: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

type Stream = 'stdout' | 'stderr';

export class OutputLog {
  private readonly now: () => number;
  private readonly capacity: number;
  private tokens: number;
  private refilledAt: number;
  private suppressedLines = 0;
  private suppressedBytes = 0;
  private summarizedAt: number;
  private readonly streams: Record<Stream, OutputLines> | undefined;

  constructor(
    private readonly logger: pino.Logger,
    private readonly fields: object,
    private readonly options: OutputLogOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    const rate = Math.max(1, options.linesPerSecond);
    this.capacity = rate * BURST_SECONDS;
    this.tokens = this.capacity;
    this.refilledAt = this.now();
    this.summarizedAt = this.refilledAt;
    if (options.mode === 'lines') {
      this.streams = {
        stdout: new OutputLines((line) => this.logLine('stdout', line)),
        stderr: new OutputLines((line) => this.logLine('stderr', line)),
      };
    }
  }

  /** Lines counted but not logged so far. */
  get suppressed(): number {
    return this.suppressedLines;
  }

  push(stream: Stream, chunk: Buffer): void {
    const lines = this.streams?.[stream];
    if (!lines) return;
    this.refill();
    if (this.tokens >= 1) {
      lines.push(chunk);
    } else {
      // Out of budget: count the chunk's lines without decoding them.
      this.suppressedLines += lines.skip(chunk);
      this.suppressedBytes += chunk.length;
    }
    this.takeSkipped(lines);
    this.maybeSummarize(false);
  }

  /** One stream ended: its unfinished last line is logged (within the budget). */
  endStream(stream: Stream): void {
    const lines = this.streams?.[stream];
    if (!lines) return;
    this.refill();
    lines.flush();
    this.takeSkipped(lines);
  }

  /** The run ended: logs the unfinished lines (within the budget) and the last summary. */
  end(): void {
    if (!this.streams) return;
    this.refill();
    for (const lines of [this.streams.stdout, this.streams.stderr]) {
      lines.flush();
      this.takeSkipped(lines);
    }
    this.maybeSummarize(true);
  }

  private takeSkipped(lines: OutputLines): void {
    this.suppressedLines += lines.skippedLines;
    lines.skippedLines = 0;
  }

  private logLine(stream: Stream, line: string): void {
    if (this.tokens < 1) {
      this.suppressedLines++;
      this.suppressedBytes += Buffer.byteLength(line) + 1;
      return;
    }
    this.tokens--;
    try {
      if (stream === 'stdout') this.logger.info({ ...this.fields, stream, line }, 'job output');
      else this.logger.warn({ ...this.fields, stream, line }, 'job output');
    } catch {
      // A failing log destination must not fail the run.
    }
  }

  private refill(): void {
    const now = this.now();
    const rate = this.capacity / BURST_SECONDS;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
  }

  private maybeSummarize(final: boolean): void {
    if (this.suppressedLines === 0 && this.suppressedBytes === 0) return;
    const now = this.now();
    if (!final && now - this.summarizedAt < SUMMARY_EVERY_MS) return;
    this.summarizedAt = now;
    try {
      this.logger.warn(
        {
          ...this.fields,
          suppressedLines: this.suppressedLines,
          suppressedBytes: this.suppressedBytes,
          logLineRate: this.capacity / BURST_SECONDS,
        },
        'job output suppressed: over its log budget (logLineRate)',
      );
    } catch {
      // as above
    }
    this.suppressedLines = 0;
    this.suppressedBytes = 0;
  }
}
