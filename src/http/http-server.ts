// The daemon's HTTP endpoints, all read-only:
//   /healthz  alive (the event loop answers)
//   /readyz   200 when ready (leader restored and caught up, or a standby whose database answers), else 503
//   /status   the status document (as `cronkeeper status --json`)
//   /metrics  Prometheus text format
//   /         the status page
// When http.token is set (required off loopback), every request must present
// it as `Authorization: Bearer <token>` or `?token=<token>`; else 401.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { NodeState } from '../node-state.js';
import { renderStatusPage } from './status-page.js';

export interface HttpServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  token: string | undefined;
  state: NodeState;
  metrics: Metrics;
  /** The status document; rejects when the store cannot be read. */
  status: () => Promise<unknown>;
  logger: Logger;
}

export interface RunningHttpServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const sep = o.listen.lastIndexOf(':');
  const host = o.listen.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(o.listen.slice(sep + 1));
  const page = renderStatusPage();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      o.logger.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (o.token !== undefined && !authorized(req, url, o.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="cronkeeper"');
      return send(
        res,
        401,
        'text/plain; charset=utf-8',
        'unauthorized: present http.token as a Bearer token or ?token=\n',
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET or HEAD\n');
    }
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', page);
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
      case '/metrics':
        return sendMetrics(res, o.metrics);
      case '/status':
        try {
          return sendJson(res, 200, await o.status());
        } catch (err) {
          return sendJson(res, 503, { error: `the store cannot be read: ${(err as Error).message}` });
        }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  o.logger.info(
    { host: address.address, port: address.port, tokenRequired: o.token !== undefined },
    'http listening',
  );
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(req: http.IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization;
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
  if (presented === null || presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html')
      ? {
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        }
      : {}),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** /metrics, written in chunks as it is produced (100,000 jobs make ~10 MB: see job-series.ts). */
async function sendMetrics(res: http.ServerResponse, metrics: Metrics): Promise<void> {
  const head = res.req.method === 'HEAD';
  // The head goes with the first chunk: should the registry fail first, the caller can still answer 500.
  await metrics.writeExposition((chunk) => {
    if (!res.headersSent)
      res.writeHead(200, {
        'content-type': metrics.contentType,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    if (!head) res.write(chunk);
  });
  res.end();
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n');
}
