// JSON read by JSON.parse gives exactly what js-yaml gives for the same text
// (data and where each job is written), and declines every text where the two
// could differ, which js-yaml then reads as before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJson } from '../../../src/config/read-json.js';
import { readPlainOrWhy, readYamlOrWhy } from '../../../src/config/read-plain.js';

function assertSameAsYaml(text: string): void {
  const json = readJson(text, 'c.json');
  assert.ok(json, `read by JSON.parse: ${text.slice(0, 80)}`);
  const yaml = readYamlOrWhy(text, 'c.json').plain;
  assert.ok(yaml, `read by js-yaml: ${text.slice(0, 80)}`);
  assert.deepEqual(json.value, yaml.value);
  assert.deepEqual(json.jobAt, yaml.jobAt);
  // And readPlainOrWhy takes it (no key written twice, within the bounds).
  assert.deepEqual(readPlainOrWhy(text, 'c.json'), { plain: { value: json.value, jobAt: json.jobAt } });
}

function manyJobs(count: number): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    jobs[`job-${i}`] =
      i % 2 === 0
        ? { schedule: `${i % 60} 3 * * *`, timezone: 'Europe/Berlin', http: { url: 'http://127.0.0.1:9/' } }
        : { every: '90s', offset: i, command: ['echo', `"${i}"`, 'a\\b'], env: { MODE: '0644', N: '7' } };
  }
  return { store: { url: 'postgres://db/cronkeeper' }, snapshot: { keep: 3 }, jobs };
}

describe('reading JSON by JSON.parse', () => {
  it('reads one-line and pretty JSON as js-yaml does, job positions included', () => {
    const data = manyJobs(300);
    assertSameAsYaml(JSON.stringify(data));
    assertSameAsYaml(JSON.stringify(data, null, 2) + '\n');
    assertSameAsYaml('\n\t ' + JSON.stringify(data, null, '\t'));
  });

  it('reads what YAML reads the same: escapes, keys in lists, numbers that keep their text', () => {
    for (const text of [
      '{"jobs": {"a\\u0041": {"every": 5}, "b\\\\\\"": {}, "c": null}, "x": "q\\": {"}',
      '{"include": [{"jobs": 1}], "jobs": null, "z": {"jobs": {"nested": 1}}}',
      '{"a": 1.5, "b": -12, "c": 0, "d": 1000000000000000, "e": 0.25, "f": true, "g": [false, null]}',
      '{"jobs": {}}',
      '{}',
      '{"a":\n1, "jobs": {"x":\n{"y": "\u2028"}}}',
    ]) {
      assertSameAsYaml(text);
    }
  });

  it('declines a text where JSON.parse and YAML could differ, and js-yaml reads it as before', () => {
    for (const text of [
      // A key twice: YAML refuses it. JSON.parse reads it, and the key count declines it.
      '{"jobs": {"a": {"every": 5}, "a": {"every": 6}}}',
      '{"x": {"k": 1, "k": 2}}',
      `{"deep": ${'['.repeat(150)}${']'.repeat(150)}}`, // past the bounds
    ]) {
      assert.deepEqual(readPlainOrWhy(text, 'c.json'), readYamlOrWhy(text, 'c.json'), text);
      assert.equal(readPlainOrWhy(text, 'c.json').plain, undefined, text);
    }
    for (const text of [
      '{"x": 1.0}', // numbers YAML keeps as written
      '{"x": 1e3}',
      '{"x": -0}',
      '{"x": 12345678901234567890}',
      '{"x": "\u007f"}', // a character YAML refuses
      '{"__proto__": {"x": 1}}',
      '{"a": 1,}', // not JSON
      '# a comment\n{"a": 1}',
      '[{"a": 1}]',
      '"text"',
    ]) {
      assert.equal(readJson(text, 'c.json'), undefined, text);
      assert.deepEqual(readPlainOrWhy(text, 'c.json'), readYamlOrWhy(text, 'c.json'), text);
    }
  });
});
