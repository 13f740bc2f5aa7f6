// A pino logger that keeps its lines in memory, for tests that assert what
// was logged.
import pino from 'pino';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** `level`: the lowest level kept ('debug' unless given). */
export function memoryLogger(level: pino.LevelWithSilent = 'debug'): {
  logger: pino.Logger;
  lines: LogLine[];
} {
  const lines: LogLine[] = [];
  const logger = pino(
    { level, base: undefined },
    { write: (s: string) => lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}
