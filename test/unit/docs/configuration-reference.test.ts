// docs/configuration.md against the config schema (src/config/schema.ts):
// every key the schema accepts is documented and every documented key is
// accepted; a documented default is what the loader fills in when the key is
// left out (a config that sets the key to it loads the same as one without
// it, for a job and under `defaults:`); every choice of an enumerated key is
// named in its row.
//
// The reference is read from its tables: a table preceded by `<!-- keys: -->`
// holds top-level keys, one preceded by `<!-- keys: jobs.<name> -->` a job's
// keys; the first column names the key(s) in backticks, the `default` column
// holds the default (a single code span is a value, checked; other text is
// not), and a ✓ in the `defaults` column says the key may be set under
// `defaults:` too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { load as loadYaml } from 'js-yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { jobSchema, settingsSchema } from '../../../src/config/schema.js';
import { codeSpans, prose, readDoc, tables } from './markdown.js';
import { MAX_DEPTH, MAX_EXPANDED_VALUES } from '../../../src/config/read-plain.js';

const DOC = 'docs/configuration.md';
const JOB = 'jobs.<name>';

interface SchemaKey {
  kind: 'leaf' | 'map';
  /** The choices of an enumerated key. */
  choices?: string[];
}

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** The schema under its wrappers (optional, nullable, preprocess, transform). */
function unwrap(s: unknown): unknown {
  for (;;) {
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'nullable' || d.type === 'default') s = d.innerType;
    else if (d.type === 'pipe') {
      const from = defOf(d.in).type;
      // preprocess: (transform → schema); transform: (schema → transform).
      s = from === 'transform' || from === 'unknown' ? d.out : d.in;
      if (defOf(s).type === 'transform') return s;
    } else return s;
  }
}

/** Every key path of `schema` under `prefix`: maps (objects) and leaves. */
function walk(schema: unknown, prefix: string, out: Map<string, SchemaKey>): void {
  const d = defOf(unwrap(schema));
  if (d.type !== 'object') return;
  for (const [key, child] of Object.entries(d.shape as Record<string, unknown>)) {
    const p = prefix === '' ? key : `${prefix}.${key}`;
    const inner = defOf(unwrap(child));
    if (inner.type === 'object') {
      out.set(p, { kind: 'map' });
      walk(child, p, out);
    } else if (inner.type === 'enum') {
      out.set(p, { kind: 'leaf', choices: Object.values(inner.entries as Record<string, string>) });
    } else {
      out.set(p, { kind: 'leaf' });
    }
  }
}

function schemaKeys(): Map<string, SchemaKey> {
  const keys = new Map<string, SchemaKey>();
  walk(settingsSchema, '', keys);
  // `jobs` is a map of jobs by name, each checked by jobSchema.
  walk(jobSchema, JOB, keys);
  return keys;
}

interface DocRow {
  /** Full key paths this row documents (a job key also as defaults.<key> when marked ✓). */
  keys: string[];
  /** The key(s) as written, relative to the table's prefix. */
  names: string[];
  prefix: string;
  defaultCell: string;
  inDefaults: boolean;
  text: string;
  line: number;
}

function docRows(): DocRow[] {
  const rows: DocRow[] = [];
  for (const t of tables(DOC, readDoc(DOC))) {
    const marker = t.markers.map((m) => /^keys:\s*(.*)$/.exec(m)).find((m) => m);
    if (!marker) continue;
    const prefix = marker[1]!.trim();
    const header = t.header.map((h) => h.replace(/`/g, '').toLowerCase());
    const keyCol = header.indexOf('key');
    const defaultCol = header.indexOf('default');
    const defaultsCol = header.indexOf('defaults');
    assert.ok(
      keyCol >= 0 && defaultCol >= 0,
      `${DOC}:${t.line}: a keys table needs 'key' and 'default' columns`,
    );
    if (prefix !== '') assert.equal(prefix, JOB, `${DOC}:${t.line}: unknown keys prefix '${prefix}'`);
    for (const [i, r] of t.rows.entries()) {
      const names = codeSpans(r[keyCol] ?? '');
      assert.ok(names.length > 0, `${DOC}:${t.line + 2 + i}: a row without a key`);
      const inDefaults = defaultsCol >= 0 && (r[defaultsCol] ?? '').includes('✓');
      const full = names.flatMap((n) => [
        prefix === '' ? n : `${prefix}.${n}`,
        ...(inDefaults ? [`defaults.${n}`] : []),
      ]);
      rows.push({
        keys: full,
        names,
        prefix,
        defaultCell: r[defaultCol] ?? '',
        inDefaults,
        text: r.join(' | '),
        line: t.line + 2 + i,
      });
    }
  }
  return rows;
}

const schema = schemaKeys();
const rows = docRows();
const documented = new Map(rows.flatMap((r) => r.keys.map((k) => [k, r] as const)));

describe('docs/configuration.md lists every key the schema accepts', () => {
  it('reads a plausible schema and reference', () => {
    // Guards the readers themselves: a walk or a parse that finds nothing passes every check below.
    for (const k of ['store.url', 'defaults.catchup', `${JOB}.schedule`, `${JOB}.onFailure.http.url`])
      assert.ok(schema.has(k), `the schema walk misses ${k}`);
    assert.ok(rows.length > 40, `only ${rows.length} rows read from ${DOC}`);
  });

  it('documents every key', () => {
    const missing = [...schema].filter(([k, v]) => v.kind === 'leaf' && !documented.has(k)).map(([k]) => k);
    assert.deepEqual(missing, [], `keys the schema accepts but ${DOC} does not list`);
  });

  it('documents no key the schema does not accept', () => {
    const unknown = [...documented.keys()].filter((k) => !schema.has(k));
    assert.deepEqual(unknown, [], `keys ${DOC} lists but the schema refuses`);
  });

  it('marks ✓ exactly the job keys `defaults:` accepts', () => {
    for (const r of rows.filter((x) => x.prefix === JOB)) {
      for (const n of r.names) {
        const accepted = schema.has(`defaults.${n}`);
        assert.equal(
          r.inDefaults,
          accepted,
          `${DOC}:${r.line}: '${n}' is ${accepted ? '' : 'not '}accepted under defaults:, so it ${accepted ? 'needs' : 'must not have'} a ✓`,
        );
      }
    }
  });

  it('names every choice of an enumerated key', () => {
    for (const [k, v] of schema) {
      const r = documented.get(k);
      if (!v.choices || !r) continue;
      const named = new Set(codeSpans(r.text));
      for (const c of v.choices)
        assert.ok(named.has(c), `${DOC}:${r.line}: ${k} does not name its choice '${c}'`);
    }
  });

  it('gives every key a default', () => {
    for (const r of rows)
      assert.ok(r.defaultCell.trim() !== '', `${DOC}:${r.line}: ${r.names.join(', ')}: no default`);
  });
});

describe('the documented defaults are the loader’s', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-docs-defaults-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const NOW = Date.UTC(2027, 0, 1);

  /** The Config of `data`, without what differs between two files (their names, the jobs' positions). */
  async function load(data: Record<string, unknown>): Promise<unknown> {
    const file = path.join(dir, `c${n++}.yaml`);
    fs.writeFileSync(file, JSON.stringify(data));
    const config = JSON.parse(
      JSON.stringify(await loadConfig(file, { insecure: true, env: {}, nowMs: NOW })),
    ) as {
      file?: string;
      jobs: Array<{ source?: unknown }>;
    };
    delete config.file;
    for (const j of config.jobs) delete j.source;
    return config;
  }

  /** A job the key can be set on: the schedule and the action the key needs, its hook or its request. */
  function jobFor(key: string, hookHolder: 'job' | 'defaults'): Record<string, unknown> {
    const job: Record<string, unknown> = key === 'timezone' ? { schedule: '0 0 * * *' } : { every: '1m' };
    if (key.startsWith('http.')) job.http = { url: 'http://127.0.0.1:1/' };
    else job.command = ['true'];
    if (hookHolder === 'job') Object.assign(job, hookFor(key));
    return job;
  }
  function hookFor(key: string): Record<string, unknown> {
    const m = /^(onFailure|onSuccess)\.(http\.)?/.exec(key);
    if (!m) return {};
    return { [m[1]!]: m[2] ? { http: { url: 'http://127.0.0.1:1/' } } : { command: ['true'] } };
  }
  function withKey(map: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
    const copy = structuredClone(map);
    const parts = key.split('.');
    let at = copy;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = value;
    return copy;
  }

  const literal = rows.filter((r) => /^`[^`]+`$/.test(r.defaultCell.trim()));

  it('checks a plausible number of defaults', () => {
    assert.ok(literal.length > 30, `only ${literal.length} literal defaults in ${DOC}`);
  });

  for (const r of literal) {
    const value = loadYaml(r.defaultCell.trim().slice(1, -1));
    for (const name of r.names) {
      it(`${r.prefix === '' ? name : `${JOB}.${name}`}: ${JSON.stringify(value)}`, async () => {
        if (r.prefix === '') {
          const base = { jobs: { j: jobFor('', 'job') } };
          assert.deepEqual(await load(withKey(base, name, value)), await load(base), `${DOC}:${r.line}`);
          return;
        }
        const base = { jobs: { j: jobFor(name, 'job') } };
        const set = { jobs: { j: withKey(jobFor(name, 'job'), name, value) } };
        assert.deepEqual(await load(set), await load(base), `${DOC}:${r.line}: set on a job`);
        if (r.inDefaults) {
          const onDefaults = { defaults: hookFor(name), jobs: { j: jobFor(name, 'defaults') } };
          assert.deepEqual(
            await load(withKey(onDefaults, `defaults.${name}`, value)),
            await load(onDefaults),
            `${DOC}:${r.line}: set under defaults:`,
          );
        }
      });
    }
  }
});

describe('the reading limits, as the README and the reference state them', () => {
  const values = MAX_EXPANDED_VALUES.toLocaleString('en-US');
  for (const doc of ['README.md', DOC]) {
    it(`${doc}: aliases past ${values} values, nesting past ${MAX_DEPTH} levels`, () => {
      // Lines wrap anywhere: the prose is read as one line.
      const text = prose(readDoc(doc)).replace(/\s+/g, ' ');
      assert.match(
        text,
        new RegExp(`aliases (that )?expand past ${values} values`),
        `${doc}: the alias bound`,
      );
      assert.match(
        text,
        new RegExp(`nest(s|ing) more than ${MAX_DEPTH} levels deep`),
        `${doc}: the depth bound`,
      );
    });
  }
});
