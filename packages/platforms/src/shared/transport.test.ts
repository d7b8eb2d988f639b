import http from 'node:http';
import net from 'node:net';
import { createHttpClient } from '@federate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, nodeTransport, proxyTransport, transportFor } from './transport.js';

let server: http.Server;
let base: string;
let proxy: http.Server;
let proxyUrl: string;
const proxied: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'https://elsewhere.example' }).end();
      } else if (req.url === '/big') {
        res.writeHead(200).end(Buffer.alloc(MAX_RESPONSE_BYTES + 10, 97));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 500);
      } else {
        res.writeHead(201, { 'x-request-id': 'abc', 'content-type': 'application/json' }).end(
          JSON.stringify({
            method: req.method,
            body,
            ua: req.headers['user-agent'],
            len: req.headers['content-length'],
          }),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  // A CONNECT proxy, as corporate proxies are: it records each tunnel it opens.
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, socket: net.Socket, head) => {
    proxied.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  proxy.closeAllConnections();
  await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => proxy.close(r))]);
});

const attempt = (url: string, init: { method?: string; body?: string; signal?: AbortSignal } = {}) => ({
  url: new URL(url),
  method: init.method ?? 'GET',
  headers: { 'user-agent': 'federate-test' },
  body: init.body,
  signal: init.signal ?? AbortSignal.timeout(5000),
});

describe('nodeTransport', () => {
  it('sends method, headers and body and reads status, headers and body', async () => {
    const r = await nodeTransport(attempt(`${base}/x`, { method: 'POST', body: 'a=é' }));
    expect(r.status).toBe(201);
    expect(r.headers.get('X-Request-Id')).toBe('abc');
    expect(JSON.parse(r.text)).toEqual({ method: 'POST', body: 'a=é', ua: 'federate-test', len: '4' });
  });

  it('returns redirects instead of following them', async () => {
    const r = await nodeTransport(attempt(`${base}/redirect`));
    expect(r.status).toBe(302);
  });

  it('refuses to buffer an unbounded body', async () => {
    await expect(nodeTransport(attempt(`${base}/big`))).rejects.toMatchObject({
      code: 'ERR_RESPONSE_TOO_LARGE',
    });
  });

  it('aborts with the signal, which the core reports as a timeout', async () => {
    const http = createHttpClient({
      transport: nodeTransport,
      now: Date.now,
      sleep: async () => {},
      random: () => 0,
      userAgent: 'x',
      attemptTimeoutMs: 50,
      maxAttempts: 2,
    });
    await expect(http.request({ what: 'slow server', url: `${base}/slow` })).rejects.toMatchObject({
      code: 'ERR_HTTP_TIMEOUT',
      attempts: 2,
    });
  });

  it('reports connection failures with their system code', async () => {
    const http = createHttpClient({
      transport: nodeTransport,
      now: Date.now,
      sleep: async () => {},
      random: () => 0,
      userAgent: 'x',
      maxAttempts: 1,
    });
    const err = await http.request({ what: 'nothing', url: 'http://127.0.0.1:1/' }).catch((e) => e);
    expect(err.code).toBe('ERR_HTTP_NETWORK');
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('proxies', () => {
  it('goes through HTTPS_PROXY/HTTP_PROXY when set, and only then loads undici', async () => {
    expect(transportFor({})).toBe(nodeTransport);
    const env = { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: '' };
    const t = transportFor(env);
    expect(t).not.toBe(nodeTransport);
    const r = await t(attempt(`${base}/via-proxy`, { method: 'POST', body: 'x' }));
    expect(r.status).toBe(201);
    expect(proxied).toContain(new URL(base).host);
  });

  it('bounds the body behind a proxy too', async () => {
    const t = proxyTransport({ HTTP_PROXY: proxyUrl, NO_PROXY: '' });
    await expect(t(attempt(`${base}/big`))).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
  });

  it('honours NO_PROXY', async () => {
    proxied.length = 0;
    const t = proxyTransport({ HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' });
    expect((await t(attempt(`${base}/direct`))).status).toBe(201);
    expect(proxied).toEqual([]);
  });
});
