/**
 * request.ts: pure builders for the STS query-protocol calls (awsQuery, XML answers). The web
 * identity token travels only in the form body, never in the URL or a header.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 */
import type { AwsTag } from './options.js';

/** STS_VERSION is the API version every STS query call names. */
export const STS_VERSION = '2011-06-15';

/** StsRequest is one unsigned STS call. */
export interface StsRequest {
  readonly url: string;
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** SessionParams are the parameters AssumeRole and AssumeRoleWithWebIdentity share. */
export interface SessionParams {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds?: number | undefined;
  readonly policy?: string | undefined;
  readonly policyArns?: readonly string[] | undefined;
}

const HEADERS = {
  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  accept: 'text/xml',
} as const;

function form(action: string): URLSearchParams {
  return new URLSearchParams({ Action: action, Version: STS_VERSION });
}

function addSession(body: URLSearchParams, p: SessionParams): void {
  body.set('RoleArn', p.roleArn);
  body.set('RoleSessionName', p.sessionName);
  if (p.durationSeconds !== undefined) body.set('DurationSeconds', String(p.durationSeconds));
  if (p.policy !== undefined) body.set('Policy', p.policy);
  (p.policyArns ?? []).forEach((arn, i) => {
    body.set(`PolicyArns.member.${i + 1}.arn`, arn);
  });
}

function request(endpoint: URL | string, body: URLSearchParams): StsRequest {
  return {
    url: new URL(endpoint).toString(),
    method: 'POST',
    headers: { ...HEADERS },
    body: body.toString(),
  };
}

/** assumeRoleWithWebIdentityRequest builds the unauthenticated exchange call. */
export function assumeRoleWithWebIdentityRequest(
  endpoint: URL | string,
  p: SessionParams & { readonly token: string },
): StsRequest {
  const body = form('AssumeRoleWithWebIdentity');
  addSession(body, p);
  body.set('WebIdentityToken', p.token);
  return request(endpoint, body);
}

/** assumeRoleRequest builds the role-chaining call; it must be signed with the first credentials. */
export function assumeRoleRequest(
  endpoint: URL | string,
  p: SessionParams & {
    readonly externalId?: string | undefined;
    readonly tags?: readonly AwsTag[] | undefined;
    readonly transitiveTagKeys?: readonly string[] | undefined;
  },
): StsRequest {
  const body = form('AssumeRole');
  addSession(body, p);
  if (p.externalId !== undefined) body.set('ExternalId', p.externalId);
  (p.tags ?? []).forEach((t, i) => {
    body.set(`Tags.member.${i + 1}.Key`, t.key);
    body.set(`Tags.member.${i + 1}.Value`, t.value);
  });
  (p.transitiveTagKeys ?? []).forEach((k, i) => {
    body.set(`TransitiveTagKeys.member.${i + 1}`, k);
  });
  return request(endpoint, body);
}

/** getCallerIdentityRequest builds the identity check; it must be signed. */
export function getCallerIdentityRequest(endpoint: URL | string): StsRequest {
  return request(endpoint, form('GetCallerIdentity'));
}

/** sessionNameFor derives a RoleSessionName from the run, sanitized to STS's 2-64 chars of [\w+=,.@-]. */
export function sessionNameFor(platform: string, runId: string | undefined, now: number): string {
  const raw = `federate-${platform}-${runId ?? String(now)}`;
  const clean = raw.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return clean.length >= 2 ? clean : `federate-${now}`;
}
