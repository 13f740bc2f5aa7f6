// Settings read from a shipped unit file, so that the checks follow the unit
// (a WatchdogSec= changed there is waited for here) instead of restating it.

/** The value of the last `KEY=` line of the unit's text. */
export function unitSetting(text: string, key: string): string {
  const values = [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  const last = values.at(-1);
  if (last === undefined) throw new Error(`no ${key}= in the unit`);
  return last;
}

/** A time span setting (`30s`, `5min`, `1min 30s`, a bare number of seconds) in seconds. */
export function unitSeconds(text: string, key: string): number {
  const value = unitSetting(text, key);
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const part of value.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const unit = m ? units[m[2]!] : undefined;
    if (!m || unit === undefined) throw new Error(`${key}=${value}: not a time span this test reads`);
    total += Number(m[1]) * unit;
  }
  return total;
}
