import { request as httpsRequest } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from './http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ok = async (): Promise<TestServer> => {
  server = await startServer((req, res) => sendJson(res, 200, { path: req.path, n: 1 }));
  return server;
};

describe('startServer', () => {
  it('records method, path, query, headers, form and json bodies', async () => {
    const s = await ok();
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    await fetch(`${s.url}/token?x=1&y=two`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test': 'a' },
      body: 'grant_type=g&subject_token=t',
    });
    await fetch(`${s.url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1] }),
    });
    const [form, json] = s.requests;
    expect(form?.method).toBe('POST');
    expect(form?.path).toBe('/token');
    expect(form?.query.get('y')).toBe('two');
    expect(form?.header('X-Test')).toBe('a');
    expect(form?.form?.get('grant_type')).toBe('g');
    expect(form?.body).toBe('grant_type=g&subject_token=t');
    expect(json?.json).toEqual({ a: [1] });
    expect(json?.form).toBeUndefined();
    expect(s.count()).toBe(2);
    expect(s.count('/tok')).toBe(1);
  });

  it('answers 500 and keeps the error when the handler throws', async () => {
    server = await startServer(() => {
      throw new Error('boom');
    });
    const res = await fetch(`${server.url}/x`);
    expect(res.status).toBe(500);
    expect(server.errors).toHaveLength(1);
  });

  it('serves https with a certificate signed by caPem', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { secure: true }), { https: true });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = server.caPem;
    expect(ca).toContain('BEGIN CERTIFICATE');
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${server?.url}/x`, { ca }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ secure: true });
    // Without the CA the certificate is rejected.
    await expect(
      new Promise((resolve, reject) => {
        const req = httpsRequest(`${server?.url}/x`, {}, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) });
  });

  it('close() returns while keep-alive and in-flight delayed requests are open', async () => {
    const s = await ok();
    await fetch(`${s.url}/a`, { headers: { connection: 'keep-alive' } });
    s.faults.add({ kind: 'delay', ms: 60_000 });
    const pending = fetch(`${s.url}/slow`).catch((e: unknown) => e);
    while (s.count('/slow') === 0) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('fault queue', () => {
  it('status faults fire `times` times, then the handler answers', async () => {
    const s = await ok();
    s.faults.add({
      kind: 'status',
      status: 503,
      times: 2,
      body: '{"error":"slow_down"}',
      headers: { 'retry-after': '1' },
    });
    const first = await fetch(`${s.url}/t`);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.text()).toBe('{"error":"slow_down"}');
    expect((await fetch(`${s.url}/t`)).status).toBe(503);
    const third = await fetch(`${s.url}/t`);
    expect(third.status).toBe(200);
    expect(await third.json()).toEqual({ path: '/t', n: 1 });
    expect(s.count('/t')).toBe(3);
    expect(s.requests.map((r) => r.fault?.kind)).toEqual(['status', 'status', undefined]);
  });

  it('persistent faults fire until cleared', async () => {
    const s = await ok();
    s.faults.add({ kind: 'status', status: 429, times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 4; i++) expect((await fetch(`${s.url}/t`)).status).toBe(429);
    s.faults.clear();
    expect((await fetch(`${s.url}/t`)).status).toBe(200);
  });

  it('path-filtered faults leave other paths alone', async () => {
    const s = await ok();
    s.faults.add({ kind: 'status', status: 500, path: '/token' });
    expect((await fetch(`${s.url}/jwks`)).status).toBe(200);
    expect((await fetch(`${s.url}/token`)).status).toBe(500);
    expect((await fetch(`${s.url}/token`)).status).toBe(200);
  });

  it('reset destroys the socket without a response', async () => {
    const s = await ok();
    s.faults.add({ kind: 'reset' });
    await expect(fetch(`${s.url}/t`)).rejects.toBeInstanceOf(TypeError);
    expect((await fetch(`${s.url}/t`)).status).toBe(200);
    expect(s.count()).toBe(2);
  });

  it('delay still answers normally', async () => {
    const s = await ok();
    s.faults.add({ kind: 'delay', ms: 20 });
    const res = await fetch(`${s.url}/t`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/t', n: 1 });
    expect(s.requests[0]?.fault?.kind).toBe('delay');
  });

  it('malformed sends 200 with a truncated body in the handler content type', async () => {
    server = await startServer((_req, res) =>
      sendJson(res, 401, { error: 'invalid_grant', detail: 'x'.repeat(40) }),
    );
    server.faults.add({ kind: 'malformed' });
    const res = await fetch(`${server.url}/t`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(text.startsWith('{"error":"invalid_grant"')).toBe(true);
    expect((await fetch(`${server.url}/t`)).status).toBe(401);
  });

  it('content-type sends 200 HTML in the given content type', async () => {
    const s = await ok();
    s.faults.add({ kind: 'content-type', contentType: 'text/html; charset=utf-8' });
    const res = await fetch(`${s.url}/t`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
  });

  it('rejects non-positive times', async () => {
    const s = await ok();
    expect(() => s.faults.add({ kind: 'reset', times: 0 })).toThrow(TypeError);
    expect(s.faults.pending()).toEqual([]);
  });
});
