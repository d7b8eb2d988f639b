/**
 * pingone.ts: a PingOne Privilege emulator built from the vendor's onboarding guide ("Managing workload
 * identities", seed 002): a workload identity selects AWS accounts, GCP projects or an Azure API scope;
 * a workload policy grants it roles within a Start/End time window; the onboarded workload calls
 * `GET /pubapi/<tenant_name>/v1/workloadtokens/<namespace>/<workload_identity_name>` with its API key
 * as the Bearer token and gets a token valid for 60 minutes that, decoded, carries the credentials.
 *
 * The answer's format is not public. The emulator's, documented here and used as the target's
 * defaults: `200 {"token": "<JWT>", "expiresIn": 3600}` (or the bare JWT as text/plain with
 * `bare: true`), the JWT signed with a key published at `/.well-known/jwks.json` and carrying
 * `aws: {accessKeyId, secretAccessKey, sessionToken, expiration, accountIds}`,
 * `gcp: {accessToken, projectIds}`, `azure: {accessToken, scope}` for the clouds the identity selects.
 * Errors are JSON `{"code": "...", "message": "..."}`: 401 missing or wrong API key, 404 unknown
 * tenant or workload, 403 no policy (or outside its window), 405 a method other than GET. 429 and
 * 5xx come from the fault queue.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../clock.js';
import { type RecordedRequest, sendJson, sendText, startServer, type TestServer } from '../http-server.js';
import { createKeyStore, type KeyStore } from '../keys.js';

/** PingOneWorkloadSpec is one workload identity with its policy. */
export interface PingOneWorkloadSpec {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  /** apiKey is the key the admin console shows for this workload. */
  readonly apiKey: string;
  readonly aws?: { readonly accountIds: readonly string[] };
  readonly gcp?: { readonly projectIds: readonly string[] };
  readonly azure?: { readonly scope: 'https://graph.microsoft.com' | 'https://management.azure.com' };
  /** policy is the workload policy's window (ms since epoch); absent = no policy, so 403. */
  readonly policy?: { readonly start?: number; readonly end?: number };
}

/** PingOneEmulatorOptions configures startPingOne. */
export interface PingOneEmulatorOptions {
  readonly tenants: readonly string[];
  readonly workloads: readonly PingOneWorkloadSpec[];
  /** tokenLifetimeSec defaults to the documented 3600. */
  readonly tokenLifetimeSec?: number;
  readonly clock?: Clock;
  /** bare answers the JWT itself as text/plain instead of JSON. */
  readonly bare?: boolean;
  /** claims replaces the payload builder, to emulate tenants whose tokens look different. */
  readonly claims?: (issued: PingOneIssued, base: Record<string, unknown>) => Record<string, unknown>;
}

/** PingOneIssued is one token the emulator issued, with its fake cloud credentials. */
export interface PingOneIssued {
  readonly token: string;
  readonly workload: string;
  readonly expiresAt: number;
  readonly aws?: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  readonly gcp?: { accessToken: string };
  readonly azure?: { accessToken: string };
}

/** PingOneEmulator is a running emulator. */
export interface PingOneEmulator {
  readonly url: string;
  readonly jwksUrl: string;
  readonly keys: KeyStore;
  readonly server: TestServer;
  readonly requests: TestServer['requests'];
  readonly count: TestServer['count'];
  readonly faults: TestServer['faults'];
  /** issued lists every token in issue order. */
  issued(): PingOneIssued[];
  /** tokenPath is the documented path for a workload. */
  tokenPath(tenant: string, namespace: string, name: string): string;
  close(): Promise<void>;
}

const TOKEN_PATH = /^\/pubapi\/([^/]+)\/v1\/workloadtokens\/([^/]+)\/([^/]+)\/?$/;

function error(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message }, { 'x-request-id': randomBytes(8).toString('hex') });
}

const rand = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');

/** startPingOne starts the emulator on 127.0.0.1. */
export async function startPingOne(opts: PingOneEmulatorOptions): Promise<PingOneEmulator> {
  const clock = opts.clock ?? systemClock;
  const lifetime = opts.tokenLifetimeSec ?? 3600;
  const keys = createKeyStore();
  const issued: PingOneIssued[] = [];
  let base = '';

  const handler = async (req: RecordedRequest, res: ServerResponse) => {
    if (req.path === '/.well-known/jwks.json') return sendJson(res, 200, keys.jwks());
    const m = TOKEN_PATH.exec(req.path);
    if (!m) return error(res, 404, 'NOT_FOUND', 'no such endpoint');
    if (req.method !== 'GET') return error(res, 405, 'METHOD_NOT_ALLOWED', 'use GET');
    const [tenant, namespace, name] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
    const auth = req.header('authorization') ?? '';
    const key = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!key) return error(res, 401, 'UNAUTHORIZED', 'missing bearer API key');
    if (!opts.tenants.includes(tenant ?? '')) return error(res, 404, 'TENANT_NOT_FOUND', 'unknown tenant');
    const workload = opts.workloads.find(
      (w) => w.tenant === tenant && w.namespace === namespace && w.name === name,
    );
    if (!workload) return error(res, 404, 'WORKLOAD_NOT_FOUND', 'unknown workload identity');
    if (workload.apiKey !== key) return error(res, 401, 'UNAUTHORIZED', 'invalid API key for this workload');
    const now = clock.now();
    const policy = workload.policy;
    if (!policy) return error(res, 403, 'NO_POLICY', 'the workload identity has no workload policy');
    if ((policy.start !== undefined && now < policy.start) || (policy.end !== undefined && now >= policy.end))
      return error(res, 403, 'POLICY_NOT_ACTIVE', 'the workload policy is outside its time window');

    const iat = Math.floor(now / 1000);
    const exp = iat + lifetime;
    const record: {
      -readonly [K in keyof PingOneIssued]: PingOneIssued[K];
    } = { token: '', workload: `${tenant}/${namespace}/${name}`, expiresAt: exp * 1000 };
    const payload: Record<string, unknown> = {
      iss: `${base}/pubapi/${tenant}`,
      sub: `${namespace}/${name}`,
      aud: tenant,
      iat,
      exp,
      jti: randomBytes(12).toString('hex'),
    };
    if (workload.aws) {
      record.aws = {
        accessKeyId: `ASIA${rand(16)}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}`,
      };
      payload['aws'] = {
        ...record.aws,
        expiration: new Date(exp * 1000).toISOString(),
        accountIds: workload.aws.accountIds,
      };
    }
    if (workload.gcp) {
      record.gcp = { accessToken: `ya29.${randomBytes(48).toString('base64url')}` };
      payload['gcp'] = { ...record.gcp, projectIds: workload.gcp.projectIds };
    }
    if (workload.azure) {
      record.azure = { accessToken: `eyJ0eXAiOiJKV1QifQ.${randomBytes(48).toString('base64url')}.x` };
      payload['azure'] = { ...record.azure, scope: workload.azure.scope };
    }
    const token = await keys.sign(opts.claims ? opts.claims(record, payload) : payload);
    record.token = token;
    issued.push(record);
    if (opts.bare) return sendText(res, 200, token, { 'content-type': 'application/jwt' });
    return sendJson(res, 200, { token, expiresIn: lifetime });
  };

  const server = await startServer(handler);
  base = server.url;
  return {
    url: server.url,
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    keys,
    server,
    requests: server.requests,
    count: server.count,
    faults: server.faults,
    issued: () => [...issued],
    tokenPath: (tenant, namespace, name) =>
      `/pubapi/${encodeURIComponent(tenant)}/v1/workloadtokens/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
    close: () => server.close(),
  };
}
