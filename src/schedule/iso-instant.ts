// ISO 8601 instants as operators write them: an offset (or Z) is required, so no
// local zone is ever guessed, and impossible dates (Feb 31) are refused rather
// than rolled over as Date.parse does.
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** UTC ms of an ISO 8601 instant with a zone offset or Z, or undefined (also for impossible dates). */
export function parseInstant(text: string): number | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? '0');
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || n(10) > 23 || n(11) > 59) return undefined;
  const fraction = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  const offsetMin = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear undoes that.
  const date = new Date(local);
  date.setUTCFullYear(year);
  return date.getTime() - offsetMin * 60_000;
}
