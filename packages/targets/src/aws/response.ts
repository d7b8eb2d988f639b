/**
 * response.ts: pure parsers for STS's awsQuery XML answers. The XML reader is deliberately tiny:
 * elements, text, CDATA and the five predefined plus numeric entities. A DOCTYPE is refused outright,
 * so no entity expansion or external reference can ever happen.
 * https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 */
import { ExchangeError, type ErrorCode, type HttpResponse } from '@federate/core';
import { clip, codeForStatus, optional, requestIdOf } from '../shared/response.js';

/** XmlElement is one parsed element: local name (prefix dropped), children and direct text. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** decodeEntities replaces XML's predefined and numeric character references; undefined if one is unknown. */
export function decodeEntities(text: string): string | undefined {
  let bad = false;
  const out = text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff || cp === 0) {
        bad = true;
        return '';
      }
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[ref];
    if (v === undefined) bad = true;
    return v ?? '';
  });
  if (bad || /&(?!(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);)/.test(text)) return undefined;
  return out;
}

const MAX_XML = 1_000_000;
const MAX_DEPTH = 32;

/** parseXml reads a document into its root element, or undefined when it is not well-formed. */
export function parseXml(text: string): XmlElement | undefined {
  if (text.length > MAX_XML) return undefined;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) {
        if (chunk.trim() !== '') return undefined; // text outside the root
      } else {
        const decoded = decodeEntities(chunk);
        if (decoded === undefined) return undefined;
        top.text += decoded;
      }
    }
    if (lt < 0) break;
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) return undefined;
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      const top = stack[stack.length - 1];
      if (end < 0 || !top) return undefined;
      top.text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', lt)) {
      return undefined; // DOCTYPE and declarations: never needed, never honoured
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) return undefined;
      const name = localName(text.slice(lt + 2, end).trim());
      const top = stack.pop();
      if (!top || top.name !== name) return undefined;
      i = end + 1;
    } else {
      const end = tagEnd(text, lt + 1);
      if (end < 0) return undefined;
      const inner = text.slice(lt + 1, end);
      const selfClosing = inner.endsWith('/');
      const m = /^([A-Za-z_][\w.:-]*)/.exec(inner);
      if (!m?.[1]) return undefined;
      const el: XmlElement = { name: localName(m[1]), children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root)
        return undefined; // a second root
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) return undefined;
      }
      i = end + 1;
    }
  }
  return root && stack.length === 0 ? root : undefined;
}

// Finds the '>' closing a start tag, skipping quoted attribute values that may contain '>'.
function tagEnd(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
    else if (c === '<') return -1;
  }
  return -1;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** xmlChild walks element names from `el` and returns the element found, if any. */
export function xmlChild(el: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let current = el;
  for (const name of path) {
    current = current?.children.find((c) => c.name === name);
    if (!current) return undefined;
  }
  return current;
}

/** xmlText is the trimmed text of the element at `path`, or undefined when absent or empty. */
export function xmlText(el: XmlElement | undefined, ...path: string[]): string | undefined {
  const t = xmlChild(el, ...path)?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** xmlShape renders an element's structure (names only, children sorted) for fidelity comparisons. */
export function xmlShape(el: XmlElement): string {
  if (el.children.length === 0) return el.name;
  return `${el.name}(${el.children.map(xmlShape).sort().join(',')})`;
}

/** StsCredentials are the temporary credentials of an AssumeRole* answer. */
export interface StsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** AssumeRoleResult is a parsed AssumeRoleWithWebIdentity or AssumeRole success. */
export interface AssumeRoleResult {
  readonly credentials: StsCredentials;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string | undefined;
  /** account is the 12-digit account of the assumed-role ARN. */
  readonly account: string | undefined;
  readonly subject: string | undefined;
  readonly audience: string | undefined;
  readonly provider: string | undefined;
  readonly packedPolicySize: number | undefined;
  readonly sourceIdentity: string | undefined;
  readonly requestId: string | undefined;
}

/** CallerIdentity is a parsed GetCallerIdentity success. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string | undefined;
}

/** StsAction names the calls this target makes. */
export type StsAction = 'AssumeRoleWithWebIdentity' | 'AssumeRole' | 'GetCallerIdentity';

const TARGET = 'aws';

function isHtml(res: HttpResponse): boolean {
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  return type.includes('html') || /^\s*<!doctype html/i.test(res.text) || /^\s*<html[\s>]/i.test(res.text);
}

function badResponse(res: HttpResponse, what: string, detail: string): ExchangeError {
  return new ExchangeError(
    'ERR_EXCHANGE_BAD_RESPONSE',
    TARGET,
    `${what} answered HTTP ${res.status} ${detail}`,
    {
      status: res.status,
      ...optional('requestId', requestIdOf(res)),
      hint: 'check that the endpoint URL points at AWS STS itself, not a proxy or login page',
    },
  );
}

function resultOf(
  res: HttpResponse,
  what: string,
  action: StsAction,
): { result: XmlElement; requestId: string | undefined } {
  if (isHtml(res)) {
    const type = res.headers.get('content-type');
    return fail(badResponse(res, what, `with an HTML page${type ? ` (content-type ${clip(type)})` : ''}`));
  }
  const doc = parseXml(res.text);
  if (!doc) return fail(badResponse(res, what, 'with a body that is not well-formed XML'));
  if (doc.name !== `${action}Response`)
    return fail(badResponse(res, what, `with <${clip(doc.name)}> where <${action}Response> was expected`));
  const result = xmlChild(doc, `${action}Result`);
  if (!result) return fail(badResponse(res, what, `without <${action}Result>`));
  return { result, requestId: xmlText(doc, 'ResponseMetadata', 'RequestId') ?? requestIdOf(res) };
}

function fail(error: ExchangeError): never {
  throw error;
}

function need(el: XmlElement, res: HttpResponse, what: string, ...path: string[]): string {
  return xmlText(el, ...path) ?? fail(badResponse(res, what, `without ${path.join('/')}`));
}

/** accountOfArn reads the account field of an ARN (`arn:aws:sts::123456789012:assumed-role/…`). */
export function accountOfArn(arn: string): string | undefined {
  const m = /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(arn);
  return m?.[1];
}

/** parseAssumeRole reads a 200 answer of AssumeRoleWithWebIdentity or AssumeRole. */
export function parseAssumeRole(
  res: HttpResponse,
  what: string,
  action: 'AssumeRoleWithWebIdentity' | 'AssumeRole',
): AssumeRoleResult {
  const { result, requestId } = resultOf(res, what, action);
  const expirationText = need(result, res, what, 'Credentials', 'Expiration');
  const expiration = new Date(expirationText);
  if (Number.isNaN(expiration.getTime()))
    fail(badResponse(res, what, 'with an Expiration that is not an ISO 8601 time'));
  const assumedRoleArn = need(result, res, what, 'AssumedRoleUser', 'Arn');
  const packed = xmlText(result, 'PackedPolicySize');
  return {
    credentials: {
      accessKeyId: need(result, res, what, 'Credentials', 'AccessKeyId'),
      secretAccessKey: need(result, res, what, 'Credentials', 'SecretAccessKey'),
      sessionToken: need(result, res, what, 'Credentials', 'SessionToken'),
      expiration,
    },
    assumedRoleArn,
    assumedRoleId: xmlText(result, 'AssumedRoleUser', 'AssumedRoleId'),
    account: accountOfArn(assumedRoleArn),
    subject: xmlText(result, 'SubjectFromWebIdentityToken'),
    audience: xmlText(result, 'Audience'),
    provider: xmlText(result, 'Provider'),
    packedPolicySize: packed === undefined || !/^\d+$/.test(packed) ? undefined : Number(packed),
    sourceIdentity: xmlText(result, 'SourceIdentity'),
    requestId,
  };
}

/** parseCallerIdentity reads a 200 answer of GetCallerIdentity. */
export function parseCallerIdentity(res: HttpResponse, what: string): CallerIdentity {
  const { result } = resultOf(res, what, 'GetCallerIdentity');
  return {
    account: need(result, res, what, 'Account'),
    arn: need(result, res, what, 'Arn'),
    userId: xmlText(result, 'UserId'),
  };
}

/** StsErrorBody is an awsQuery error: `ErrorResponse/Error/{Type,Code,Message}` plus RequestId. */
export interface StsErrorBody {
  readonly type: string | undefined;
  readonly code: string;
  readonly message: string | undefined;
  readonly requestId: string | undefined;
}

/** parseStsError reads an awsQuery error body (also the `Response/Errors/Error` variant); undefined if it is not one. */
export function parseStsError(text: string): StsErrorBody | undefined {
  const doc = parseXml(text);
  if (!doc) return undefined;
  const error = xmlChild(doc, 'Error') ?? xmlChild(doc, 'Errors', 'Error');
  const code = xmlText(error, 'Code');
  if (!error || !code) return undefined;
  return {
    type: xmlText(error, 'Type'),
    code,
    message: xmlText(error, 'Message'),
    requestId: xmlText(doc, 'RequestId') ?? xmlText(doc, 'ResponseMetadata', 'RequestId'),
  };
}

const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const TRANSIENT_CODES = new Set([
  'IDPCommunicationError',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalError',
]);

/** isRetryableSts marks STS's own retryable answers: throttling and IDPCommunicationError arrive as HTTP 400. */
export function isRetryableSts(res: HttpResponse): boolean {
  if (res.status !== 400 && res.status !== 403) return false;
  const err = parseStsError(res.text);
  return err !== undefined && (THROTTLING_CODES.has(err.code) || err.code === 'IDPCommunicationError');
}

/** ErrorContext is what hints may mention (never the token). */
export interface ErrorContext {
  readonly roleArn: string;
  readonly issuer?: string | undefined;
  readonly audience?: readonly string[] | undefined;
  readonly durationSeconds?: number | undefined;
}

function hintFor(code: string, message: string, ctx: ErrorContext, action: StsAction): string | undefined {
  const aud = ctx.audience?.join(', ') || 'sts.amazonaws.com';
  switch (code) {
    case 'InvalidIdentityToken': {
      const provider =
        /No OpenIDConnect provider found in your account for (\S+)/.exec(message)?.[1] ?? ctx.issuer;
      if (/No OpenIDConnect provider/i.test(message))
        return `create an IAM OIDC identity provider with URL ${provider ?? 'the token issuer'} and audience ${aud} in the role's account (or fix the issuer URL)`;
      if (/audience/i.test(message))
        return `add ${aud} to the IAM OIDC provider's client IDs (audiences), or set \`audience\` to one it lists`;
      if (/verification key|thumbprint|retrieve/i.test(message))
        return "AWS could not fetch the issuer's signing keys: check that the issuer's discovery document and JWKS are publicly reachable";
      return 'the token was rejected: check the IAM OIDC provider (URL, audiences) and that the token is fresh and unmodified';
    }
    case 'AccessDenied':
    case 'AccessDeniedException':
      if (action === 'AssumeRole')
        return "the first role may not sts:AssumeRole the chained role: allow it in the chained role's trust policy (and sts:TagSession when using session tags)";
      return `the role's trust policy conditions (sub, aud) do not match this token: compare them with the claims below, or run \`federate doctor --trust-policy\` for ${ctx.roleArn}`;
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return 'the platform token expired before AWS saw it: check the runner clock, and request the token right before the exchange';
    case 'IDPCommunicationError':
      return 'AWS could not reach the identity provider; this is usually transient: retry the job';
    case 'IDPRejectedClaim':
      return "the identity provider rejected the token's claims: check the token's claims against the provider's requirements";
    case 'RegionDisabledException':
      return 'activate STS in this region (IAM > Account settings > STS endpoints) or use another `region`';
    case 'ValidationError':
      if (/DurationSeconds|MaxSessionDuration|duration/i.test(message))
        return `lower \`duration\`${ctx.durationSeconds ? ` (${ctx.durationSeconds}s)` : ''} to at most the role's maximum session duration, or raise the role's MaxSessionDuration (chained sessions are limited to 1 hour)`;
      if (/RoleSessionName|roleSessionName/.test(message))
        return '`session-name` must be 2-64 characters of letters, digits and +=,.@_-';
      return 'check the request parameters named in the message';
    case 'MalformedPolicyDocument':
      return '`session-policy` is not a valid IAM policy document: check it with the IAM policy simulator';
    case 'PackedPolicyTooLarge':
      return 'shrink `session-policy`, list fewer `managed-policy-arns`, or use fewer session tags';
    case 'Throttling':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return 'AWS STS is throttling this account: lower the request rate or retry later';
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
      return 'the first credentials were not accepted for the signed call: check the endpoint and region';
    default:
      return undefined;
  }
}

function codeFor(status: number, serverCode: string): ErrorCode {
  if (THROTTLING_CODES.has(serverCode)) return 'ERR_EXCHANGE_THROTTLED';
  if (TRANSIENT_CODES.has(serverCode)) return 'ERR_EXCHANGE_SERVER';
  return codeForStatus(status);
}

/** stsError turns a non-200 STS answer into an ExchangeError with the server's code and a hint. */
export function stsError(
  res: HttpResponse,
  what: string,
  action: StsAction,
  ctx: ErrorContext,
): ExchangeError {
  if (isHtml(res)) {
    const type = res.headers.get('content-type');
    return new ExchangeError(
      res.status >= 500 || res.status === 429 ? codeForStatus(res.status) : 'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${what} answered HTTP ${res.status} with an HTML page${type ? ` (content-type ${clip(type)})` : ''}`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
        hint: 'check that the endpoint URL points at AWS STS itself, not a proxy or login page',
      },
    );
  }
  const err = parseStsError(res.text);
  if (!err) {
    return new ExchangeError(
      codeForStatus(res.status),
      TARGET,
      `${what} answered HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`,
      {
        status: res.status,
        ...optional('requestId', requestIdOf(res)),
        ...optional(
          'hint',
          res.status >= 500 || res.status === 429 ? 'AWS STS is unavailable; retry later' : undefined,
        ),
      },
    );
  }
  const message = err.message ?? '';
  return new ExchangeError(
    codeFor(res.status, err.code),
    TARGET,
    `${what} rejected the request: ${err.code}${message ? `: ${clip(message)}` : ''}`,
    {
      status: res.status,
      serverCode: err.code,
      ...optional('requestId', err.requestId ?? requestIdOf(res)),
      ...optional('hint', hintFor(err.code, message, ctx, action)),
    },
  );
}
