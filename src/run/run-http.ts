// Runs an HTTP job: one request with the slot described in a JSON body.
// The response body is read only up to MAX_RESPONSE_BYTES, so a huge or
// endless response cannot hold the run or its memory.
import { performance } from 'node:perf_hooks';
import type pino from 'pino';
import type { HttpAction } from '../config/types.js';
import { redactUrl } from '../text/redact-url.js';
import { OutputTail } from './output-tail.js';
import { errorMessage, isoTime, runLogFields, runSlotKey, startTimer } from './run-fields.js';
import type { RunHandle, RunRequest, RunResult } from './types.js';

/** At most this many bytes of a response body are read; the rest is discarded. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** The first this many bytes of a response body are logged at debug level. */
export const LOGGED_RESPONSE_BYTES = 1024;

/**
 * What an HTTP job receives as its JSON request body (plus the request's
 * extraBody fields, merged last). scheduledAt is ISO 8601 UTC with milliseconds.
 */
export interface HttpRunBody {
  job: string;
  scheduledAt: string;
  catchup: boolean;
  /** The slot key (see runSlotKey): `<job>@<scheduledAt>`, or `<job>@manual:<runId>` for a manual run. */
  slot: string;
  /** A manual run (cronkeeper trigger). */
  manual: boolean;
  runId: number;
  epoch: number;
  nodeId: string;
  /** 1 = the first run, 2 = the first retry, ... */
  attempt: number;
  [extra: string]: unknown;
}

export function httpRunBody(req: RunRequest): HttpRunBody {
  return {
    job: req.job.name,
    scheduledAt: isoTime(req.scheduledAtMs),
    catchup: req.catchup,
    slot: runSlotKey(req),
    manual: req.manual === true,
    runId: req.runId,
    epoch: req.epoch,
    nodeId: req.nodeId,
    attempt: req.attempt,
    ...req.extraBody,
  };
}

type Ending = { outcome: 'timeout' | 'stopped'; error: string };

/** Starts an HTTP job. Never throws; the result never rejects. */
export function runHttp(req: RunRequest, action: HttpAction, logger: pino.Logger): RunHandle {
  const { job } = req;
  const fields = runLogFields(req);
  const startedAt = performance.now();
  const controller = new AbortController();
  let ending: Ending | undefined;
  let finished = false;

  const end = (next: Ending): void => {
    if (finished || ending !== undefined) return;
    ending = next;
    controller.abort(new Error(next.error));
  };

  const timer = startTimer(job.timeoutMs, () => {
    logger.warn({ ...fields, timeoutMs: job.timeoutMs }, 'run timed out; aborting the request');
    end({ outcome: 'timeout', error: `timed out after ${job.timeoutMs} ms` });
  });

  const tail = new OutputTail(job.outputKeepBytes);
  const target = requestTarget(action.url);

  const request = async (): Promise<Omit<RunResult, 'durationMs' | 'outputTail'>> => {
    let httpStatus: number | null = null;
    try {
      const method = action.method.toUpperCase();
      // fetch refuses a body on GET and HEAD: such a request goes without one.
      const withBody = method !== 'GET' && method !== 'HEAD';
      const headers = new Headers(withBody ? { 'content-type': 'application/json' } : {});
      if (target.authorization !== undefined) headers.set('authorization', target.authorization);
      for (const [name, value] of Object.entries(action.headers)) headers.set(name, value);
      const response = await fetch(target.url, {
        method,
        headers,
        body: withBody ? JSON.stringify(httpRunBody(req)) : undefined,
        signal: controller.signal,
      });
      httpStatus = response.status;
      let body: Buffer = Buffer.alloc(0);
      try {
        body = await readBody(response, MAX_RESPONSE_BYTES);
      } catch (err) {
        if (ending !== undefined) throw err;
        // The status decides the outcome; a body cut short is only worth a note.
        logger.warn(
          { ...fields, httpStatus, err: target.scrub(errorMessage(err)) },
          'could not read the http response body',
        );
      }
      tail.push(body);
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          {
            ...fields,
            httpStatus,
            bytesRead: body.length,
            body: body.subarray(0, LOGGED_RESPONSE_BYTES).toString('utf8'),
          },
          'http response',
        );
      }
      if (ending !== undefined) return { ...ended(ending), httpStatus };
      return {
        outcome: response.ok ? 'success' : 'failure',
        exitCode: null,
        signal: null,
        httpStatus,
        error: null,
      };
    } catch (err) {
      if (ending !== undefined) return { ...ended(ending), httpStatus };
      // Connection refused, DNS, TLS, a malformed URL or header, a reset mid-body.
      const error = target.scrub(errorMessage(err));
      return { outcome: 'error', exitCode: null, signal: null, httpStatus, error };
    }
  };

  const result = request().then((r) => {
    finished = true;
    timer?.clear();
    return { ...r, durationMs: performance.now() - startedAt, outputTail: tail.text() };
  });

  return {
    result,
    stop(reason: string): void {
      if (finished || ending !== undefined) return;
      logger.info({ ...fields, reason }, 'stopping run');
      end({ outcome: 'stopped', error: `stopped: ${reason}` });
    },
  };
}

/**
 * The URL to request and its credentials: userinfo (`https://user:pass@host/`)
 * is sent as Basic authorization, as curl does (fetch refuses such a URL, and
 * its error would quote it), and never appears in an error, the log or the
 * ledger: `scrub` masks it in any text.
 */
export function requestTarget(text: string): {
  url: string;
  authorization: string | undefined;
  scrub: (message: string) => string;
} {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text, authorization: undefined, scrub: (m) => m.replaceAll(text, redactUrl(text)) };
  }
  if (url.username === '' && url.password === '')
    return { url: text, authorization: undefined, scrub: (m) => m };
  const { username, password } = url;
  url.username = '';
  url.password = '';
  // The password as written and decoded; not the user name, which may be a common word.
  const secrets = [password, safeDecode(password)].filter((s) => s.length > 0);
  const user = safeDecode(username);
  return {
    url: url.toString(),
    authorization: `Basic ${Buffer.from(`${user}:${safeDecode(password)}`).toString('base64')}`,
    scrub: (message) => {
      let out = message.replaceAll(text, redactUrl(text));
      for (const secret of secrets) out = out.replaceAll(secret, '***');
      return out;
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function ended(ending: Ending): Omit<RunResult, 'durationMs' | 'httpStatus' | 'outputTail'> {
  return { outcome: ending.outcome, exitCode: null, signal: null, error: ending.error };
}

/** Reads up to `max` bytes of the body, then cancels the rest of it. */
async function readBody(response: Response, max: number): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, max - total);
      chunks.push(take === value.byteLength ? value : value.subarray(0, take));
      total += take;
    }
  } finally {
    if (total >= max) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}
