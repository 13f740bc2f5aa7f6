// pino, JSON lines on stdout (journald keeps one event per line). `pretty`
// renders them for a terminal through pino-pretty.
//
// Writes are asynchronous, into a bounded buffer: a slow or stuck reader of
// stdout (journald under load, a full pipe) must never hold up the event loop,
// which the schedule owns. When the buffer is full, lines are dropped and
// counted (onDrop), not waited for. Graceful exits flush (flushLog); a second
// stop signal flushes synchronously (flushLogSync) before exiting.
import pino, { type Logger } from 'pino';

// Defense in depth: no code logs these, and none must start to.
const REDACT = ['password', '*.password', 'connectionString', '*.connectionString', 'token', '*.token'];

/** Bytes of log lines held while stdout is slower than the daemon; beyond, lines are dropped. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export interface LoggerOptions {
  pretty: boolean;
  level?: string;
  /** Called with the size of every line dropped because the buffer was full. */
  onDrop?: (bytes: number) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.CRONKEEPER_LOG_LEVEL ?? 'info';
  if (options.pretty) {
    return pino({
      level,
      redact: REDACT,
      transport: {
        target: 'pino-pretty',
        options: {
          colorize: useColour(),
          singleLine: true,
          translateTime: 'SYS:standard',
          ignore: 'pid,hostname',
        },
      },
    });
  }
  const destination = pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  destination.on('drop', (data: string | Buffer) => options.onDrop?.(Buffer.byteLength(data)));
  // stdout closed (EPIPE) or failing: logging stops; the daemon goes on.
  destination.on('error', () => {});
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT },
    destination,
  );
}

/** Resolves once what was logged so far is written (or after `timeoutMs`). */
export function flushLog(logger: Logger, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    try {
      logger.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Writes what is buffered now, blocking: only right before process.exit(). */
export function flushLogSync(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, { flushSync?: () => void } | undefined>)[
    pino.symbols.streamSym
  ];
  try {
    stream?.flushSync?.();
  } catch {
    // stdout gone, or a write in flight: what is lost is lost; the exit code still tells.
  }
}

/** Colour only for a terminal, and not when NO_COLOR is set (https://no-color.org). */
function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}
