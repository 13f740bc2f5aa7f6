// What a request must pass before it is routed, each a pure function of the
// request's parts: the token, the Host header (DNS rebinding), the form of
// the request target.
import { timingSafeEqual } from 'node:crypto';

/** The names any local client may use, besides the listen address and `http.allowedHosts`. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The host names (lower case, IPv6 in brackets, no port) a request's Host
 * header may carry: loopback, the listen host, and the configured ones.
 */
export function allowedHostNames(listenHost: string, configured: readonly string[]): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  for (const h of [listenHost, ...configured]) {
    const name = h.toLowerCase();
    names.add(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name);
  }
  return names;
}

/**
 * True when the Host header names this daemon. A page on another site that
 * rebinds its own name to 127.0.0.1 reaches this port with its own name in
 * Host: refused, so it cannot read /status. Any port is accepted (a proxy or
 * port forward may change it). No Host at all (an HTTP/1.0 client; Node
 * refuses HTTP/1.1 without one) is not a browser: accepted.
 */
export function isAllowedHost(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (host === undefined) return true;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host.trim());
  return m !== null && allowed.has(m[1]!.toLowerCase());
}

/**
 * True for an origin-form target (`/status?x`), the only form routed. An
 * absolute-form target (`http://other/status`) or `//other/status` would
 * parse to the path /status against a base URL, but names another origin.
 */
export function isOriginForm(target: string): boolean {
  return target.startsWith('/') && !target.startsWith('//');
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, else
 * `?token=` of an origin-form target; undefined when none.
 */
export function presentedToken(authorization: string | undefined, target: string): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7);
  if (!isOriginForm(target)) return undefined;
  const q = target.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(target.slice(q + 1)).get('token') ?? undefined;
}

/** Compares in constant time (for equal lengths). */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
