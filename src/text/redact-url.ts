// URLs as they may be printed: in logs, in config problems, in job output.

/**
 * A URL safe to print: the password is masked, in the userinfo and in the query
 * string (`?password=`, `sslpassword=`, as pg and libpq accept), also in a URL
 * that does not parse.
 */
export function redactUrl(url: string): string {
  const maskQuery = (text: string) => text.replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return maskQuery(u.toString());
  } catch {
    return maskQuery(url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@'));
  }
}
