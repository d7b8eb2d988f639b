/**
 * response.ts: pure parsers for octo-sts answers. Success is `{"token": "ghs_…"}`; errors are
 * grpc-gateway's `{"code": <gRPC code>, "message": "…", "details": []}`, whose gRPC code name becomes
 * the error's `serverCode`.
 */
import { ExchangeError, type HttpResponse } from '@federate/core';
import {
  clip,
  codeForStatus,
  optional,
  parseJsonBody,
  requestIdOf,
  requireString,
} from '../shared/response.js';

/** TARGET is the target name errors carry. */
export const TARGET = 'octo-sts';

/** GRPC_CODES names gRPC status codes (google.golang.org/grpc/codes). */
export const GRPC_CODES: Readonly<Record<number, string>> = {
  1: 'Canceled',
  2: 'Unknown',
  3: 'InvalidArgument',
  4: 'DeadlineExceeded',
  5: 'NotFound',
  6: 'AlreadyExists',
  7: 'PermissionDenied',
  8: 'ResourceExhausted',
  9: 'FailedPrecondition',
  10: 'Aborted',
  11: 'OutOfRange',
  12: 'Unimplemented',
  13: 'Internal',
  14: 'Unavailable',
  15: 'DataLoss',
  16: 'Unauthenticated',
};

/** parseExchange reads the installation token from a success answer. */
export function parseExchange(res: HttpResponse): string {
  const body = parseJsonBody(res, TARGET, 'octo-sts exchange');
  return requireString(body, 'token', TARGET, 'octo-sts exchange');
}

/** OctoStsErrorBody is a grpc-gateway error (octo-sts/action also sees a bare `{message}`). */
export interface OctoStsErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** parseErrorBody reads a grpc-gateway error body; undefined when the body is not JSON. */
export function parseErrorBody(res: HttpResponse): OctoStsErrorBody | undefined {
  try {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    if (body === null || typeof body !== 'object') return undefined;
    const code = typeof body['code'] === 'number' ? GRPC_CODES[body['code']] : undefined;
    const message = typeof body['message'] === 'string' ? body['message'] : undefined;
    if (code === undefined && message === undefined) return undefined;
    return { code, message };
  } catch {
    return undefined;
  }
}

/** ExchangeCall is what was asked, for hints. */
export interface ExchangeCall {
  readonly scope: string;
  readonly identity: string;
  readonly domain: string;
}

function policyLocation(call: ExchangeCall): string {
  const [owner, repo] = call.scope.split('/');
  return `.github/chainguard/${call.identity}.sts.yaml in ${repo ? `${owner}/${repo}` : `${owner}/.github`}`;
}

function hintFor(body: OctoStsErrorBody | undefined, status: number, call: ExchangeCall): string | undefined {
  const m = body?.message ?? '';
  if (/unable to find trust policy/i.test(m) || body?.code === 'NotFound' || status === 404)
    return `octo-sts found no trust policy ${policyLocation(call)}: check scope and identity, and that the octo-sts GitHub App is installed there`;
  if (/audience/i.test(m))
    return `request the platform token with audience ${call.domain} (the default), or set audience / audience_pattern in the trust policy`;
  if (/did not match|claim/i.test(m))
    return `the trust policy's issuer, subject or claim_pattern does not match the token; compare ${policyLocation(call)} with the claims below`;
  if (/StatusUnprocessableEntity/i.test(m))
    return 'GitHub refused to mint the token: the policy asks for permissions or repositories the octo-sts app installation does not have';
  if (body?.code === 'Unauthenticated' || status === 401)
    return 'octo-sts could not verify the platform token; its issuer must be publicly reachable for discovery';
  if (body?.code === 'InvalidArgument' || status === 400) return 'check scope and identity';
  return undefined;
}

/** exchangeError turns a non-2xx octo-sts answer into an ExchangeError. */
export function exchangeError(res: HttpResponse, call: ExchangeCall): ExchangeError {
  const body = parseErrorBody(res);
  const throttled = body?.code === 'ResourceExhausted';
  const detail = body?.message
    ? `${body.code ? `${body.code}: ` : ''}${clip(body.message)}`
    : `HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`;
  return new ExchangeError(
    codeForStatus(res.status, throttled),
    TARGET,
    `octo-sts rejected the exchange for ${call.scope} as ${call.identity}: ${detail}`,
    {
      status: res.status,
      ...optional('serverCode', body?.code),
      ...optional('requestId', requestIdOf(res)),
      ...optional('hint', hintFor(body, res.status, call)),
    },
  );
}
