// The text of an imported config: YAML written by hand, so that the comments
// (the crontab's own, and why each choice was made) sit where they belong. A
// string is written plain only when YAML reads it back as the same string;
// anything else is a double-quoted scalar with JSON's escapes. Pure.

/** A job as it is written; values are the strings of the config. */
export interface YamlJob {
  name: string;
  /** Comment lines above the job: one starting with `#` is kept as written, another gets `# ` before it. */
  comments: string[];
  schedule: string;
  timezone: string;
  jitter?: string;
  /** Policy keys after the schedule (`catchup`, `overlap`, `timeout`, ...), each with its value or its map. */
  policies?: YamlPolicy[];
  command: string[];
  cwd?: string;
  env: Array<[string, string]>;
}

/** A job policy: `key: value`, or `key:` and a block map of its entries. */
export interface YamlPolicy {
  key: string;
  value: string | Array<[string, string]>;
}

/** What the jobs section holds, in the crontab's order. */
export type YamlItem = { kind: 'job'; job: YamlJob } | { kind: 'comments'; lines: string[] };

export interface YamlConfig {
  /** Comment lines at the top of the file. */
  header: string[];
  /** The `defaults:` entries, each with the comment lines above it (a comment alone without a key). */
  defaults: Array<{ comments: string[]; key?: string; value?: YamlPolicy['value'] }>;
  items: YamlItem[];
}

/** Characters a YAML document may not hold as they are (YAML 1.2 `c-printable`), NEL and line separators. */
const NON_PRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Words a YAML reader may take for something other than a string. */
const SPECIAL = /^(?:true|false|null|yes|no|on|off|y|n|~|\.inf|\.nan)$/i;

/** Text a YAML reader may take for a number or a date (`1e3`, `0x1f`, `1_000`, `1:30`, `2026-01-01`). */
const NUMBER_LIKE = /^(?:[-+.\d][\d._:eE+-]*|0[xXoObB][\dA-Fa-f_]*|\d{4}-\d.*)$/;

/** `text` as a double-quoted YAML scalar (JSON's escapes are YAML's too). */
export function yamlQuoted(text: string): string {
  return JSON.stringify(text).replace(NON_PRINTABLE, escapeChar);
}

/** `text` as a YAML scalar: plain when that reads back as the same string, else double-quoted. */
export function yamlString(text: string): string {
  const plain =
    /^[A-Za-z0-9_/.][A-Za-z0-9_./:@+-]*$/.test(text) &&
    !SPECIAL.test(text) &&
    !NUMBER_LIKE.test(text) &&
    !text.endsWith(':');
  return plain ? text : yamlQuoted(text);
}

/** A comment line at `indent` spaces; a line break or a character YAML may not hold is shown escaped. */
export function yamlComment(text: string, indent: number): string {
  const shown = text
    .replace(/[\n\r]/g, (c) => (c === '\n' ? '\\n' : '\\r'))
    .replace(NON_PRINTABLE, escapeChar);
  const body = shown.startsWith('#') ? shown : `# ${shown}`;
  return `${' '.repeat(indent)}${body}`.trimEnd();
}

/** A policy's value: a whole number plain (the fields that take one read a YAML integer), else a string. */
function policyValue(value: string): string {
  return /^(?:0|[1-9]\d*)$/.test(value) ? value : yamlString(value);
}

/** `key: value`, or `key:` and its map below, at `indent` spaces. */
function policyLines({ key, value }: YamlPolicy, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (typeof value === 'string') return [`${pad}${key}: ${policyValue(value)}`];
  return [`${pad}${key}:`, ...value.map(([k, v]) => `${pad}  ${k}: ${policyValue(v)}`)];
}

function writeJob(job: YamlJob): string[] {
  const lines = job.comments.map((c) => yamlComment(c, 2));
  lines.push(`  ${yamlString(job.name)}:`);
  lines.push(`    schedule: ${yamlQuoted(job.schedule)}`);
  lines.push(`    timezone: ${yamlString(job.timezone)}`);
  if (job.jitter !== undefined) lines.push(`    jitter: ${yamlString(job.jitter)}`);
  for (const policy of job.policies ?? []) lines.push(...policyLines(policy, 4));
  lines.push(`    command: [${job.command.map(yamlQuoted).join(', ')}]`);
  if (job.cwd !== undefined) lines.push(`    cwd: ${yamlString(job.cwd)}`);
  if (job.env.length > 0) {
    lines.push('    env:');
    for (const [name, value] of job.env) lines.push(`      ${yamlString(name)}: ${yamlString(value)}`);
  }
  return lines;
}

/** The whole config file: header, the embedded store, the defaults, the jobs. */
export function writeConfigYaml(config: YamlConfig): string {
  const lines = config.header.map((c) => yamlComment(c, 0));
  lines.push(
    '',
    '# The state (run ledger and snapshots) in the embedded store: a directory,',
    '# relative to this file. For a Postgres server, set url: postgres://... instead.',
    'store:',
    '  path: ./var/cronkeeper',
    '',
    '# Policies for every job that does not set its own.',
    'defaults:',
  );
  for (const d of config.defaults) {
    lines.push(...d.comments.map((c) => yamlComment(c, 2)));
    if (d.key !== undefined) lines.push(...policyLines({ key: d.key, value: d.value ?? '' }, 2));
  }
  const jobs = config.items.some((i) => i.kind === 'job');
  lines.push('', jobs ? 'jobs:' : 'jobs: {}');
  config.items.forEach((item, i) => {
    if (i > 0) lines.push('');
    if (item.kind === 'job') lines.push(...writeJob(item.job));
    else lines.push(...item.lines.map((c) => yamlComment(c, 2)));
  });
  return lines.join('\n') + '\n';
}
