/**
 * response.ts: the parts every target's response parser shares: classifying an HTTP answer into the
 * core's error codes, reading JSON safely (a body that is not what the server documents is
 * ERR_EXCHANGE_BAD_RESPONSE, never a crash), and RFC 6749 §5.2 error bodies (used by GCP STS, Entra,
 * generic OAuth servers). Server messages are kept short; the core redacts them again at the top.
 */
import { ExchangeError, type ErrorCode, type HttpResponse, headerOf, oneLine } from '@federate/core';

const MAX_SERVER_TEXT = 300;

/** clip is the core's oneLine with a shorter bound, for one piece of server text inside a message. */
export function clip(text: string): string {
  return oneLine(text, MAX_SERVER_TEXT);
}

/** codeForStatus maps a final HTTP status to the core's exchange codes. */
export function codeForStatus(status: number, throttled = false): ErrorCode {
  if (throttled || status === 429) return 'ERR_EXCHANGE_THROTTLED';
  if (status >= 500 || status === 408) return 'ERR_EXCHANGE_SERVER';
  return 'ERR_EXCHANGE_REJECTED';
}

/** requestIdOf reads the vendor request id headers we know of. */
export function requestIdOf(res: HttpResponse): string | undefined {
  return headerOf(
    res,
    'x-amzn-requestid',
    'x-amz-request-id',
    'x-ms-request-id',
    'request-id',
    'x-request-id',
    'x-vault-request-id',
    'x-goog-request-id',
  );
}

/** parseJsonBody parses a JSON body, or throws ERR_EXCHANGE_BAD_RESPONSE naming what was expected. */
export function parseJsonBody(res: HttpResponse, target: string, what: string): Record<string, unknown> {
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      target,
      `${what} answered HTTP ${res.status} with a body that is not JSON${type ? ` (content-type ${clip(type)})` : ''}`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
        hint: 'check that the endpoint URL points at the token service itself, not a proxy or login page',
      },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      target,
      `${what} answered with JSON that is not an object`,
      { status: res.status },
    );
  }
  return parsed as Record<string, unknown>;
}

/** requireString reads a string field of a success body or throws ERR_EXCHANGE_BAD_RESPONSE. */
export function requireString(
  body: Record<string, unknown>,
  field: string,
  target: string,
  what: string,
): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') {
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      target,
      `${what} answered without the ${field} field`,
      {
        hint: 'the server does not speak the documented protocol; check the endpoint URL',
      },
    );
  }
  return v;
}

/** optional builds `{ key: value }` only when value is defined (exactOptionalPropertyTypes-friendly). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** OAuthErrorBody is RFC 6749 §5.2's error response. */
export interface OAuthErrorBody {
  error: string;
  errorDescription: string | undefined;
  errorUri: string | undefined;
  errorCodes: number[] | undefined; // Entra's AADSTS numbers
}

/** parseOAuthError reads an RFC 6749 §5.2 error body; undefined when the body is not one. */
export function parseOAuthError(res: HttpResponse): OAuthErrorBody | undefined {
  try {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    if (typeof body['error'] !== 'string') return undefined;
    const codes = Array.isArray(body['error_codes'])
      ? body['error_codes'].filter((c): c is number => typeof c === 'number')
      : undefined;
    return {
      error: body['error'],
      errorDescription: typeof body['error_description'] === 'string' ? body['error_description'] : undefined,
      errorUri: typeof body['error_uri'] === 'string' ? body['error_uri'] : undefined,
      errorCodes: codes,
    };
  } catch {
    return undefined;
  }
}

/** oauthError turns a non-2xx OAuth answer into an ExchangeError with the server's code and a hint. */
export function oauthError(
  res: HttpResponse,
  target: string,
  what: string,
  hints: (err: OAuthErrorBody | undefined) => string | undefined,
): ExchangeError {
  const err = parseOAuthError(res);
  const serverCode = err
    ? err.errorCodes?.[0] !== undefined
      ? `AADSTS${err.errorCodes[0]}`
      : err.error
    : undefined;
  const detail = err
    ? `${err.error}${err.errorDescription ? `: ${clip(err.errorDescription)}` : ''}`
    : `HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`;
  const hint = hints(err);
  return new ExchangeError(codeForStatus(res.status), target, `${what} rejected the exchange: ${detail}`, {
    status: res.status,
    ...optional('serverCode', serverCode),
    ...optional('requestId', requestIdOf(res)),
    ...optional('hint', hint),
  });
}

/** expiryFrom turns `expires_in` seconds into a Date relative to `now`. */
export function expiryFrom(expiresIn: unknown, now: number): Date | undefined {
  const n = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? new Date(now + n * 1000) : undefined;
}
