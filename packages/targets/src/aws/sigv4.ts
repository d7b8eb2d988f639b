/**
 * sigv4.ts: AWS Signature Version 4 for the two STS calls that need it (AssumeRole when chaining
 * roles, GetCallerIdentity), on WebCrypto so the target needs no SDK and no node:crypto.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { isoTimestamp } from '@federate/core';

/** AwsKeys are the credentials a request is signed with; a session token is sent and signed. */
export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** SigV4Request is everything that goes under the signature. */
export interface SigV4Request {
  readonly method: string;
  readonly url: string | URL;
  /** headers are signed as given (plus host, x-amz-date and x-amz-security-token). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly region: string;
  readonly service: string;
  readonly now: Date;
}

/** SigV4Result is the headers to send plus the intermediate strings (for tests and diagnostics). */
export interface SigV4Result {
  /** headers are the request's headers plus x-amz-date, x-amz-security-token and authorization. */
  readonly headers: Record<string, string>;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256Hex hashes UTF-8 text to lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const k = await globalThis.crypto.subtle.importKey(
    'raw',
    key as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return globalThis.crypto.subtle.sign('HMAC', k, encoder.encode(data));
}

/** signingKey derives kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"). */
export async function signingKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Promise<ArrayBuffer> {
  const kDate = await hmac(encoder.encode(`AWS4${secretAccessKey}`), date);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** uriEncode is SigV4's RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
export function uriEncode(text: string): string {
  return Array.from(encoder.encode(text), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** amzDate renders the instant as SigV4's basic ISO 8601 form (`20150830T123600Z`). */
export function amzDate(now: Date): string {
  return isoTimestamp(now)
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function canonicalUri(url: URL): string {
  // Services other than S3 encode each (already once-encoded) path segment again.
  const path = url.pathname === '' ? '/' : url.pathname;
  return path
    .split('/')
    .map((s) => uriEncode(decodeURIComponentSafe(s)))
    .map((s) => uriEncode(s))
    .join('/');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(url: URL): string {
  const pairs: Array<[string, string]> = [];
  // URLSearchParams turns '+' into a space; SigV4 signs what the server decodes, which is the same.
  for (const [k, v] of url.searchParams) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** signV4 signs a request with AWS4-HMAC-SHA256 and returns the headers to send. */
export async function signV4(req: SigV4Request, keys: AwsKeys): Promise<SigV4Result> {
  const url = new URL(req.url);
  const date = amzDate(req.now);
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers['host'] ??= url.host;
  headers['x-amz-date'] = date;
  if (keys.sessionToken) headers['x-amz-security-token'] = keys.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(url),
    canonicalQuery(url),
    canonicalHeaders,
    signedHeaders,
    await sha256Hex(req.body),
  ].join('\n');
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, await sha256Hex(canonicalRequest)].join('\n');
  const key = await signingKey(keys.secretAccessKey, day, req.region, req.service);
  const signature = hex(await hmac(key, stringToSign));
  // fetch sets Host itself from the URL; sending it again is harmless but redundant.
  const out: Record<string, string> = { ...req.headers, 'x-amz-date': date };
  if (keys.sessionToken) out['x-amz-security-token'] = keys.sessionToken;
  out['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: out, canonicalRequest, stringToSign, signature };
}
