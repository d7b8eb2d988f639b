/**
 * errors.ts: one error type with stable codes. Tests and callers branch on `code`, never on message
 * text. Messages say what Federate was doing and never contain a token, credential or request body;
 * `hint` says what usually fixes it. The product name is added once, by the entry point.
 */

/** ErrorCode lists every stable code Federate can fail with. New codes are added, never renamed. */
export type ErrorCode =
  // configuration (bad input; fails before any request)
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_REQUIRED'
  | 'ERR_CONFIG_BOOLEAN'
  | 'ERR_CONFIG_DURATION'
  | 'ERR_CONFIG_NUMBER'
  | 'ERR_CONFIG_URL'
  | 'ERR_CONFIG_INSECURE_URL'
  | 'ERR_CONFIG_ARN'
  | 'ERR_CONFIG_ENUM'
  | 'ERR_CONFIG_PATTERN'
  | 'ERR_CONFIG_JSON'
  | 'ERR_CONFIG_EXCLUSIVE'
  | 'ERR_CONFIG_UNKNOWN_INPUT'
  | 'ERR_CONFIG_UNKNOWN_TARGET'
  | 'ERR_CONFIG_ENV_COLLISION'
  // platform (token source and sink)
  | 'ERR_PLATFORM_NOT_DETECTED'
  | 'ERR_PLATFORM_TOKEN_UNAVAILABLE'
  | 'ERR_PLATFORM_TOKEN_PERMISSION'
  | 'ERR_PLATFORM_TOKEN_REQUEST'
  | 'ERR_PLATFORM_AUDIENCE_MISMATCH'
  | 'ERR_PLATFORM_TOKEN_EXPIRED'
  | 'ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT'
  | 'ERR_PLATFORM_EXPORT'
  // tokens
  | 'ERR_TOKEN_MALFORMED'
  // transport
  | 'ERR_HTTP_NETWORK'
  | 'ERR_HTTP_TIMEOUT'
  | 'ERR_HTTP_DEADLINE'
  | 'ERR_HTTP_REDIRECT'
  | 'ERR_HTTP_INSECURE_URL'
  // exchange (the server answered)
  | 'ERR_EXCHANGE_REJECTED'
  | 'ERR_EXCHANGE_THROTTLED'
  | 'ERR_EXCHANGE_SERVER'
  | 'ERR_EXCHANGE_BAD_RESPONSE'
  | 'ERR_EXCHANGE_FAILED'
  | 'ERR_EXCHANGE_POLICY'
  // afterwards
  | 'ERR_CLEANUP_FAILED'
  | 'ERR_INTERNAL';

/** FederateErrorOptions are the structured fields every error may carry. */
export interface FederateErrorOptions {
  cause?: unknown;
  /** hint says what usually fixes this, in one sentence. */
  hint?: string;
}

/** FederateError is the one error class; subclasses add structure for their area. */
export class FederateError extends Error {
  override name = 'FederateError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: FederateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** ConfigIssue is one problem with one input; a ConfigError carries all of them at once. */
export interface ConfigIssue {
  code: ErrorCode;
  /** input is the name as the user wrote it at the edge (`role-arn`, `exchanges[1].role-arn`). */
  input: string;
  message: string;
  hint?: string;
}

/** ConfigError reports every invalid input together, before any request is made. */
export class ConfigError extends FederateError {
  override name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: FederateErrorOptions = {}) {
    const lines = issues.map((i) => `${i.input}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`);
    super(
      issues.length === 1 ? (issues[0]?.code ?? 'ERR_CONFIG_INVALID') : 'ERR_CONFIG_INVALID',
      issues.length === 1
        ? (lines[0] ?? '')
        : `${issues.length} inputs are invalid:\n  - ${lines.join('\n  - ')}`,
      options,
    );
    this.issues = issues;
  }
}

/** PlatformError is a failure to get the platform's token or to export through its sink. */
export class PlatformError extends FederateError {
  override name = 'PlatformError';
  readonly platform: string;
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    platform: string,
    message: string,
    options: FederateErrorOptions & { status?: number } = {},
  ) {
    // Platform messages may quote a CLI's stderr or a metadata server: one line, bounded, like exchanges.
    super(code, oneLine(message), options);
    this.platform = platform;
    this.status = options.status;
  }
}

/** HttpError is a transport failure: no usable answer from the server within the limits. */
export class HttpError extends FederateError {
  override name = 'HttpError';
  /** host is the server's host (never the full URL: query strings can hold secrets). */
  readonly host: string;
  readonly attempts: number;
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: FederateErrorOptions & { host: string; attempts: number; status?: number },
  ) {
    super(code, message, options);
    this.host = options.host;
    this.attempts = options.attempts;
    this.status = options.status;
  }
}

/** MAX_SERVER_TEXT bounds an exchange message or hint, which may quote what a (hostile) server said. */
export const MAX_EXCHANGE_TEXT = 600;

/**
 * oneLine makes server-influenced text safe to print: control and line-separator characters become
 * spaces (no forged log lines, no workflow commands at a line start), and the length is bounded.
 */
export function oneLine(text: string, max = MAX_EXCHANGE_TEXT): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** safeCode keeps a server's error code or request id only in a short, token-like form. */
function safeCode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = oneLine(value, 80);
  return /^[\w.:/+=@-]{1,80}$/.test(v) ? v : oneLine(v.replace(/[^\w.:/+=@-]+/g, '_'), 64);
}

/** DEFAULT_HINTS apply when a target has nothing more specific to say. */
const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  ERR_EXCHANGE_THROTTLED:
    'the server kept rate-limiting through every retry; run fewer jobs at once against it, or retry later',
  ERR_EXCHANGE_SERVER: 'the server kept failing through every retry; check its status page, then retry',
  ERR_EXCHANGE_BAD_RESPONSE:
    'the endpoint did not answer in the documented format; check that it points at the token service itself',
};

/** ExchangeError is a server's answer that is not credentials: the structure diagnostics need. */
export class ExchangeError extends FederateError {
  override name = 'ExchangeError';
  readonly target: string;
  readonly status: number | undefined;
  /** serverCode is the server's own error code (`InvalidIdentityToken`, `invalid_grant`, `AADSTS700213`). */
  readonly serverCode: string | undefined;
  readonly requestId: string | undefined;
  /** claims are the token claims this target's trust conditions usually test (never the token). */
  claims: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    target: string,
    message: string,
    options: FederateErrorOptions & {
      status?: number;
      serverCode?: string;
      requestId?: string;
      claims?: Record<string, unknown>;
    } = {},
  ) {
    // Messages and hints may quote the server: one line each, bounded, whatever the target did.
    const hint = options.hint ?? DEFAULT_HINTS[code];
    super(code, oneLine(message), { ...options, ...(hint === undefined ? {} : { hint: oneLine(hint) }) });
    this.target = target;
    this.status = options.status;
    this.serverCode = safeCode(options.serverCode);
    this.requestId = safeCode(options.requestId);
    this.claims = options.claims;
  }
}

/** AggregateExchangeError reports every exchange that failed in one run. */
export class AggregateExchangeError extends FederateError {
  override name = 'AggregateExchangeError';
  readonly errors: readonly FederateError[];

  constructor(errors: readonly FederateError[]) {
    const only = errors.length === 1 ? errors[0] : undefined;
    super(
      only ? only.code : 'ERR_EXCHANGE_FAILED',
      only
        ? only.message
        : `${errors.length} exchanges failed:\n  - ${errors.map((e) => e.message).join('\n  - ')}`,
      only?.hint === undefined ? {} : { hint: only.hint },
    );
    this.errors = errors;
  }
}

/** toFederateError wraps anything thrown into a FederateError without copying its message blindly. */
export function toFederateError(error: unknown, doing: string): FederateError {
  if (error instanceof FederateError) return error;
  if (error instanceof TypeError) throw error; // caller misuse: a bug, not a runtime failure
  const kind = error instanceof Error ? error.name : typeof error;
  return new FederateError('ERR_INTERNAL', `unexpected ${kind} while ${doing}`, { cause: error });
}
