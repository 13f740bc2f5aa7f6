// The one place that reads the wall clock. Everything else takes a Clock (or a
// `nowMs`) so that planning, DST and clock jumps are testable at fixed instants.
import fs from 'node:fs';

export interface Clock {
  /** Wall-clock time as UTC epoch milliseconds. */
  now(): number;
}

/**
 * Test hook, not a setting: when CRONKEEPER_TEST_CLOCK_OFFSET_FILE names a
 * file, the daemon's wall clock is the real one plus the integer number of
 * milliseconds in that file (re-read every 100 ms), so an integration test can
 * step the clock of a real daemon forward or back, as NTP or a resumed VM
 * would. Timers are not shifted, just as a real clock step leaves them alone.
 */
export const TEST_CLOCK_OFFSET_ENV = 'CRONKEEPER_TEST_CLOCK_OFFSET_FILE';

export const systemClock: Clock = process.env[TEST_CLOCK_OFFSET_ENV]
  ? offsetClock(process.env[TEST_CLOCK_OFFSET_ENV])
  : { now: () => Date.now() };

/** The real clock plus the offset (ms) in `file`; an unreadable file keeps the last offset. */
export function offsetClock(file: string): Clock {
  let offsetMs = 0;
  const read = (): void => {
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      const n = Number(text);
      if (text !== '' && Number.isInteger(n)) offsetMs = n;
    } catch {
      // missing or being rewritten: keep the last offset
    }
  };
  read();
  setInterval(read, 100).unref();
  return { now: () => Date.now() + offsetMs };
}
