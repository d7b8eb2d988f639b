import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { vaultTarget } from './index.js';

describe('vault options', () => {
  it('reads everything with defaults', () => {
    const o = parseOptions(vaultTarget, { url: 'https://vault.example.com:8200', role: 'ci' });
    expect(o).toMatchObject({
      role: 'ci',
      mount: 'jwt',
      namespace: undefined,
      kvVersion: 'auto',
      exportToken: true,
      revoke: true,
    });
    expect(o.url.href).toBe('https://vault.example.com:8200/');
    expect(vaultTarget.audience(o)).toBe('vault');
    expect(vaultTarget.describe?.(o)).toContain('role ci');
  });

  it('takes VAULT_ADDR and VAULT_NAMESPACE from the environment', () => {
    const o = parseOptions(
      vaultTarget,
      { role: 'ci' },
      { VAULT_ADDR: 'https://v.example', VAULT_NAMESPACE: 'admin/' },
    );
    expect(o.url.host).toBe('v.example');
    expect(o.namespace).toBe('admin');
  });

  it('reads the mount from path or method and the mapping', () => {
    const o = parseOptions(vaultTarget, {
      url: 'http://127.0.0.1:8200',
      role: 'ci',
      path: 'auth/ci/github/',
      secrets: 'secret/data/a k | K\nsecret/data/b | B_',
      'kv-version': '2',
      'export-token': 'false',
      revoke: 'FALSE',
    });
    expect(o).toMatchObject({ mount: 'ci/github', kvVersion: '2', exportToken: false, revoke: false });
    expect(o.secrets).toHaveLength(2);
    expect(parseOptions(vaultTarget, { url: 'https://v', role: 'r', method: 'gitlab' }).mount).toBe('gitlab');
    expect(parseOptions(vaultTarget, { url: 'https://v', role: 'r', method: 'jwt', path: 'gh' }).mount).toBe(
      'gh',
    );
  });

  it.each([
    [{ role: 'ci' }, 'ERR_CONFIG_REQUIRED'],
    [{ url: 'http://vault.example.com', role: 'ci' }, 'ERR_CONFIG_INSECURE_URL'],
    [{ url: 'not a url', role: 'ci' }, 'ERR_CONFIG_URL'],
    [{ url: 'https://v' }, 'ERR_CONFIG_REQUIRED'],
    [{ url: 'https://v', role: 'bad role' }, 'ERR_CONFIG_PATTERN'],
    [{ url: 'https://v', role: 'r', path: 'a b' }, 'ERR_CONFIG_PATTERN'],
    [{ url: 'https://v', role: 'r', namespace: 'a b' }, 'ERR_CONFIG_PATTERN'],
    [{ url: 'https://v', role: 'r', method: 'approle' }, 'ERR_CONFIG_ENUM'],
    [{ url: 'https://v', role: 'r', method: 'token', path: 'jwt' }, 'ERR_CONFIG_ENUM'],
    [{ url: 'https://v', role: 'r', 'kv-version': '3' }, 'ERR_CONFIG_ENUM'],
    [{ url: 'https://v', role: 'r', 'export-token': 'yes' }, 'ERR_CONFIG_BOOLEAN'],
    [{ url: 'https://v', role: 'r', 'export-token': 'false' }, 'ERR_CONFIG_INVALID'],
    [{ url: 'https://v', role: 'r', secrets: 'secret/data/a k | PATH' }, 'ERR_CONFIG_INVALID'],
  ])('rejects %j with %s', (raw, code) => {
    expect(() => parseOptions(vaultTarget, raw)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects an insecure VAULT_ADDR', () => {
    expect(() => parseOptions(vaultTarget, { role: 'r' }, { VAULT_ADDR: 'http://vault.internal' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INSECURE_URL' }),
    );
  });

  it('numbers mapping errors by line', () => {
    try {
      parseOptions(vaultTarget, {
        url: 'https://v',
        role: 'r',
        secrets: 'secret/data/a k | A\nsecret/data/a k | B | C',
      });
      expect.unreachable();
    } catch (e) {
      expect((e as { issues: { input: string; message: string }[] }).issues[0]).toMatchObject({
        input: 'secrets',
        message: expect.stringMatching(/^line 2:/),
      });
    }
  });
});
