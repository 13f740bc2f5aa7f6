// pino, JSON lines on stdout (journald keeps one event per line). `pretty`
// renders them for a terminal through pino-pretty.
import pino, { type Logger } from 'pino';

// Defense in depth: no code logs these, and none must start to.
const REDACT = ['password', '*.password', 'connectionString', '*.connectionString', 'token', '*.token'];

export function createLogger(options: { pretty: boolean; level?: string }): Logger {
  const level = options.level ?? process.env.CRONKEEPER_LOG_LEVEL ?? 'info';
  if (options.pretty) {
    return pino({
      level,
      redact: REDACT,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, singleLine: true, translateTime: 'SYS:standard', ignore: 'pid,hostname' },
      },
    });
  }
  // Synchronous writes: every line is on stdout before the process exits,
  // SIGKILL aside, which is what an operator reading journald needs.
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT },
    pino.destination({ dest: 1, sync: true }),
  );
}
