// Concurrent HTTP readers of a daemon's /metrics or /status: `clients` loops,
// each one request at a time on its own keep-alive connection, for a fixed
// duration; loopback only. Stops by itself: at the deadline every request
// still open is aborted.
import http from 'node:http';
import { percentile } from './load-ticks.js';

export interface FloodOptions {
  /** http://127.0.0.1:PORT/path (or [::1]); anything else is refused. */
  url: string;
  clients: number;
  durationMs: number;
  /** A request that takes longer is aborted and counted as an error. */
  requestTimeoutMs?: number;
}

export interface FloodFigures {
  url: string;
  clients: number;
  durationMs: number;
  requests: number;
  /** By HTTP status, or by error code ('ECONNRESET', 'timeout', ...). */
  outcomes: Record<string, number>;
  /** Response times of answered requests, ms. */
  latency: { p50: number; p99: number; max: number } | null;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** After an error, a client waits this long before its next request: a refused connect must not spin. */
const ERROR_PAUSE_MS = 20;
/** A request still open at the deadline gets this long to finish, then it is aborted. */
const END_GRACE_MS = 2_000;

export async function floodHttp(o: FloodOptions): Promise<FloodFigures> {
  const target = new URL(o.url);
  if (!LOOPBACK.has(target.hostname))
    throw new Error(`floodHttp: ${o.url} is not a loopback address; load runs only against the local daemon`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients });
  const deadline = performance.now() + o.durationMs;
  const outcomes: Record<string, number> = {};
  const times: number[] = [];
  let requests = 0;
  const count = (key: string) => (outcomes[key] = (outcomes[key] ?? 0) + 1);
  const timeoutMs = o.requestTimeoutMs ?? 10_000;

  const one = () =>
    new Promise<boolean>((resolve) => {
      const started = performance.now();
      const req = http.get(
        target,
        { agent, timeout: Math.max(1, Math.min(timeoutMs, deadline + END_GRACE_MS - started)) },
        (res) => {
          res.resume();
          res.on('end', () => {
            count(String(res.statusCode));
            times.push(performance.now() - started);
            resolve(true);
          });
          res.on('error', (err: NodeJS.ErrnoException) => {
            count(err.code ?? 'error');
            resolve(false);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        count(err.code ?? 'error');
        resolve(false);
      });
    });

  const client = async () => {
    while (performance.now() < deadline) {
      requests++;
      if (!(await one())) await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
    }
  };
  try {
    await Promise.all(Array.from({ length: o.clients }, client));
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => round(percentile(times, q));
  return {
    url: o.url,
    clients: o.clients,
    durationMs: o.durationMs,
    requests,
    outcomes,
    latency: times.length > 0 ? { p50: at(0.5), p99: at(0.99), max: round(times[times.length - 1]!) } : null,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
