// The status page as the daemon serves it (src/http/status-page.ts): one
// document put together from src/http/status-page/, carrying the server's own
// labels; and the joining of the page's script modules
// (src/http/status-page-script.ts). What the page shows is checked in
// Chromium (test/integration/status-page.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import {
  firstStatusElement,
  pageLabels,
  renderStatusPage,
  statusPageParts,
} from '../../../src/http/status-page.js';
import { joinPageScript } from '../../../src/http/status-page-script.js';
import { describeGapReason, GAP_REASON_LABELS, OUTCOME_LABELS } from '../../../src/text/slot-labels.js';

const PAGE_DIR = new URL('../../../src/http/status-page/', import.meta.url);
const pageFiles = (ext: string) => fs.readdirSync(PAGE_DIR).filter((f) => f.endsWith(ext));
const readPageFile = (file: string) => fs.readFileSync(new URL(file, PAGE_DIR), 'utf8');

/** The JSON in the page's `<script id="…" type="application/json">`. */
function jsonElement(page: string, id: string): unknown {
  const m = new RegExp(`<script id="${id}" type="application/json"[^>]*>(.*?)</script>`, 's').exec(page);
  assert.ok(m, `the page has #${id}`);
  return JSON.parse(m[1]!);
}

/** The page's one executable script. */
function mainScript(page: string): string {
  const scripts = [...page.matchAll(/<script>(.*?)<\/script>/gs)];
  assert.equal(scripts.length, 1, 'one script to run');
  return scripts[0]![1]!;
}

describe('the status page labels', () => {
  it('the page carries exactly the server’s labels for outcomes and gap reasons', () => {
    const page = renderStatusPage();
    assert.deepEqual(jsonElement(page, 'page-labels'), {
      outcomes: OUTCOME_LABELS,
      gapReasons: GAP_REASON_LABELS,
    });
    assert.deepEqual(pageLabels(), { outcomes: OUTCOME_LABELS, gapReasons: GAP_REASON_LABELS });
  });

  it('the CLI gives a gap’s reason in the same words, naming the setting where they do not', () => {
    const cases: [keyof typeof GAP_REASON_LABELS, string][] = [
      ['expired', 'older than the catch-up window'],
      ['dropped', 'dropped by maxCatchup'],
      ['skipped', 'left out by the catch-up policy'],
      ['paused', 'missed while paused (onResume: skip)'],
      ['reanchored', 'left behind by a schedule change (onScheduleChange: reanchor)'],
    ];
    assert.deepEqual(Object.keys(GAP_REASON_LABELS).sort(), cases.map(([r]) => r).sort());
    for (const [reason, said] of cases) {
      assert.equal(describeGapReason(reason), said, reason);
      assert.ok(said.startsWith(GAP_REASON_LABELS[reason]), reason);
    }
  });

  it('the page’s script spells out no label of its own: it looks them up', () => {
    const scripts = pageFiles('.js').map((f) => [f, readPageFile(f)] as const);
    const labels = [...Object.entries(OUTCOME_LABELS), ...Object.entries(GAP_REASON_LABELS)];
    for (const [key, label] of labels) {
      if (label === key) continue;
      for (const [file, text] of scripts) {
        for (const quoted of [`'${label}'`, `"${label}"`, `\`${label}\``]) {
          assert.ok(!text.includes(quoted), `${file} spells out the label ${quoted}`);
        }
      }
    }
  });
});

describe('the status page document', () => {
  it('is one document: its stylesheets and its script inline, nothing to load', () => {
    const page = renderStatusPage();
    assert.doesNotMatch(page, /<link rel="stylesheet"/);
    assert.doesNotMatch(page, /<script[^>]* src=/);
    for (const file of pageFiles('.css')) assert.ok(page.includes(readPageFile(file)), `${file} is inlined`);
    // The script parses (a join gone wrong would not).
    assert.doesNotThrow(() => new vm.Script(mainScript(page)));
  });

  it('keeps the nodes and workers panels hidden until a status with some is painted', () => {
    const page = renderStatusPage();
    for (const id of ['nodes-panel', 'workers-panel']) {
      assert.match(page, new RegExp(`<section [^>]*id="${id}"[^>]* hidden>`), id);
    }
  });

  it('has the first status document go before the script, as the daemon sends it', () => {
    const { head, tail } = statusPageParts();
    assert.equal(head + tail, renderStatusPage());
    assert.match(tail, /^<script>/);
    const first = firstStatusElement(JSON.stringify({ jobs: [], note: '</script><b>' }), 1499.6);
    const page = head + first + tail;
    assert.deepEqual(jsonElement(page, 'first-status'), { jobs: [], note: '</script><b>' });
    assert.match(page, /<script id="first-status" type="application\/json" data-age-ms="1500">/);
    assert.ok(page.indexOf('id="first-status"') < page.indexOf('<script>'));
    assert.ok(page.indexOf('id="page-labels"') < page.indexOf('<script>'));
  });
});

describe('joining the page’s script modules', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-page-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = pathToFileURL(dir + path.sep);
  const write = (files: Record<string, string>) => {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  };

  it('runs each module once, dependencies first, each in its own scope', () => {
    write({
      'main.js': [
        "import { greet as hello, count } from './greet.js';",
        "import { twice } from './twice.js';",
        'const local = 2;',
        "out.push(hello('x'), twice(local), count.n);",
        '',
      ].join('\n'),
      'twice.js': [
        "import { count } from './greet.js';",
        'const local = 3;',
        'export function twice(n) {',
        '  count.n++;',
        '  return n * 2 + local - 3;',
        '}',
        '',
      ].join('\n'),
      'greet.js': [
        'const local = 1;',
        'export const count = { n: 0 };',
        "export const greet = (n) => 'hi ' + n + local;",
        "out.push('greet loaded');",
        '',
      ].join('\n'),
    });
    const out: unknown[] = [];
    vm.runInNewContext(joinPageScript(url, 'main.js'), { out });
    assert.deepEqual(out, ['greet loaded', 'hi x1', 4, 1]);
  });

  it('refuses what it does not understand, naming the file', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ 'main.js': 'export let n = 1;\n' }, /main\.js exports let n/],
      [{ 'main.js': "import x from './x.js';\n", 'x.js': '' }, /main\.js has an import other than/],
      [{ 'main.js': 'export default 1;\n' }, /main\.js has an export other than/],
      [
        {
          'main.js': "import { a } from './a.js';\n",
          'a.js': "import { m } from './main.js';\nexport const a = m;\n",
        },
        /main\.js imported again by a\.js/,
      ],
      [{ 'main.js': 'const pageModules = 1;\n' }, /main\.js uses the name pageModules/],
    ];
    for (const [files, error] of refused) {
      write(files);
      assert.throws(() => joinPageScript(url, 'main.js'), error);
    }
  });
});
