/**
 * http.ts: the one HTTP helper. A timeout per attempt, an overall deadline, retries only for network
 * errors, 408, 429, 5xx and a server's own throttling answers, full-jitter exponential backoff,
 * Retry-After honoured, redirects refused (a token endpoint that redirects is misconfigured or
 * hostile), https only except loopback. It never logs bodies, headers or query strings.
 */
import { FederateError, HttpError } from './errors.js';
import type { Logger } from './model.js';
import { checkSecureUrl } from './url.js';

/** DEFAULT_ATTEMPT_TIMEOUT_MS bounds one request. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** DEFAULT_DEADLINE_MS bounds one logical request with all its retries. */
export const DEFAULT_DEADLINE_MS = 60_000;
/** DEFAULT_MAX_ATTEMPTS counts the first try. */
export const DEFAULT_MAX_ATTEMPTS = 5;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;

/** HttpRequest describes one logical request; `what` names it in messages ("AWS STS AssumeRoleWithWebIdentity"). */
export interface HttpRequest {
  readonly what: string;
  readonly url: string | URL;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | URLSearchParams;
  /** retryable lets a target mark its server's own throttling answers (AWS 400 Throttling). */
  readonly retryable?: (res: HttpResponse) => boolean;
  /** allowMetadata permits the plain-http GCE metadata host. */
  readonly allowMetadata?: boolean;
  readonly attemptTimeoutMs?: number;
}

/** HeaderBag is the part of a response's headers we read (case-insensitive lookup). */
export interface HeaderBag {
  get(name: string): string | null;
}

/** HttpResponse is a fully-read response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly text: string;
  readonly attempts: number;
}

/** HttpClient is what targets and token sources use. */
export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

/** TransportRequest is one attempt, already validated and with its deadline signal. */
export interface TransportRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly signal: AbortSignal;
}

/** TransportResponse is one attempt's answer, body fully read. Redirects are never followed. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly text: string;
}

/**
 * Transport performs one HTTP attempt. Composition roots inject one over node:http (the fastest
 * cold path, see bench/) or over fetch; retries, timeouts and policy stay here, in one place.
 */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** fetchTransport adapts a fetch implementation (Node's built-in one, or a test double). */
export function fetchTransport(fetchFn: typeof fetch): Transport {
  return async (req) => {
    const r = await fetchFn(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      redirect: 'manual',
      signal: req.signal,
    });
    return { status: r.status, headers: r.headers, text: await r.text() };
  };
}

/** HttpClientOptions inject every effect so the retry policy can be tested without waiting. */
export interface HttpClientOptions {
  /** transport performs attempts; when absent, `fetch` is adapted with fetchTransport. */
  readonly transport?: Transport;
  readonly fetch?: typeof fetch;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly userAgent: string;
  readonly log?: Logger;
  readonly attemptTimeoutMs?: number;
  /** deadlineMs bounds each logical request; `deadlineAt` (absolute) bounds the whole run. */
  readonly deadlineMs?: number;
  readonly deadlineAt?: number;
  readonly maxAttempts?: number;
  readonly signal?: AbortSignal;
}

/** isRetryableStatus is the shared policy: 408, 429 and 5xx (except 501 Not Implemented). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** parseRetryAfter reads seconds or an HTTP date into milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** backoffDelay is full-jitter exponential backoff: random in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

function networkCode(error: unknown): string {
  // fetch wraps the system error in `cause`; node:http reports it directly.
  const own = (error as { code?: unknown })?.code;
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : typeof own === 'string' ? own : undefined;
  return code ?? (error instanceof Error ? error.name : 'error');
}

/** createHttpClient builds the helper around an injected fetch (Node's built-in one on the hot path). */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const transport = options.transport ?? (options.fetch ? fetchTransport(options.fetch) : undefined);
  if (!transport) throw new TypeError('createHttpClient needs a transport or a fetch');
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return {
    async request(req) {
      const checked = checkSecureUrl(String(req.url), req.allowMetadata ? { allowMetadata: true } : {});
      if (typeof checked === 'string') {
        let host = 'unknown host';
        try {
          host = new URL(String(req.url)).host;
        } catch {}
        throw new HttpError(
          'ERR_HTTP_INSECURE_URL',
          `refusing to call ${req.what} at ${host}: the URL ${checked}`,
          {
            host,
            attempts: 0,
            hint: 'use an https:// endpoint',
          },
        );
      }
      const url = checked;
      const start = options.now();
      const deadline = Math.min(
        start + (options.deadlineMs ?? DEFAULT_DEADLINE_MS),
        options.deadlineAt ?? Number.POSITIVE_INFINITY,
      );
      const headers: Record<string, string> = { 'user-agent': options.userAgent, ...req.headers };
      let lastError: HttpError | undefined;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const remaining = deadline - options.now();
        if (remaining <= 0) break;
        const timeout = Math.min(
          req.attemptTimeoutMs ?? options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
          remaining,
        );
        const timeoutSignal = AbortSignal.timeout(timeout);
        const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
        let res: HttpResponse | undefined;
        try {
          const r = await transport({
            url,
            method: req.method ?? (req.body === undefined ? 'GET' : 'POST'),
            headers,
            body:
              req.body === undefined
                ? undefined
                : typeof req.body === 'string'
                  ? req.body
                  : req.body.toString(),
            signal,
          });
          res = { status: r.status, headers: r.headers, text: r.text, attempts: attempt };
        } catch (error) {
          if (options.signal?.aborted)
            throw new FederateError('ERR_HTTP_TIMEOUT', `calling ${req.what} was cancelled`, {
              cause: error,
            });
          const timedOut = timeoutSignal.aborted;
          lastError = new HttpError(
            timedOut ? 'ERR_HTTP_TIMEOUT' : 'ERR_HTTP_NETWORK',
            timedOut
              ? `${req.what} at ${url.host} did not answer within ${timeout} ms`
              : `could not reach ${req.what} at ${url.host} (${networkCode(error)})`,
            {
              host: url.host,
              attempts: attempt,
              cause: error,
              hint: timedOut
                ? 'the server is slow or unreachable; raise `timeout` or check the network path'
                : 'check the endpoint URL, DNS, and any HTTPS_PROXY / NO_PROXY settings',
            },
          );
          options.log?.debug(`${req.what}: attempt ${attempt} failed: ${lastError.code}`);
        }
        if (res !== undefined) {
          if (res.status >= 300 && res.status < 400) {
            throw new HttpError(
              'ERR_HTTP_REDIRECT',
              `${req.what} at ${url.host} answered with a redirect (HTTP ${res.status}); token endpoints must not redirect`,
              {
                host: url.host,
                attempts: attempt,
                status: res.status,
                hint: 'point the endpoint option at the final URL',
              },
            );
          }
          const retry = isRetryableStatus(res.status) || (req.retryable?.(res) ?? false);
          if (!retry) return res;
          if (attempt === maxAttempts) return res;
          const wait =
            parseRetryAfter(res.headers.get('retry-after'), options.now()) ??
            backoffDelay(attempt - 1, options.random);
          if (options.now() + wait >= deadline) return res; // no time to wait: let the caller map the answer
          options.log?.debug(
            `${req.what}: HTTP ${res.status}, retrying in ${wait} ms (attempt ${attempt}/${maxAttempts})`,
          );
          await options.sleep(wait, options.signal);
          continue;
        }
        if (attempt < maxAttempts) {
          const wait = backoffDelay(attempt - 1, options.random);
          if (options.now() + wait >= deadline) break;
          await options.sleep(wait, options.signal);
        }
      }
      if (lastError) throw lastError;
      throw new HttpError(
        'ERR_HTTP_DEADLINE',
        `${req.what} at ${url.host} did not succeed before the deadline`,
        {
          host: url.host,
          attempts: 0,
          hint: 'raise `timeout` or check the server',
        },
      );
    },
  };
}

/** headerOf reads the first present header among `names` (request ids differ per vendor). */
export function headerOf(res: HttpResponse, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = res.headers.get(n);
    if (v) return v;
  }
  return undefined;
}

/** proxyFromEnv returns the proxy settings in `env` (either case), or undefined when there is none. */
export function proxyFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | undefined {
  const get = (n: string) => env[n] || env[n.toLowerCase()] || undefined;
  const httpsProxy = get('HTTPS_PROXY');
  const httpProxy = get('HTTP_PROXY');
  if (!httpsProxy && !httpProxy) return undefined;
  // An explicitly empty NO_PROXY means "proxy everything"; it must not fall back to anything else.
  const noProxy = env['NO_PROXY'] ?? env['no_proxy'];
  return {
    ...(httpProxy ? { httpProxy } : {}),
    ...(httpsProxy ? { httpsProxy } : {}),
    ...(noProxy === undefined ? {} : { noProxy }),
  };
}
