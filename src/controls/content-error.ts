// Which failures of a control request are the request's own fault.

/**
 * An error that comes from a request's content, not from the connection: a
 * JavaScript error (a value the code cannot handle), or Postgres refusing the
 * data (SQLSTATE classes 22, data exception, and 23, integrity). Waiting does
 * not cure these; retrying the request would block every one after it.
 */
export function isContentError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
