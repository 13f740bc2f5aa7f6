// The daemon's secrets stay with it: job environments, printed store URLs, and
// HTTP job URLs with userinfo; and CLI text is escaped for terminals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeTerminal } from '../../../src/commands/terminal-text.js';
import { jobBaseEnv } from '../../../src/run/job-env.js';
import { requestTarget } from '../../../src/run/run-http.js';
import { redactUrl } from '../../../src/text/redact-url.js';

test('jobBaseEnv drops the daemon secrets but those named in inheritEnv', () => {
  const env = {
    PATH: '/bin',
    CRONKEEPER_DATABASE_URL: 'postgres://u:p@h/d',
    DATABASE_URL: 'x',
    PGPASSWORD: 'p',
    PGPASSFILE: '/f',
    CRONKEEPER_HTTP_TOKEN: 't',
  };
  assert.deepEqual(jobBaseEnv(env), { PATH: '/bin' });
  assert.deepEqual(jobBaseEnv(env, ['PGPASSWORD']), { PATH: '/bin', PGPASSWORD: 'p' });
});

test('redactUrl masks a password in the userinfo and in the query string', () => {
  assert.equal(
    redactUrl('postgres://u:secret@h/db?password=abc&sslmode=require'),
    'postgres://u:***@h/db?password=***&sslmode=require',
  );
  assert.equal(
    redactUrl('postgres://h/db?sslmode=x&PassWord=s3cr%26t'),
    'postgres://h/db?sslmode=x&PassWord=***',
  );
  assert.equal(redactUrl('postgres://h/db?sslpassword=k'), 'postgres://h/db?sslpassword=***');
  assert.equal(redactUrl('postgres://u:p@h:bad/db?password=zz'), 'postgres://u:***@h:bad/db?password=***');
  assert.equal(redactUrl('postgres://h/db?xpassword=1'), 'postgres://h/db?xpassword=1');
});

test('an HTTP job URL with userinfo becomes Basic authorization and is masked in any message', () => {
  const t = requestTarget('https://bot:s%40cret@example.com/hook');
  assert.equal(t.url, 'https://example.com/hook');
  assert.equal(t.authorization, `Basic ${Buffer.from('bot:s@cret').toString('base64')}`);
  const masked = t.scrub('fetch failed for https://bot:s%40cret@example.com/hook (s@cret)');
  assert.ok(!masked.includes('s%40cret') && !masked.includes('s@cret'), masked);
  const plain = requestTarget('http://example.com/');
  assert.equal(plain.authorization, undefined);
  assert.equal(plain.url, 'http://example.com/');
});

test('escapeTerminal shows control characters in a visible form', () => {
  assert.equal(escapeTerminal('a\u001b[2Jb\u0007\r\u009b\u202e'), 'a\\x1b[2Jb\\x07\\r\\x9b\\u202e');
  assert.equal(escapeTerminal('x\ny\tz'), 'x\\ny\\tz');
  assert.equal(escapeTerminal('x\ny\tz\u001b', true), 'x\ny\tz\\x1b');
  assert.equal(escapeTerminal('plain – ünïcode'), 'plain – ünïcode');
});
