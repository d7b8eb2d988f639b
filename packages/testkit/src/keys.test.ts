import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyStore } from './keys.js';

describe('createKeyStore', () => {
  it.each(['RS256', 'ES256'] as const)('signs %s tokens that verify against its own JWKS', async (alg) => {
    const keys = createKeyStore({ alg });
    const token = await keys.sign({ sub: 'x' });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg, kid: keys.currentKid, typ: 'JWT' });
    const jwks = keys.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    await expect(compactVerify(token, createLocalJWKSet(jwks))).resolves.toBeTruthy();
  });

  it('rotate publishes a new current key and keeps the old one until revoked', async () => {
    const keys = createKeyStore();
    const oldKid = keys.currentKid;
    const oldToken = await keys.sign({ sub: 'old' });
    const newKid = await keys.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(keys.currentKid).toBe(newKid);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    await expect(compactVerify(oldToken, createLocalJWKSet(keys.jwks()))).resolves.toBeTruthy();

    keys.revoke(oldKid);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(compactVerify(oldToken, createLocalJWKSet(keys.jwks()))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    // A revoked key can still sign, so tests can build tokens that must be rejected.
    const revokedToken = await keys.sign({ sub: 'r' }, { kid: oldKid });
    expect(decodeProtectedHeader(revokedToken).kid).toBe(oldKid);
  });

  it('rejects unknown kids', async () => {
    const keys = createKeyStore();
    await expect(keys.sign({}, { kid: 'nope' })).rejects.toBeInstanceOf(TypeError);
    expect(() => keys.revoke('nope')).toThrow(TypeError);
  });

  it('merges extra protected-header fields', async () => {
    const keys = createKeyStore();
    const token = await keys.sign({}, { header: { x5t: 'thumb' } });
    expect(decodeProtectedHeader(token)).toMatchObject({ x5t: 'thumb', kid: keys.currentKid });
  });
});
