// Preloaded (`node --import`) into a daemon under test when
// CRONKEEPER_TEST_CLOCK_OFFSET_FILE names a file: the process's wall clock
// (Date.now) becomes the real one plus the integer number of milliseconds in
// that file, re-read every 100 ms, so a test can step a real daemon's clock
// forward or back as NTP or a resumed VM would. Timers and the monotonic clock
// are not shifted, just as a real clock step leaves them alone. The daemon
// itself has no hook for this.
import fs from 'node:fs';

const file = process.env.CRONKEEPER_TEST_CLOCK_OFFSET_FILE;
if (file) {
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  const read = () => {
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
  Date.now = () => realNow() + offsetMs;
}
