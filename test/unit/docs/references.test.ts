// What README.md and docs/ point at exists, and what exists is pointed at:
//   - every relative link resolves, to a file and, with #anchor, to a heading;
//   - every repository path named in backticks exists;
//   - the README keeps its first lines (CI and newcomers run them);
//   - every metric named is one the daemon exports (or a table of the store),
//     and docs/operations.md names every metric the daemon exports;
//   - every alert named is in the shipped rules, and operations.md names them all;
//   - every CRONKEEPER_* variable named exists in the code, and
//     docs/configuration.md names every one the code knows;
//   - the layer diagram of docs/development.md is the one eslint.config.js enforces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { HttpMetrics } from '../../../src/http/http-metrics.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { anchors, codeSpans, docFiles, fences, links, readDoc, ROOT, withoutFences } from './markdown.js';

const files = docFiles();
const texts = new Map(files.map((f) => [f, readDoc(f)]));
const all = [...texts.values()].join('\n');

describe('links', () => {
  it('finds the links', () => {
    assert.ok(files.includes('docs/configuration.md') && files.length >= 12, files.join(' '));
    assert.ok(links('README.md', texts.get('README.md')!).length >= 10);
  });

  // systemd/README.md too: the install guide links into docs/.
  for (const file of [...files, 'systemd/README.md']) {
    it(`${file}: every relative link resolves`, () => {
      for (const l of links(file, texts.get(file) ?? readDoc(file))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(l.target)) continue; // http:, https:, mailto:
        const [target = '', anchor] = l.target.split('#');
        const resolved =
          target === '' ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), target);
        const at = `${file}:${l.line}: ${l.target}`;
        assert.ok(resolved.startsWith(ROOT), `${at}: outside the repository`);
        assert.ok(fs.existsSync(resolved), `${at}: no such file`);
        if (anchor !== undefined && resolved.endsWith('.md')) {
          const known = anchors(fs.readFileSync(resolved, 'utf8'));
          assert.ok(
            known.has(anchor),
            `${at}: no heading with that anchor in ${path.relative(ROOT, resolved)}`,
          );
        }
      }
    });
  }
});

describe('paths', () => {
  it('every repository path named in backticks exists', () => {
    const top = /^(?:src|test|sql|config|deploy|systemd|chaos|bench|scripts|docs|\.ci)\/[\w./*@-]*$/;
    const missing: string[] = [];
    for (const [file, text] of texts) {
      for (const span of codeSpans(withoutFences(text))) {
        if (!top.test(span)) continue;
        const pattern = span.replace(/\/$/, '');
        const ok = pattern.includes('*') ? globMatches(pattern) > 0 : fs.existsSync(path.join(ROOT, pattern));
        if (!ok) missing.push(`${file}: ${span}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

/** How many files match `pattern`, whose `*` may only stand in the last segment. */
function globMatches(pattern: string): number {
  const dir = path.join(ROOT, path.dirname(pattern));
  if (!fs.existsSync(dir)) return 0;
  const re = new RegExp(
    `^${path
      .basename(pattern)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  return fs.readdirSync(dir).filter((f) => re.test(f)).length;
}

describe('the README', () => {
  it('keeps its first lines: the two commands', () => {
    const first = texts.get('README.md')!.split('\n').slice(0, 6);
    assert.deepEqual(first, [
      '# cronkeeper',
      '',
      '```sh',
      'npm ci && npm start   # the daemon on config/cronkeeper.yaml, embedded store under ./var (Ctrl-C stops it)',
      'npm test              # unit + integration tests (starts a throwaway Postgres, or uses $DATABASE_URL)',
      '```',
    ]);
  });
});

describe('names', () => {
  it('metrics: every one named is exported, and operations.md names every one exported', async () => {
    const metrics = new Metrics();
    new HttpMetrics(metrics.registry);
    const exported = new Set<string>();
    for (const m of (await metrics.exposition()).matchAll(/^# TYPE (cronkeeper_\w+) (\w+)$/gm)) {
      exported.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m[1]! + s);
    }
    assert.ok(exported.size >= 30, [...exported].join(' '));
    const tables = new Set<string>();
    // The store's tables: the migrations', and the one the migrator keeps its record in.
    for (const f of [
      ...fs.readdirSync(path.join(ROOT, 'sql')).map((f) => path.join(ROOT, 'sql', f)),
      path.join(ROOT, 'src/store/migrate.ts'),
    ]) {
      const sql = fs.readFileSync(f, 'utf8');
      for (const m of sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(cronkeeper_\w+)/g)) tables.add(m[1]!);
    }
    const unknown = new Set<string>();
    // `cronkeeper_template_<hash>` (a test database's name) is a prefix, not a name.
    for (const m of all.matchAll(/\bcronkeeper_[a-z_]+\b(?!<)/g)) {
      if (!exported.has(m[0]) && !tables.has(m[0])) unknown.add(m[0]);
    }
    assert.deepEqual([...unknown], [], 'metrics named in the docs that the daemon does not export');
    const operations = texts.get('docs/operations.md')!;
    const undocumented = [...exported].filter(
      (n) => !/_(bucket|sum|count)$/.test(n) && !new RegExp(`\\b${n}\\b`).test(operations),
    );
    assert.deepEqual(undocumented, [], 'metrics the daemon exports that docs/operations.md does not name');
  });

  it('alerts: every one named is shipped, and operations.md names every one shipped', () => {
    const rules = fs.readFileSync(path.join(ROOT, 'deploy/prometheus/cronkeeper-rules.yaml'), 'utf8');
    const shipped = new Set([...rules.matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]!));
    assert.ok(shipped.size >= 5);
    const named = new Set([...all.matchAll(/\bCronkeeper[A-Z]\w+/g)].map((m) => m[0]));
    assert.deepEqual(
      [...named].filter((n) => !shipped.has(n)),
      [],
      'alerts named that the rules do not have',
    );
    const operations = texts.get('docs/operations.md')!;
    assert.deepEqual(
      [...shipped].filter((n) => !operations.includes(n)),
      [],
      'alerts operations.md does not name',
    );
  });

  it('CRONKEEPER_* variables: every one named exists, and configuration.md names every one the code knows', () => {
    const code = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts'))
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/\bCRONKEEPER_[A-Z_]+\b/g)) code.add(m[0]);
      }
    };
    walk(path.join(ROOT, 'src'));
    assert.ok(code.has('CRONKEEPER_SCHEDULED_AT') && code.has('CRONKEEPER_CONFIG'));
    const named = new Set([...all.matchAll(/\bCRONKEEPER_[A-Z_]+\b/g)].map((m) => m[0]));
    assert.deepEqual(
      [...named].filter((n) => !code.has(n)),
      [],
      'variables named that the code does not know',
    );
    const configuration = texts.get('docs/configuration.md')!;
    assert.deepEqual(
      [...code].filter((n) => !new RegExp(`\\b${n}\\b`).test(configuration)),
      [],
      'variables the code knows that docs/configuration.md does not name',
    );
  });
});

describe('the layer diagram', () => {
  it('is the one eslint.config.js enforces, and places every folder of src/', async () => {
    const text = texts.get('docs/development.md')!;
    const diagram = fences('docs/development.md', text).find((f) => f.markers.includes('layers'));
    assert.ok(diagram, 'docs/development.md: no block marked <!-- layers -->');
    const rows = new Map<string, string[]>();
    let layer = '';
    for (const line of diagram.body.split('\n')) {
      const m = /^(\w+)?\s+(.*)$/.exec(line);
      if (!m) continue;
      if (m[1]) layer = m[1];
      rows.set(layer, [...(rows.get(layer) ?? []), ...[...m[2]!.matchAll(/src\/[\w.-]+/g)].map((x) => x[0])]);
    }
    const config = (await import(pathToFileURL(path.join(ROOT, 'eslint.config.js')).href)) as {
      default: Array<{ files?: string[]; rules?: Record<string, unknown> }>;
    };
    /** The folders of the eslint block that restricts imports and whose files include `probe`. */
    const enforced = (probe: string) => {
      const block = config.default.find(
        (c) => c.files?.includes(`${probe}/**`) && c.rules?.['no-restricted-imports'] !== undefined,
      );
      assert.ok(block, `eslint.config.js: no import rule for ${probe}`);
      return block.files!.map((f) => f.replace(/\/\*\*$/, '')).sort();
    };
    assert.deepEqual([...(rows.get('pure') ?? [])].sort(), enforced('src/schedule'), 'the pure layer');
    assert.deepEqual(rows.get('config'), enforced('src/config'), 'the config layer');
    assert.deepEqual(rows.get('store'), enforced('src/store'), 'the store layer');
    const placed = new Set([...rows.values()].flat());
    const inSrc = fs
      .readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .map((e) => `src/${e.name}`)
      .filter((p) => !p.endsWith('.d.ts'));
    assert.deepEqual(
      inSrc.filter((p) => !placed.has(p)),
      [],
      'folders and files of src/ the diagram does not place',
    );
  });
});
