// The UTC offset of an IANA zone at an instant, cached. Asking Intl costs
// several µs; a scheduler asks for the same few zones around the same few
// instants all the time. Offsets are cached per 15-minute bucket of UTC time,
// and only for a bucket whose start and end have the same offset (a bucket
// holding a transition is computed exactly every time).
const BUCKET_MS = 15 * 60_000;
const MAX_BUCKETS = 100_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets by zone, then bucket: numeric keys, no key string built per call. */
const buckets = new Map<string, Map<number, number>>();
let bucketCount = 0;

/** local wall time - UTC, in ms, of `zone` at `atMs` (UTC ms). Throws for an unknown zone. */
export function zoneOffsetMs(zone: string, atMs: number): number {
  const bucket = Math.floor(atMs / BUCKET_MS);
  let byBucket = buckets.get(zone);
  const hit = byBucket?.get(bucket);
  if (hit !== undefined) return hit;
  const start = exactOffsetMs(zone, bucket * BUCKET_MS);
  const end = exactOffsetMs(zone, (bucket + 1) * BUCKET_MS - 1);
  if (start !== end) return exactOffsetMs(zone, atMs);
  if (bucketCount >= MAX_BUCKETS) {
    for (const m of buckets.values()) m.clear();
    bucketCount = 0;
  }
  if (!byBucket) buckets.set(zone, (byBucket = new Map()));
  byBucket.set(bucket, start);
  bucketCount++;
  return start;
}

function exactOffsetMs(zone: string, atMs: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(atMs)) p[part.type] = part.value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  wall.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
  const secondFloor = atMs - (((atMs % 1000) + 1000) % 1000);
  return wall.getTime() - secondFloor;
}
