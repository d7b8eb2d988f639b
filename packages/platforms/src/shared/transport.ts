/**
 * transport.ts: the HTTP transport both composition roots (the action and the CLI) inject into the
 * core. node:http(s) is the fastest cold path (Node's built-in fetch loads its own undici copy first:
 * ~20 ms and ~15 MiB more per run, see bench/). Only when a proxy is configured is the npm undici
 * loaded, lazily, for its EnvHttpProxyAgent (HTTPS_PROXY / HTTP_PROXY / NO_PROXY).
 */
import type * as Http from 'node:http';
import { type Env, type HeaderBag, proxyFromEnv, type Transport } from '@federate/core';

/**
 * builtin loads node:http / node:https as CommonJS. An ESM `import` of node:http makes Node build its
 * ESM facade, which reads every export, including lazy getters that load Node's bundled undici
 * (measured: +12 ms and +6 MiB on every run, even `federate --version`).
 */
function builtin<T>(name: 'node:http' | 'node:https'): T {
  return process.getBuiltinModule(name) as T;
}

/** MAX_RESPONSE_BYTES bounds what a (possibly hostile) server can make us buffer. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function headerBag(
  headers: Http.IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): HeaderBag {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v);
    },
  };
}

/** nodeTransport performs one attempt with node:http or node:https; redirects are returned, never followed. */
export const nodeTransport: Transport = (req) =>
  new Promise((resolve, reject) => {
    const client =
      req.url.protocol === 'https:'
        ? builtin<typeof import('node:https')>('node:https')
        : builtin<typeof Http>('node:http');
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const request = client.request(req.url, { method: req.method, headers, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          request.destroy(
            Object.assign(new Error('response body too large'), { code: 'ERR_RESPONSE_TOO_LARGE' }),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: headerBag(res.headers),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
    request.end(req.body);
  });

/** proxyTransport sends attempts through the proxy `env` names, loading npm undici on first use. */
export function proxyTransport(env: Env): Transport {
  const proxy = proxyFromEnv(env);
  let agent:
    | Promise<{ request: typeof import('undici').request; dispatcher: import('undici').Dispatcher }>
    | undefined;
  const load = async () => {
    const undici = await import('undici');
    return { request: undici.request, dispatcher: new undici.EnvHttpProxyAgent(proxy ?? {}) };
  };
  return async (req) => {
    agent ??= load();
    const { request, dispatcher } = await agent;
    const res = await request(req.url, {
      method: req.method as 'GET',
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      signal: req.signal,
      dispatcher,
      maxRedirections: 0,
    } as Parameters<typeof request>[1]);
    // The same bound as nodeTransport, counted in bytes as they arrive: never buffer a hostile body.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        throw Object.assign(new Error('response body too large'), { code: 'ERR_RESPONSE_TOO_LARGE' });
      }
      chunks.push(chunk);
    }
    return {
      status: res.statusCode,
      headers: headerBag(res.headers),
      text: Buffer.concat(chunks).toString('utf8'),
    };
  };
}

/** transportFor picks the proxy transport when a proxy is configured, node:http(s) otherwise. */
export function transportFor(env: Env): Transport {
  return proxyFromEnv(env) ? proxyTransport(env) : nodeTransport;
}
