import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { backoffDelay, createHttpClient, isRetryableStatus, parseRetryAfter, proxyFromEnv } from './http.js';

type Step = { status: number; body?: string; headers?: Record<string, string> } | 'reset';

/** scripted returns a fetch that answers from a script and counts calls; no network, no waiting. */
function scripted(steps: Step[]) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetchFn = (async (url: URL | string, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)] as Step;
    if (step === 'reset')
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      });
    return new Response(step.body ?? '', { status: step.status, headers: step.headers ?? {} });
  }) as typeof fetch;
  return { fetchFn, calls };
}

function client(
  fetchFn: typeof fetch,
  extra: { now?: () => number; maxAttempts?: number; deadlineMs?: number } = {},
) {
  const sleeps: number[] = [];
  let t = 0;
  const http = createHttpClient({
    fetch: fetchFn,
    now: extra.now ?? (() => t),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 0.5,
    userAgent: 'federate/test',
    ...(extra.maxAttempts ? { maxAttempts: extra.maxAttempts } : {}),
    ...(extra.deadlineMs ? { deadlineMs: extra.deadlineMs } : {}),
  });
  return { http, sleeps };
}

describe('retry classification', () => {
  it.each([
    [200, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [408, true],
    [429, true],
    [500, true],
    [501, false],
    [502, true],
    [503, true],
    [504, true],
  ])('HTTP %d retryable=%s', (status, retry) => expect(isRetryableStatus(status)).toBe(retry));

  it('retries throttling then succeeds, with backoff and no real waiting', async () => {
    const { fetchFn, calls } = scripted([{ status: 429 }, { status: 503 }, { status: 200, body: 'ok' }]);
    const { http, sleeps } = client(fetchFn);
    const res = await http.request({ what: 'test', url: 'https://example.com/token' });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('does not retry a 4xx', async () => {
    const { fetchFn, calls } = scripted([{ status: 400, body: 'bad' }]);
    const { http } = client(fetchFn);
    expect((await http.request({ what: 'test', url: 'https://example.com' })).status).toBe(400);
    expect(calls).toHaveLength(1);
  });

  it('retries a server-specific throttling answer when the caller says so', async () => {
    const { fetchFn, calls } = scripted([{ status: 400, body: '<Code>Throttling</Code>' }, { status: 200 }]);
    const { http } = client(fetchFn);
    const res = await http.request({
      what: 'test',
      url: 'https://example.com',
      retryable: (r) => r.text.includes('Throttling'),
    });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('honours Retry-After', async () => {
    const { fetchFn } = scripted([{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }]);
    const { http, sleeps } = client(fetchFn);
    await http.request({ what: 'test', url: 'https://example.com' });
    expect(sleeps).toEqual([3000]);
  });

  it('gives back the last answer when throttling persists', async () => {
    const { fetchFn, calls } = scripted([{ status: 429 }]);
    const { http } = client(fetchFn, { maxAttempts: 4 });
    const res = await http.request({ what: 'test', url: 'https://example.com' });
    expect(res.status).toBe(429);
    expect(calls).toHaveLength(4);
  });

  it('stops at the deadline instead of sleeping past it', async () => {
    const { fetchFn, calls } = scripted([{ status: 503, headers: { 'retry-after': '120' } }]);
    const { http, sleeps } = client(fetchFn, { deadlineMs: 60_000 });
    const res = await http.request({ what: 'test', url: 'https://example.com' });
    expect(res.status).toBe(503);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries network errors, then fails with ERR_HTTP_NETWORK naming the host only', async () => {
    const { fetchFn, calls } = scripted(['reset']);
    const { http } = client(fetchFn, { maxAttempts: 3 });
    const err = await http
      .request({ what: 'AWS STS', url: 'https://sts.example.com/?Token=secret-in-query' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err.code).toBe('ERR_HTTP_NETWORK');
    expect(err.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(String(err.message)).not.toContain('secret-in-query');
  });

  it('refuses redirects', async () => {
    const { fetchFn } = scripted([{ status: 302, headers: { location: 'https://evil.example' } }]);
    const { http } = client(fetchFn);
    await expect(http.request({ what: 'test', url: 'https://example.com' })).rejects.toMatchObject({
      code: 'ERR_HTTP_REDIRECT',
    });
  });

  it('refuses plain http except loopback, before any request', async () => {
    const { fetchFn, calls } = scripted([{ status: 200 }]);
    const { http } = client(fetchFn);
    await expect(http.request({ what: 'test', url: 'http://example.com' })).rejects.toMatchObject({
      code: 'ERR_HTTP_INSECURE_URL',
    });
    expect(calls).toHaveLength(0);
    await expect(http.request({ what: 'test', url: 'http://127.0.0.1:1/x' })).resolves.toMatchObject({
      status: 200,
    });
    await expect(
      http.request({ what: 'md', url: 'http://metadata.google.internal/x', allowMetadata: true }),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('times out a slow attempt with ERR_HTTP_TIMEOUT', async () => {
    const slow = ((_u: unknown, init?: RequestInit) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )) as typeof fetch;
    const http = createHttpClient({
      fetch: slow,
      now: Date.now,
      sleep: async () => {},
      random: () => 0,
      userAgent: 'x',
      attemptTimeoutMs: 20,
      maxAttempts: 2,
    });
    await expect(http.request({ what: 'slow', url: 'https://example.com' })).rejects.toMatchObject({
      code: 'ERR_HTTP_TIMEOUT',
      attempts: 2,
    });
  });

  it('sends the user agent and never follows redirects', async () => {
    const { fetchFn, calls } = scripted([{ status: 200 }]);
    const { http } = client(fetchFn);
    await http.request({ what: 'test', url: 'https://example.com', body: new URLSearchParams({ a: 'b' }) });
    const init = calls[0]?.init as RequestInit;
    expect((init.headers as Record<string, string>)['user-agent']).toBe('federate/test');
    expect(init.redirect).toBe('manual');
    expect(init.method).toBe('POST');
  });
});

describe('helpers', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
  it('backoff is full jitter under a cap', () => {
    expect(backoffDelay(0, () => 0.999)).toBeLessThan(200);
    expect(backoffDelay(20, () => 0.999)).toBeLessThan(5000);
    expect(backoffDelay(3, () => 0)).toBe(0);
  });
  it('reads proxies in either case', () => {
    expect(proxyFromEnv({})).toBeUndefined();
    expect(proxyFromEnv({ https_proxy: 'http://p:3128', NO_PROXY: 'localhost' })).toEqual({
      httpsProxy: 'http://p:3128',
      noProxy: 'localhost',
    });
  });
});
