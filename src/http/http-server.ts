// The daemon's HTTP endpoints, all read-only:
//   /healthz  alive (the event loop answers)
//   /readyz   200 when ready (leader restored and caught up, or a standby whose database answers), else 503
//   /status   the status document (as `cronkeeper status --json`)
//   /metrics  Prometheus text format
//   /         the status page
//
// Nothing here may take the schedule's time (DESIGN.md, the critical path):
// - bounded: at most MAX_CONNECTIONS open connections, MAX_REQUESTS being
//   served at once (beyond: 503 with Retry-After, no work done), and timeouts
//   so a slow or idle client cannot hold a place;
// - shared: /metrics is rendered at most once per METRICS_MAX_AGE_MS and
//   /status read from the store at most once per STATUS_MAX_AGE_MS, each
//   result handed to every request that comes meanwhile (shared-result.ts);
// - cheap to refuse: a request that does not parse is answered 400 on its
//   socket and counted, never logged with its URL or a stack.
// Before routing (request-checks.ts): the token when http.token is set
// (`Authorization: Bearer <token>` or `?token=<token>`, else 401, whatever
// the path or method), the Host header (421 unless a loopback name, the
// listen host or one of http.allowedHosts: DNS rebinding), and the target's
// form (only origin-form paths are routed).
//
// Binding never fails the daemon: a port taken or an address not there is
// logged as an error, shown as cronkeeper_http_listening 0, and retried with
// backoff while the schedule runs on.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { NodeState } from '../status/node-state.js';
import { HttpMetrics } from './http-metrics.js';
import {
  allowedHostNames,
  isAllowedHost,
  isOriginForm,
  presentedToken,
  tokenMatches,
} from './request-checks.js';
import { describePortHolder } from './port-holder.js';
import { SharedResult } from './shared-result.js';
import { firstStatusElement, statusPageParts } from './status-page.js';

/** Open connections at most; Node closes any beyond at once. A local scraper and a few pages need far fewer. */
export const MAX_CONNECTIONS = 64;
/** Requests being served at once at most (until their response is written); beyond: 503. */
export const MAX_REQUESTS = 16;
/** Seconds a client told 503 should wait (Retry-After). */
const RETRY_AFTER_S = 1;
/** A client must send its request head within this (ms) and the whole request within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this (ms). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A connection with no traffic either way for this long (ms; e.g. a client that stops reading) is closed. */
const SOCKET_IDLE_TIMEOUT_MS = 30_000;
/** How often Node checks the two request timeouts (ms; its default, 30 s, lets a slow client stay far longer). */
const TIMEOUT_CHECK_MS = 1_000;
/** A /metrics render is served to every scrape for this long (ms). */
export const METRICS_MAX_AGE_MS = 1_000;
/** A status document read from the store is served for this long (ms); the status page polls every 5 s. */
export const STATUS_MAX_AGE_MS = 2_000;
/** The page waits this long (ms) for a status document to carry; past it, it is sent without and fetches it. */
const FIRST_PAINT_WAIT_MS = 700;
/** A status document larger than this (bytes) is not carried by the page, which fetches it instead. */
const FIRST_PAINT_MAX_BYTES = 2 * 1024 * 1024;
/** Binding is retried after this (ms), doubling up to BIND_RETRY_MAX_MS. */
const BIND_RETRY_FIRST_MS = 1_000;
const BIND_RETRY_MAX_MS = 30_000;

export interface HttpServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  token: string | undefined;
  /** Host names (besides loopback and the listen host) requests may carry in Host (http.allowedHosts). */
  allowedHosts: readonly string[];
  state: NodeState;
  metrics: Metrics;
  /** The status document; rejects when the store cannot be read. Called at most once per STATUS_MAX_AGE_MS. */
  status: () => Promise<unknown>;
  logger: Logger;
}

export interface RunningHttpServer {
  /** Where it listens; undefined while binding fails (and is retried). */
  address(): { host: string; port: number } | undefined;
  close(): Promise<void>;
}

/** Starts serving: returns at once, binding (and retrying to bind) in the background. Never throws. */
export function startHttpServer(o: HttpServerOptions): RunningHttpServer {
  const sep = o.listen.lastIndexOf(':');
  const host = o.listen.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(o.listen.slice(sep + 1));
  const allowedHosts = allowedHostNames(host, o.allowedHosts);
  const httpMetrics = new HttpMetrics(o.metrics.registry);
  httpMetrics.listening.set(0);
  const page = readStatusPage(o.logger);
  // Buffers, not strings: each response writes the same bytes without a copy per socket.
  const metricsBody = new SharedResult<Buffer[]>({
    maxAgeMs: METRICS_MAX_AGE_MS,
    load: async () => {
      httpMetrics.metricsRenders.inc();
      const chunks: Buffer[] = [];
      await o.metrics.writeExposition((chunk) => chunks.push(Buffer.from(chunk)));
      return chunks;
    },
  });
  const statusBody = new SharedResult<Buffer>({
    maxAgeMs: STATUS_MAX_AGE_MS,
    load: async () => {
      httpMetrics.statusReads.inc();
      return Buffer.from(JSON.stringify(await o.status(), null, 2) + '\n');
    },
  });

  const server = http.createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);
  let serving = 0;
  server.on('request', (req, res) => {
    if (serving >= MAX_REQUESTS) {
      httpMetrics.overloaded.inc();
      res.setHeader('retry-after', String(RETRY_AFTER_S));
      return send(res, 503, 'text/plain; charset=utf-8', 'busy: too many requests at once; retry later\n');
    }
    serving++;
    res.once('close', () => serving--);
    void handle(req, res).catch((err: unknown) => {
      // Not the URL: it may carry ?token=.
      o.logger.error({ error: (err as Error).message }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A client that went away is not a bad request.
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    httpMetrics.badRequests.inc();
    o.logger.debug({ code: err.code }, 'http: malformed or too slow request; connection closed');
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.url ?? '';
    if (o.token !== undefined && !tokenMatches(presentedToken(req.headers.authorization, target), o.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="cronkeeper"');
      return send(
        res,
        401,
        'text/plain; charset=utf-8',
        'unauthorized: present http.token as a Bearer token or ?token=\n',
      );
    }
    if (!isAllowedHost(req.headers.host, allowedHosts)) {
      return send(
        res,
        421,
        'text/plain; charset=utf-8',
        'misdirected: this daemon does not answer to that Host (add it to http.allowedHosts)\n',
      );
    }
    if (!isOriginForm(target)) {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad request target: use a path, e.g. /status\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET or HEAD\n');
    }
    switch (new URL(target, 'http://localhost').pathname) {
      case '/': {
        if (!page) {
          return send(
            res,
            500,
            'text/plain; charset=utf-8',
            'the status page is missing from this install\n',
          );
        }
        // With the newest status document in it, when it comes soon: the page paints at once.
        let wait: NodeJS.Timeout | undefined;
        const first = await Promise.race([
          statusBody.get().catch(() => undefined),
          new Promise<undefined>(
            (resolve) => (wait = setTimeout(() => resolve(undefined), FIRST_PAINT_WAIT_MS)),
          ),
        ]);
        clearTimeout(wait);
        const carried =
          first && first.value.length <= FIRST_PAINT_MAX_BYTES
            ? firstStatusElement(first.value.toString('utf8'), first.ageMs)
            : '';
        return send(res, 200, 'text/html; charset=utf-8', page.head + carried + page.tail);
      }
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const ready = o.state.ready;
        return sendJson(res, ready ? 200 : 503, {
          ready,
          role: o.state.current.role,
          status: o.state.describe(),
        });
      }
      case '/metrics': {
        const { value } = await metricsBody.get();
        return sendChunks(res, 200, o.metrics.contentType, value);
      }
      case '/status': {
        let shared;
        try {
          shared = await statusBody.get();
        } catch (err) {
          return sendJson(res, 503, { error: `the store cannot be read: ${(err as Error).message}` });
        }
        // The page corrects its clock-skew estimate by the document's age (its `now` is when it was read).
        res.setHeader('x-status-age-ms', String(Math.round(shared.ageMs)));
        return sendChunks(res, 200, 'application/json; charset=utf-8', [shared.value]);
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  let closed = false;
  let address: { host: string; port: number } | undefined;
  let retry: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  void (async () => {
    for (
      let delay = BIND_RETRY_FIRST_MS, attempt = 1;
      !closed;
      delay = Math.min(delay * 2, BIND_RETRY_MAX_MS)
    ) {
      try {
        await listenOnce(server, port, host);
      } catch (err) {
        if (closed) return;
        const e = err as NodeJS.ErrnoException;
        // Who has the port, once: most often an earlier cronkeeper still running.
        const holder =
          e.code === 'EADDRINUSE' && attempt === 1
            ? await describePortHolder(port).catch(() => undefined)
            : undefined;
        if (closed) return;
        o.logger.error(
          { listen: o.listen, code: e.code, ...(holder ? { holder } : {}), attempt, retryInMs: delay },
          `http: cannot listen on ${o.listen} (${holder ? `in use by ${holder}` : (e.code ?? e.message)}): /metrics, /readyz and /status are unavailable; scheduling goes on; retrying`,
        );
        attempt++;
        await new Promise<void>((wake) => (retry = { timer: setTimeout(wake, delay), wake }));
        retry = undefined;
        continue;
      }
      if (closed) return;
      // Accept errors after binding (e.g. out of file descriptors) must not end the daemon.
      server.on('error', (err: NodeJS.ErrnoException) =>
        o.logger.warn({ code: err.code, error: err.message }, 'http server error'),
      );
      const a = server.address() as AddressInfo;
      address = { host: a.address, port: a.port };
      httpMetrics.listening.set(1);
      o.logger.info(
        { host: a.address, port: a.port, tokenRequired: o.token !== undefined, attempts: attempt },
        'http listening',
      );
      return;
    }
  })();

  return {
    address: () => address,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        if (retry) {
          clearTimeout(retry.timer);
          retry.wake();
        }
        httpMetrics.listening.set(0);
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The status page's parts, read once; undefined (logged) when its files are missing from the install. */
function readStatusPage(logger: Logger): { head: string; tail: string } | undefined {
  try {
    return statusPageParts();
  } catch (err) {
    logger.error(
      { error: (err as Error).message },
      'http: cannot put the status page together; / answers 500',
    );
    return undefined;
  }
}

function listenOnce(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    ...COMMON_HEADERS,
    ...(type.startsWith('text/html')
      ? {
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        }
      : {}),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes a shared body (see job-series.ts for why /metrics comes in chunks),
 * waiting for the socket to drain after each chunk it cannot take at once: a
 * slow reader holds its own place, not the daemon's memory.
 */
async function sendChunks(
  res: http.ServerResponse,
  status: number,
  type: string,
  chunks: Buffer[],
): Promise<void> {
  let length = 0;
  for (const c of chunks) length += c.length;
  res.writeHead(status, { 'content-type': type, 'content-length': length, ...COMMON_HEADERS });
  if (res.req.method === 'HEAD') return void res.end();
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

function drained(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
