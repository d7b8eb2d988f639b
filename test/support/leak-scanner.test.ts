import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeakScanner } from './leak-scanner.js';

const SECRET = 'AKIA-very-secret/value+with=chars';

describe('LeakScanner', () => {
  it.each([
    ['raw', SECRET],
    ['base64', Buffer.from(`user:${SECRET}`).toString('base64')],
    ['url-encoded', encodeURIComponent(SECRET)],
    ['json-escaped', JSON.stringify({ a: `x"${SECRET}` })],
  ])('finds the %s form', (_name, text) => {
    const s = new LeakScanner();
    s.secret(SECRET, 'aws secret');
    s.scanText('stdout', `log line: ${text}\n`);
    expect(s.leaks).toHaveLength(1);
    expect(s.report()).not.toContain(SECRET);
  });

  it('passes clean text and masked text', () => {
    const s = new LeakScanner();
    s.secret(SECRET);
    s.scanText('stdout', 'AWS_SECRET_ACCESS_KEY=***');
    expect(() => s.assertClean()).not.toThrow();
  });

  it('scans a tree but skips the private directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'leak-'));
    mkdirSync(join(root, 'private'));
    writeFileSync(join(root, 'private', 'creds'), SECRET);
    writeFileSync(join(root, 'artifact.txt'), `oops ${SECRET}`);
    const s = new LeakScanner();
    s.secret(SECRET);
    s.scanTree(root, [join(root, 'private')]);
    expect(s.leaks.map((l) => l.where)).toEqual(['file artifact.txt']);
  });

  it('checks argv', () => {
    const s = new LeakScanner();
    s.secret(SECRET);
    s.scanArgv('sft', ['sft', 'workload', 'authenticate', '--jwt', SECRET]);
    expect(s.leaks).toHaveLength(1);
  });
});
