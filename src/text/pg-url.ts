// The host list of a postgres:// URL, the way libpq reads it: several
// `host:port` separated by commas, and `target_session_attrs`. Pure: the
// config is checked with it, without loading pg (pg-hosts.ts connects).

export interface PgHost {
  host: string;
  port: number;
}

export interface PgTarget {
  /** The URL with its first host, for everything but the host (user, database, options). */
  url: string;
  hosts: PgHost[];
  /** Only a server that is not in recovery will do. */
  readWrite: boolean;
}

/**
 * Parses the host list of a postgres:// URL. Throws with a message naming the
 * problem (never the password) when the list or target_session_attrs is bad.
 */
export function parsePgTarget(url: string): PgTarget {
  const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/.exec(url);
  if (!m) throw new Error('not a postgres:// URL');
  const [, scheme, userinfo = '', hostList, rest] = m as unknown as [string, string, string, string, string];
  const hosts: PgHost[] = [];
  for (const item of hostList.split(',')) {
    const h = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(item);
    if (!h) throw new Error(`bad host '${item}' in the host list`);
    const port = h[2] === undefined ? 5432 : Number(h[2]);
    if (!(port >= 1 && port <= 65535)) throw new Error(`bad port in '${item}'`);
    hosts.push({ host: (h[1] || 'localhost').replace(/^\[|\]$/g, ''), port });
  }
  const query = /\?([^#]*)/.exec(rest)?.[1] ?? '';
  const params = new URLSearchParams(query);
  const attrs = params.get('target_session_attrs');
  if (attrs !== null && attrs !== 'any' && attrs !== 'read-write' && attrs !== 'primary') {
    throw new Error(`target_session_attrs '${attrs}': cronkeeper writes, so 'read-write' (or 'any')`);
  }
  // pg would pass an option it does not know to the server as a setting.
  params.delete('target_session_attrs');
  const path = rest.replace(/\?[^#]*/, '');
  const left = params.toString();
  const first = hosts[0]!;
  const hostPart = first.host.includes(':') ? `[${first.host}]` : first.host;
  return {
    url: `${scheme}${userinfo}${hostPart}:${first.port}${path}${left ? `?${left}` : ''}`,
    hosts,
    readWrite: attrs === null ? hosts.length > 1 : attrs !== 'any',
  };
}

/** Whether `url` needs a PrimaryResolver (several hosts, or a read-write target). */
export function needsPrimaryResolver(target: PgTarget): boolean {
  return target.hosts.length > 1 || target.readWrite;
}

/** The URL to give pg: as written, unless it lists hosts or says target_session_attrs (pg knows neither). */
export function pgUrl(url: string): string {
  if (!/[?&]target_session_attrs=/.test(url) && !/^[^/]*\/\/[^/?#]*,/.test(url)) return url;
  return parsePgTarget(url).url;
}
