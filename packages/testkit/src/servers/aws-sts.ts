/**
 * aws-sts.ts: an AWS STS emulator speaking the awsQuery protocol with AWS's XML bodies, error codes
 * and messages. AssumeRoleWithWebIdentity validates the JWT for real (JWKS over HTTP, iss, aud, exp)
 * and evaluates per-role trust conditions; AssumeRole and GetCallerIdentity verify SigV4 against the
 * credentials this emulator issued (an implementation on node:crypto, independent of the target's).
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../clock.js';
import { matchConditions } from '../conditions.js';
import type { Fault } from '../faults.js';
import { type RecordedRequest, startServer, type TestServer } from '../http-server.js';
import { type TrustedIssuer, verifyJwt } from '../verify.js';

/** STS_NAMESPACE is the XML namespace of every STS answer. */
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** AwsRoleConfig is one role the emulated account holds and who may assume it. */
export interface AwsRoleConfig {
  /** audiences are the OIDC provider's client IDs; default ['sts.amazonaws.com']. */
  audiences?: string[];
  /** conditions are trust-policy globs on token claims (StringLike), e.g. `{ sub: 'repo:o/r:*' }`. */
  conditions?: Record<string, string | string[]>;
  /** maxSessionDuration is the role's MaxSessionDuration in seconds; default 3600. */
  maxSessionDuration?: number;
  /** trustedPrincipals are globs on the caller ARN (assumed-role or role) allowed to AssumeRole this role. */
  trustedPrincipals?: string[];
  /** externalId, when set, must be sent by AssumeRole callers (sts:ExternalId condition). */
  externalId?: string;
}

/** AwsStsOptions configures startAwsSts. */
export interface AwsStsOptions {
  /** trusted are the account's IAM OIDC providers. */
  trusted: TrustedIssuer[];
  /** roles maps role ARNs to their trust configuration. */
  roles: Record<string, AwsRoleConfig>;
  /** disabledRegions answers RegionDisabledException for signing regions (or `region` form hints) listed. */
  disabledRegions?: string[];
  clock?: Clock;
  /** clockSkewSec is the leeway for token exp/nbf; default 0 (AWS allows little). */
  clockSkewSec?: number;
  /** ca is PEM trusted when fetching https discovery/JWKS. */
  ca?: string | string[];
  https?: boolean;
}

/** IssuedSession is a set of credentials the emulator handed out. */
export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
  roleArn: string;
  assumedRoleArn: string;
  assumedRoleId: string;
  account: string;
  sessionName: string;
  /** chained is true for sessions created by AssumeRole (role chaining). */
  chained: boolean;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  externalId: string | undefined;
  claims: Record<string, unknown> | undefined;
}

/** AwsSts is a running STS emulator. */
export interface AwsSts {
  url: string;
  server: TestServer;
  /** sessions lists every credential set issued, oldest first. */
  sessions: IssuedSession[];
  /** count is how many requests named `action` (all requests when omitted). */
  count(action?: string): number;
  /** failNext queues an AWS error answer (XML body) for the next `times` requests. */
  failNext(
    code: string,
    message: string,
    opts?: { status?: number; type?: 'Sender' | 'Receiver'; times?: number },
  ): void;
  /** throttle queues `times` Throttling answers (HTTP 400, "Rate exceeded"); Infinity = persistent. */
  throttle(times?: number): void;
  close(): Promise<void>;
}

/** stsErrorXml renders AWS's awsQuery error body. */
export function stsErrorXml(
  code: string,
  message: string,
  type: 'Sender' | 'Receiver',
  requestId: string,
): string {
  return `<ErrorResponse xmlns="${STS_NAMESPACE}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${esc(code)}</Code>\n    <Message>${esc(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

// Element text only needs &, < and > escaped; AWS leaves quotes literal in messages.
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

class StsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    override readonly message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const NOT_AUTHORIZED_WEB = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';
const BAD_TOKEN =
  'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.';
const NO_KEYS =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (b) => BASE32[b % 32]).join('');
}

function validation(field: string, value: string | undefined, constraint: string): StsFault {
  return new StsFault(
    400,
    'ValidationError',
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${value}'`} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function required(params: URLSearchParams, name: string, field: string): string {
  const v = params.get(name);
  if (v === null) throw validation(field, undefined, 'Member must not be null');
  return v;
}

interface RoleRef {
  partition: string;
  account: string;
  name: string;
}

function parseRoleArn(arn: string): RoleRef | undefined {
  const m = /^arn:(aws[\w-]*):iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  return m ? { partition: m[1] as string, account: m[2] as string, name: m[3] as string } : undefined;
}

function checkSessionParams(
  params: URLSearchParams,
  maxDuration: number,
  chained: boolean,
): {
  sessionName: string;
  duration: number;
  policy: string | undefined;
} {
  const sessionName = required(params, 'RoleSessionName', 'roleSessionName');
  if (sessionName.length < 2)
    throw validation('roleSessionName', sessionName, 'Member must have length greater than or equal to 2');
  if (sessionName.length > 64)
    throw validation('roleSessionName', sessionName, 'Member must have length less than or equal to 64');
  if (!/^[\w+=,.@-]*$/.test(sessionName))
    throw validation(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const durationText = params.get('DurationSeconds');
  let duration = 3600;
  if (durationText !== null) {
    if (!/^\d+$/.test(durationText))
      throw validation('durationSeconds', durationText, 'Member must be a number');
    duration = Number(durationText);
    if (duration < 900)
      throw validation(
        'durationSeconds',
        durationText,
        'Member must have value greater than or equal to 900',
      );
    if (duration > 43200)
      throw validation('durationSeconds', durationText, 'Member must have value less than or equal to 43200');
    if (chained && duration > 3600)
      throw new StsFault(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      );
    if (duration > maxDuration)
      throw new StsFault(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
  } else if (chained) {
    duration = Math.min(duration, 3600);
  }
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) {
    if (policy.length > 2048)
      throw validation('policy', policy, 'Member must have length less than or equal to 2048');
    let doc: unknown;
    try {
      doc = JSON.parse(policy);
    } catch {
      throw new StsFault(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (typeof doc !== 'object' || doc === null || !('Statement' in doc))
      throw new StsFault(400, 'MalformedPolicyDocument', 'Policy document must contain a Statement.');
  }
  let arns = 0;
  while (params.has(`PolicyArns.member.${arns + 1}.arn`)) arns++;
  if (arns > 10)
    throw validation('policyArns', undefined, 'Member must have length less than or equal to 10');
  for (let i = 1; i <= arns; i++) {
    const arn = params.get(`PolicyArns.member.${i}.arn`) ?? '';
    if (!/^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/.+$/.test(arn))
      throw new StsFault(400, 'InvalidParameterValue', `Invalid ARN: ${arn}`);
  }
  return { sessionName, duration, policy };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// --- SigV4 verification (independent of the target's WebCrypto signer) ---

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuth | undefined {
  const m =
    /^AWS4-HMAC-SHA256\s+Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    );
  if (!m) return undefined;
  return {
    accessKeyId: m[1] as string,
    date: m[2] as string,
    region: m[3] as string,
    service: m[4] as string,
    signedHeaders: (m[5] as string).split(';'),
    signature: m[6] as string,
  };
}

function expectedSignature(req: RecordedRequest, auth: ParsedAuth, secret: string): string {
  const canonicalUri = (req.path || '/')
    .split('/')
    .map((s) => uriEncode(uriEncode(safeDecode(s))))
    .join('/');
  const query = [...req.query.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = auth.signedHeaders
    .map((h) => {
      const raw = req.headers[h];
      const v = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
      return `${h}:${v.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = createHash('sha256').update(req.body, 'utf8').digest('hex');
  const canonical = [
    req.method,
    canonicalUri,
    query,
    headers,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const amzDate = req.header('x-amz-date') ?? '';
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(auth.date).digest();
  for (const part of [auth.region, auth.service, 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** startAwsSts starts the emulator on loopback. */
export async function startAwsSts(opts: AwsStsOptions): Promise<AwsSts> {
  const clock = opts.clock ?? systemClock;
  const sessions: IssuedSession[] = [];
  const roleIds = new Map<string, string>();

  const roleId = (arn: string) => {
    let id = roleIds.get(arn);
    if (!id) {
      id = randomId('AROA', 17);
      roleIds.set(arn, id);
    }
    return id;
  };

  const issue = (
    role: string,
    ref: RoleRef,
    sessionName: string,
    duration: number,
    extra: Partial<IssuedSession>,
  ): IssuedSession => {
    const s: IssuedSession = {
      accessKeyId: randomId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(180).toString('base64')}`,
      expiresAt: Math.floor(clock.now() / 1000) * 1000 + duration * 1000,
      roleArn: role,
      assumedRoleArn: `arn:${ref.partition}:sts::${ref.account}:assumed-role/${ref.name}/${sessionName}`,
      assumedRoleId: `${roleId(role)}:${sessionName}`,
      account: ref.account,
      sessionName,
      chained: false,
      tags: {},
      transitiveTagKeys: [],
      externalId: undefined,
      claims: undefined,
      ...extra,
    };
    sessions.push(s);
    return s;
  };

  const credentialsXml = (s: IssuedSession) =>
    `    <Credentials>\n      <AccessKeyId>${s.accessKeyId}</AccessKeyId>\n      <SecretAccessKey>${esc(s.secretAccessKey)}</SecretAccessKey>\n      <SessionToken>${esc(s.sessionToken)}</SessionToken>\n      <Expiration>${iso(s.expiresAt)}</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n      <AssumedRoleId>${esc(s.assumedRoleId)}</AssumedRoleId>\n      <Arn>${esc(s.assumedRoleArn)}</Arn>\n    </AssumedRoleUser>\n`;

  const respond = (res: ServerResponse, action: string, result: string, requestId: string) => {
    const body = `<${action}Response xmlns="${STS_NAMESPACE}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
    res.writeHead(200, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    });
    res.end(body);
  };

  const assumeRoleWithWebIdentity = async (
    params: URLSearchParams,
    res: ServerResponse,
    requestId: string,
  ) => {
    const roleArn = required(params, 'RoleArn', 'roleArn');
    const token = required(params, 'WebIdentityToken', 'webIdentityToken');
    const role = opts.roles[roleArn];
    const ref = parseRoleArn(roleArn);
    if (roleArn.length < 20)
      throw validation('roleArn', roleArn, 'Member must have length greater than or equal to 20');
    const { sessionName, duration, policy } = checkSessionParams(
      params,
      role?.maxSessionDuration ?? 3600,
      false,
    );
    if (token.length < 4)
      throw validation('webIdentityToken', undefined, 'Member must have length greater than or equal to 4');

    const verdict = await verifyJwt(token, {
      trusted: opts.trusted,
      clockSkewSec: opts.clockSkewSec ?? 0,
      clock,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'untrusted_issuer': {
          const iss = /issuer "(.*)" is not trusted/.exec(verdict.detail)?.[1] ?? '';
          throw new StsFault(
            400,
            'InvalidIdentityToken',
            `No OpenIDConnect provider found in your account for ${iss}`,
          );
        }
        case 'discovery_failed':
        case 'jwks_failed':
          throw new StsFault(400, 'InvalidIdentityToken', NO_KEYS);
        case 'expired': {
          const exp = /exp (\d+)/.exec(verdict.detail)?.[1] ?? '0';
          throw new StsFault(
            400,
            'ExpiredTokenException',
            `Token expired: current date/time ${Math.floor(clock.now() / 1000)} must be before the expiration date/time ${exp}`,
          );
        }
        default:
          throw new StsFault(400, 'InvalidIdentityToken', BAD_TOKEN);
      }
    }
    const claims = verdict.claims;
    const audiences = role?.audiences ?? ['sts.amazonaws.com'];
    const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
    const matchedAud = aud.find((a) => audiences.includes(a));
    if (matchedAud === undefined) throw new StsFault(400, 'InvalidIdentityToken', 'Incorrect token audience');
    if (!role || !ref) throw new StsFault(403, 'AccessDenied', NOT_AUTHORIZED_WEB);
    if (role.conditions && !matchConditions(claims, role.conditions).ok)
      throw new StsFault(403, 'AccessDenied', NOT_AUTHORIZED_WEB);

    const s = issue(roleArn, ref, sessionName, duration, { claims });
    const iss = String(claims.iss ?? '');
    const provider = `arn:${ref.partition}:iam::${ref.account}:oidc-provider/${iss.replace(/^https:\/\//, '')}`;
    let result = `    <SubjectFromWebIdentityToken>${esc(String(claims.sub ?? ''))}</SubjectFromWebIdentityToken>\n    <Audience>${esc(matchedAud)}</Audience>\n${credentialsXml(s)}    <Provider>${esc(provider)}</Provider>\n`;
    if (policy !== undefined)
      result += `    <PackedPolicySize>${Math.min(100, Math.ceil((policy.length / 2048) * 100))}</PackedPolicySize>\n`;
    respond(res, 'AssumeRoleWithWebIdentity', result, requestId);
  };

  const authenticate = (req: RecordedRequest): { session: IssuedSession; auth: ParsedAuth } => {
    const header = req.header('authorization');
    if (!header)
      throw new StsFault(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const auth = parseAuthorization(header);
    if (!auth)
      throw new StsFault(
        400,
        'IncompleteSignature',
        'Authorization header requires Credential, SignedHeaders and Signature parameters.',
      );
    const session = sessions.find((s) => s.accessKeyId === auth.accessKeyId);
    if (!session)
      throw new StsFault(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    if (req.header('x-amz-security-token') !== session.sessionToken)
      throw new StsFault(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    if (session.expiresAt <= clock.now())
      throw new StsFault(400, 'ExpiredToken', 'The security token included in the request is expired');
    for (const h of ['host', 'x-amz-date']) {
      if (!auth.signedHeaders.includes(h))
        throw new StsFault(
          403,
          'SignatureDoesNotMatch',
          `'${h}' must be a 'SignedHeader' in the AWS Authorization.`,
        );
    }
    if (!auth.signedHeaders.includes('x-amz-security-token'))
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        "'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization.",
      );
    if (auth.service !== 'sts')
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        `Credential should be scoped to correct service: 'sts'. `,
      );
    const at = parseAmzDate(req.header('x-amz-date') ?? '');
    if (at === undefined || !(req.header('x-amz-date') ?? '').startsWith(auth.date))
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
      );
    if (Math.abs(at - clock.now()) > 5 * 60 * 1000)
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        'Signature expired: the request time is more than 5 minutes from the server time.',
      );
    const want = Buffer.from(expectedSignature(req, auth, session.secretAccessKey));
    const got = Buffer.from(auth.signature);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    if (opts.disabledRegions?.includes(auth.region))
      throw new StsFault(
        403,
        'RegionDisabledException',
        `STS is not activated in this region for account:${session.account}. Your account administrator can activate STS in this region using the IAM Console.`,
      );
    return { session, auth };
  };

  const assumeRole = (
    req: RecordedRequest,
    params: URLSearchParams,
    res: ServerResponse,
    requestId: string,
  ) => {
    const { session: caller } = authenticate(req);
    const roleArn = required(params, 'RoleArn', 'roleArn');
    const role = opts.roles[roleArn];
    const ref = parseRoleArn(roleArn);
    const denied = () =>
      new StsFault(
        403,
        'AccessDenied',
        `User: ${caller.assumedRoleArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    const { sessionName, duration, policy } = checkSessionParams(
      params,
      role?.maxSessionDuration ?? 3600,
      true,
    );
    if (!role || !ref) throw denied();
    const principals = role.trustedPrincipals ?? [];
    const allowed = [caller.assumedRoleArn, caller.roleArn].some((arn) =>
      principals.some((p) => matchConditions({ p: arn }, { p }).ok),
    );
    if (!allowed) throw denied();
    const externalId = params.get('ExternalId') ?? undefined;
    if (role.externalId !== undefined && externalId !== role.externalId) throw denied();
    const tags: Record<string, string> = {};
    for (let i = 1; params.has(`Tags.member.${i}.Key`); i++) {
      const key = params.get(`Tags.member.${i}.Key`) ?? '';
      if (Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase()))
        throw new StsFault(
          400,
          'InvalidParameterValue',
          'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
        );
      tags[key] = params.get(`Tags.member.${i}.Value`) ?? '';
    }
    if (Object.keys(tags).length > 50)
      throw validation('tags', undefined, 'Member must have length less than or equal to 50');
    const transitiveTagKeys: string[] = [];
    for (let i = 1; params.has(`TransitiveTagKeys.member.${i}`); i++) {
      const k = params.get(`TransitiveTagKeys.member.${i}`) ?? '';
      if (!(k in tags))
        throw new StsFault(
          400,
          'InvalidParameterValue',
          'The specified transitive tag key must be included in the requested tags.',
        );
      transitiveTagKeys.push(k);
    }
    // Transitive tags from the caller's session carry over to the chained one.
    const inherited = Object.fromEntries(caller.transitiveTagKeys.map((k) => [k, caller.tags[k] ?? '']));
    const s = issue(roleArn, ref, sessionName, duration, {
      chained: true,
      tags: { ...inherited, ...tags },
      transitiveTagKeys: [...new Set([...caller.transitiveTagKeys, ...transitiveTagKeys])],
      externalId,
    });
    let result = credentialsXml(s);
    if (policy !== undefined || Object.keys(tags).length > 0)
      result += `    <PackedPolicySize>${Math.min(100, Math.ceil((((policy?.length ?? 0) + JSON.stringify(tags).length) / 2048) * 100))}</PackedPolicySize>\n`;
    respond(res, 'AssumeRole', result, requestId);
  };

  const getCallerIdentity = (req: RecordedRequest, res: ServerResponse, requestId: string) => {
    const { session } = authenticate(req);
    respond(
      res,
      'GetCallerIdentity',
      `    <Arn>${esc(session.assumedRoleArn)}</Arn>\n    <UserId>${esc(session.assumedRoleId)}</UserId>\n    <Account>${session.account}</Account>\n`,
      requestId,
    );
  };

  const server = await startServer(
    async (req, res) => {
      const requestId = randomUUID();
      try {
        if (req.path !== '/') throw new StsFault(404, 'UnknownOperationException', 'Unknown operation');
        const params = req.method === 'POST' ? (req.form ?? new URLSearchParams()) : req.query;
        const action = params.get('Action');
        if (!action) throw new StsFault(400, 'MissingAction', 'Missing Action');
        if (params.get('Version') !== '2011-06-15')
          throw new StsFault(
            400,
            'InvalidAction',
            `Could not find operation ${action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`,
          );
        switch (action) {
          case 'AssumeRoleWithWebIdentity':
            return await assumeRoleWithWebIdentity(params, res, requestId);
          case 'AssumeRole':
            return assumeRole(req, params, res, requestId);
          case 'GetCallerIdentity':
            return getCallerIdentity(req, res, requestId);
          default:
            throw new StsFault(
              400,
              'InvalidAction',
              `Could not find operation ${action} for version 2011-06-15`,
            );
        }
      } catch (err) {
        if (!(err instanceof StsFault)) throw err;
        const body = stsErrorXml(err.code, err.message, err.type, requestId);
        res.writeHead(err.status, {
          'content-type': 'text/xml',
          'content-length': Buffer.byteLength(body),
          'x-amzn-requestid': requestId,
        });
        res.end(body);
      }
    },
    opts.https ? { https: true } : {},
  );

  const actionOf = (r: RecordedRequest) =>
    (r.method === 'POST' ? r.form?.get('Action') : r.query.get('Action')) ?? undefined;
  const failNext: AwsSts['failNext'] = (code, message, o = {}) => {
    const fault: Fault = {
      kind: 'status',
      status: o.status ?? 400,
      body: stsErrorXml(code, message, o.type ?? 'Sender', randomUUID()),
      headers: { 'content-type': 'text/xml' },
      times: o.times ?? 1,
    };
    server.faults.add(fault);
  };

  return {
    url: server.url,
    server,
    sessions,
    count: (action) =>
      action === undefined
        ? server.requests.length
        : server.requests.filter((r) => actionOf(r) === action).length,
    failNext,
    throttle: (times = 1) => failNext('Throttling', 'Rate exceeded', { status: 400, times }),
    close: () => server.close(),
  };
}
