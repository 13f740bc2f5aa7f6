// The zod schemas of the config file: one field at a time. Rules that tie
// several fields of a job together live in job-rules.ts; messages for zod's
// own issues come from zod-issues.ts; the kinds of value (durations, sizes,
// integers, booleans) from field-values.ts.
import { z } from 'zod';
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { parseInstant } from '../schedule/iso-instant.js';
import { redactUrl } from '../text/redact-url.js';
import { parsePgTarget } from '../text/pg-url.js';
import { bool, describeValue, duration, int, scalarString, size } from './field-values.js';
import type {
  CatchupPolicy,
  HookConfig,
  InterruptedPolicy,
  LogOutputMode,
  OverlapPolicy,
  ResumePolicy,
  ScheduleChangePolicy,
} from './types.js';

export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LISTEN = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

/** A hook's timeout when it sets none. */
export const HOOK_TIMEOUT_MS = 300_000;
/** The most output of a run the ledger keeps (`outputKeep`). */
export const MAX_OUTPUT_KEEP_BYTES = 1_048_576;

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The built-in job policies, used where neither the job nor `defaults:` sets one. */
export const BUILTIN_JOB_DEFAULTS = {
  catchup: 'latest' as CatchupPolicy,
  catchupWindowMs: 24 * 3_600_000,
  maxCatchup: 100,
  overlap: 'skip' as OverlapPolicy,
  timeoutMs: 3_600_000,
  killGraceMs: 10_000,
  onInterrupted: 'skip' as InterruptedPolicy,
  onResume: 'skip' as ResumePolicy,
  onScheduleChange: 'keep' as ScheduleChangePolicy,
  retries: { max: 0, backoffMs: 10_000, maxBackoffMs: 300_000 },
  jitterMs: 0,
  onFailure: undefined as HookConfig | undefined,
  onSuccess: undefined as HookConfig | undefined,
  outputKeepBytes: 16_384,
  logOutput: 'lines' as LogOutputMode,
  logLineRate: 100,
  keepChildren: false,
  maxAgeMs: undefined as number | undefined,
  inheritEnv: NO_NAMES,
  runOn: undefined as string | undefined,
};
export type JobDefaults = typeof BUILTIN_JOB_DEFAULTS;

const nonEmptyString = z.string().min(1);

const instant = z.string().transform((text, ctx): number => {
  const ms = parseInstant(text);
  if (ms !== undefined) return ms;
  ctx.addIssue({
    code: 'custom',
    message: `'${text}' is not an ISO 8601 instant with an offset; use e.g. 2026-01-01T00:00:00Z`,
  });
  return z.NEVER;
});

const timezone = z.string().refine(isValidTimeZone, { error: (iss) => `unknown time zone '${iss.input}'` });

const argv = z
  .array(z.string(), {
    error: (iss) =>
      typeof iss.input === 'string'
        ? `expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", ${JSON.stringify(iss.input)}]`
        : undefined,
  })
  .min(1, { error: 'must name at least the program to run' })
  .refine((list) => list[0] !== '', { error: 'the program (first element) must not be empty', path: [0] });

const envMap = z.record(
  z
    .string()
    .regex(ENV_NAME, {
      error: (iss) => `invalid environment variable name '${iss.input}'; use letters, digits and '_'`,
    })
    .refine((name) => !name.startsWith('CRONKEEPER_'), {
      error: (iss) => `'${iss.input}' is reserved: the daemon sets the CRONKEEPER_* variables`,
    }),
  scalarString(),
);

const httpUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  // The value may hold a password (https://user:pass@host/): the message shows it masked.
  {
    error: (iss) =>
      `${describeValue(typeof iss.input === 'string' ? redactUrl(iss.input) : iss.input)} is not an http:// or https:// URL`,
  },
);

const httpAction = z.strictObject({
  url: httpUrl,
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, { error: (iss) => `invalid HTTP method '${iss.input}'` })
    .transform((method) => method.toUpperCase())
    .optional(),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: (iss) => `invalid HTTP header name '${iss.input}'` }),
      scalarString().refine((v) => !/[\r\n]/.test(v), {
        error: 'a header value must not contain a line break',
      }),
    )
    .optional(),
});

/** Retries of a failed run; a missing field comes from `defaults.retries`, then the built-ins. */
const retriesSchema = z.strictObject({
  max: int(0).optional(),
  backoff: duration().optional(),
  maxBackoff: duration().optional(),
});

/**
 * onFailure / onSuccess: a command (with env, cwd) or an HTTP request, as for a
 * job. Exactly one of command/http is a rule (job-rules.ts), not a schema.
 */
const hookSchema = z.strictObject({
  command: argv.optional(),
  cwd: nonEmptyString.optional(),
  env: envMap.optional(),
  http: httpAction.optional(),
  timeout: duration().optional(),
});
export type ParsedHook = z.output<typeof hookSchema>;

/** Job policies that `defaults:` may set for every job. */
const policyShape = {
  catchup: z.enum(['all', 'latest', 'none']).optional(),
  catchupWindow: duration().optional(),
  maxCatchup: int(0).optional(),
  overlap: z.enum(['skip', 'queue', 'allow', 'replace']).optional(),
  timeout: duration().optional(),
  killGrace: duration().optional(),
  onInterrupted: z.enum(['skip', 'rerun']).optional(),
  onResume: z.enum(['skip', 'catchup']).optional(),
  onScheduleChange: z.enum(['keep', 'reanchor']).optional(),
  retries: retriesSchema.optional(),
  jitter: duration({ minMs: 0 }).optional(),
  onFailure: hookSchema.optional(),
  onSuccess: hookSchema.optional(),
  outputKeep: size({ maxBytes: MAX_OUTPUT_KEEP_BYTES }).optional(),
  logOutput: z.enum(['lines', 'tail', 'none']).optional(),
  logLineRate: int(1).optional(),
  keepChildren: bool().optional(),
  maxAge: duration().optional(),
  // Where the job's runs execute: `local` (the leader), or the workers of a pool (cronkeeper worker --pool).
  runOn: z
    .string()
    .regex(JOB_NAME, {
      error: (iss) =>
        `invalid pool name '${String(iss.input)}': use 'local', or 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    })
    .optional(),
  // The daemon's secrets a command job (and its hooks) may inherit after all (run/job-env.ts).
  inheritEnv: z
    .array(
      z.string().regex(ENV_NAME, {
        error: (iss) => `invalid environment variable name '${iss.input}'; use letters, digits and '_'`,
      }),
    )
    .optional(),
};

export const defaultsSchema = z.strictObject(policyShape).nullish();

export const jobSchema = z.strictObject({
  schedule: z.string().trim().min(1, { error: 'must not be empty' }).optional(),
  timezone: timezone.optional(),
  every: duration({ minMs: 1000, wholeSeconds: true }).optional(),
  offset: duration({ minMs: 0 }).optional(),
  ...policyShape,
  backfillFrom: instant.optional(),
  formerNames: z
    .array(
      z.string().regex(JOB_NAME, {
        error: 'must be a job name: letters, digits, ., _, - (starting with a letter or digit)',
      }),
    )
    .optional(),
  command: argv.optional(),
  cwd: nonEmptyString.optional(),
  env: envMap.optional(),
  http: httpAction.optional(),
});
export type ParsedJob = z.output<typeof jobSchema>;

/** True for 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** host:port with a port number that exists. */
export function isListenAddress(text: string): boolean {
  const m = LISTEN.exec(text);
  return m !== null && Number(m[2]) <= 65535;
}

/** A name a client may put in the Host header: a DNS name or an IP address (IPv6 in brackets or not), no port. */
const hostName = z
  .string()
  .refine((text) => /^(?:[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[?[0-9A-Fa-f:.]+\]?)$/.test(text), {
    error: (iss) =>
      `${describeValue(iss.input)} is not a host name; use a name or address without a port, e.g. cron.example.org`,
  });

const listen = z.string().refine((text) => isListenAddress(text), {
  error: (iss) => `'${iss.input}' is not a listen address; use host:port, e.g. 127.0.0.1:9464`,
});

const postgresUrl = z
  .string()
  .regex(/^postgres(?:ql)?:\/\//, {
    // The value may hold a password: the message shows it masked.
    error: (iss) =>
      `${describeValue(typeof iss.input === 'string' ? redactUrl(iss.input) : iss.input)} is not a postgres:// URL`,
  })
  .superRefine((url, ctx) => {
    // Several hosts, libpq's way (pg-url.ts): a list pg cannot use is an error here, not at connect time.
    if (!/^postgres(?:ql)?:\/\//.test(url)) return;
    try {
      parsePgTarget(url);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `${describeValue(redactUrl(url))}: ${(e as Error).message}` });
    }
  });

/** The main file's settings. `include` and `jobs` are validated on their own. */
export const settingsSchema = z.strictObject({
  store: z
    .strictObject({
      url: postgresUrl.optional(),
      path: nonEmptyString.optional(),
      requireSynchronousReplication: bool().optional(),
    })
    .nullish(),
  spool: z.strictObject({ path: nonEmptyString.optional() }).nullish(),
  snapshot: z
    .strictObject({ interval: duration().optional(), maxUpdates: int(1).optional(), keep: int(1).optional() })
    .nullish(),
  ledger: z.strictObject({ retention: duration().optional() }).nullish(),
  http: z
    .strictObject({
      listen: listen.optional(),
      token: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
      allowedHosts: z.array(hostName).optional(),
    })
    .superRefine((http, ctx) => {
      // A malformed address has its own problem already.
      const wellFormed = http.listen !== undefined && LISTEN.test(http.listen);
      if (wellFormed && !isLoopbackListen(http.listen!) && http.token === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['listen'],
          message: `'${http.listen}' is not a loopback address: set http.token, which every request must then present`,
        });
      }
    })
    .nullish(),
  ha: z
    .strictObject({
      nodeId: nonEmptyString.optional(),
      lease: duration({ minMs: 1000 }).optional(),
      poll: duration({ minMs: 10 }).optional(),
      hostWait: duration().optional(),
    })
    .nullish(),
  catchupConcurrency: int(1).optional(),
  concurrency: z.strictObject({ max: int(1).optional(), perJob: int(1).optional() }).nullish(),
  shutdownGrace: duration().optional(),
  defaults: defaultsSchema,
  include: z.unknown().optional(),
  jobs: z.unknown().optional(),
});
export type ParsedSettings = z.output<typeof settingsSchema>;
