// Instants as the logs, the status JSON and the CLI print them: ISO 8601, UTC.

/** An instant (UTC ms) as ISO 8601. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * As isoUtc, with null for no instant. A time outside Date's range (a bad row,
 * infinity in the store) is printed as what it is instead of throwing.
 */
export function isoOrNull(v: number | Date | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const d = new Date(v);
  if (!Number.isNaN(d.getTime())) return d.toISOString();
  return v === Infinity ? 'infinity' : v === -Infinity ? '-infinity' : 'invalid time';
}
