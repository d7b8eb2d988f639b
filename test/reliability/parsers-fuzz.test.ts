/**
 * parsers-fuzz.test.ts: property-based tests of every target's response handling. Each target's
 * exchange runs against a fake HTTP client answering arbitrary statuses, content types and bodies
 * (random text, random JSON, and JSON/XML shaped like the server's own answers with hostile field
 * values). Whatever arrives, the target either returns credentials for a 2xx answer or throws a
 * FederateError (never a TypeError or a raw SyntaxError), and its message and hint carry at most
 * two clipped (~300 character) pieces of server text and no line breaks. The AWS XML reader is
 * checked on its own: it never throws, refuses DOCTYPEs, and reads back what a writer escaped.
 */
import {
  type Credentials,
  FederateError,
  type HttpClient,
  type HttpResponse,
  type Target,
} from '@federate/core';
import { TARGETS } from '@federate/targets';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStsError, parseXml, type XmlElement } from '../../packages/targets/src/aws/response.js';
import { parseGoogleApiError } from '../../packages/targets/src/gcp/response.js';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';
import { parseOAuthError } from '../../packages/targets/src/shared/response.js';
import { vaultMessages } from '../../packages/targets/src/vault/response.js';
import { parseErrorBody } from '../../packages/targets/src/octo-sts/response.js';

/** MARK is a character no fixed message or hint contains, so counting it counts server text. */
const MARK = 'ж';
const LATIN_MARK = 'þ';
const MAX_SERVER_PIECE = 300;

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}
const now = Math.floor(Date.now() / 1000);
const PLATFORM_TOKEN = `${b64({ alg: 'RS256', kid: 'k' })}.${b64({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:acme/app:ref:refs/heads/main',
  aud: 'sts.amazonaws.com',
  repository: 'acme/app',
  iat: now,
  exp: now + 600,
})}.${Buffer.from('sig').toString('base64url')}`;

/** serverText is hostile server text: mostly MARK, with line breaks, markup and quoting mixed in. */
const serverText = (maxLength = 1200) =>
  fc.string({
    unit: fc.constantFrom(
      MARK,
      MARK,
      MARK,
      MARK,
      '\n',
      '\r',
      ' ',
      '<',
      '>',
      '&',
      '"',
      "'",
      ':',
      '%',
      '\u0000',
      '\u2028',
    ),
    maxLength,
  });
const longServerText = serverText(2500).map((s) => `${MARK.repeat(400)}${s}`);

const KEYS = [
  'access_token',
  'token_type',
  'expires_in',
  'issued_token_type',
  'refresh_token',
  'scope',
  'token',
  'auth',
  'client_token',
  'accessor',
  'lease_duration',
  'policies',
  'data',
  'errors',
  'warnings',
  'error',
  'error_description',
  'error_codes',
  'error_uri',
  'trace_id',
  'correlation_id',
  'accessToken',
  'expireTime',
  'code',
  'message',
  'status',
  'details',
  'reason',
] as const;

const leaf = fc.oneof(
  serverText(),
  longServerText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('Bearer', 'bearer', 'N_A', 'DPoP', '2030-01-01T00:00:00Z', 'a.b.c', '3600', ''),
);
const shapedJson: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 6 }),
  ),
})).node;

const escXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const maybe = (tag: string, text: fc.Arbitrary<string>) =>
  fc.option(
    text.map((t) => `<${tag}>${escXml(t)}</${tag}>`),
    { nil: '' },
  );
const stsXml = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('AssumeRoleWithWebIdentity', 'AssumeRole', 'GetCallerIdentity'),
      maybe('AccessKeyId', serverText()),
      maybe('SecretAccessKey', serverText()),
      maybe('SessionToken', serverText()),
      maybe('Expiration', fc.oneof(serverText(), fc.constant('2030-01-01T00:00:00Z'))),
      maybe('Arn', fc.oneof(longServerText, fc.constant('arn:aws:sts::123456789012:assumed-role/ci/s'))),
      maybe('Account', serverText()),
    )
    .map(
      ([action, id, secret, session, exp, arn, account]) =>
        `<${action}Response><${action}Result><Credentials>${id}${secret}${session}${exp}</Credentials><AssumedRoleUser>${arn}</AssumedRoleUser>${arn}${account}</${action}Result></${action}Response>`,
    ),
  fc
    .tuple(
      maybe('Type', serverText()),
      maybe(
        'Code',
        fc.oneof(longServerText, fc.constantFrom('Throttling', 'AccessDenied', 'InvalidIdentityToken')),
      ),
      maybe('Message', longServerText),
    )
    .map(
      ([type, code, message]) =>
        `<ErrorResponse><Error>${type}${code}${message}</Error><RequestId>r</RequestId></ErrorResponse>`,
    ),
  longServerText.map(
    (t) =>
      `<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found in your account for ${escXml(t.replace(/\s/g, ''))}</Message></Error></ErrorResponse>`,
  ),
);

const body = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  serverText(),
  shapedJson.map((v) => JSON.stringify(v) ?? 'null'),
  stsXml,
);
const status = fc.oneof(
  fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503),
  fc.integer({ min: 100, max: 599 }),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/xml',
  'text/html',
  'text/plain',
  '',
);
const response = fc.record({
  status,
  body,
  contentType,
  wwwAuth: fc.option(serverText(400), { nil: undefined }),
});

interface Answer {
  status: number;
  body: string;
  contentType: string;
  wwwAuth: string | undefined;
}

function toResponse(a: Answer): HttpResponse {
  const headers = new Headers();
  if (a.contentType) headers.set('content-type', a.contentType);
  // Header values are Latin-1 on the wire; LATIN_MARK stands in for MARK there.
  if (a.wwwAuth !== undefined)
    headers.set(
      'www-authenticate',
      `Bearer error="${a.wwwAuth.replaceAll(MARK, LATIN_MARK).replace(/[^\u0020-\u00ff]|["\\]/g, '')}"`,
    );
  return { status: a.status, headers, text: a.body, attempts: 1 };
}

const OPTIONS: Record<string, Array<Record<string, string>>> = {
  aws: [
    { 'role-arn': 'arn:aws:iam::123456789012:role/ci', region: 'eu-west-1' },
    {
      'role-arn': 'arn:aws:iam::123456789012:role/ci',
      region: 'eu-west-1',
      'role-chain': 'arn:aws:iam::210987654321:role/deploy',
      'check-identity': 'true',
    },
  ],
  gcp: [
    {
      'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/pool1/providers/prov1',
    },
    {
      'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/pool1/providers/prov1',
      'service-account': 'sa@proj.iam.gserviceaccount.com',
    },
    {
      'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/pool1/providers/prov1',
      'service-account': 'sa@proj.iam.gserviceaccount.com',
      'token-format': 'id_token',
      'id-token-audience': 'https://run.example',
    },
  ],
  azure: [
    {
      'client-id': 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'tenant-id': '11111111-2222-3333-4444-555555555555',
    },
  ],
  vault: [
    { url: 'https://vault.example.test', role: 'ci' },
    { url: 'https://vault.example.test', role: 'ci', secrets: 'secret/data/ci/app db | DB_PASSWORD' },
  ],
  oauth: [{ 'token-url': 'https://as.example.test/token', audience: 'https://as.example.test' }],
  'octo-sts': [{ scope: 'acme/app', identity: 'deploy' }],
};

function count(text: string | undefined): number {
  let n = 0;
  for (const c of text ?? '') if (c === MARK || c === LATIN_MARK) n++;
  return n;
}

function checkError(e: unknown): void {
  if (!(e instanceof FederateError)) {
    throw new Error(`a ${e instanceof Error ? e.name : typeof e} escaped: ${String(e).slice(0, 200)}`);
  }
  expect(count(e.message), `server text in the ${e.code} message`).toBeLessThanOrEqual(2 * MAX_SERVER_PIECE);
  expect(count(e.hint), `server text in the ${e.code} hint`).toBeLessThanOrEqual(2 * MAX_SERVER_PIECE);
  expect(e.message, `${e.code} message holds a line break`).not.toMatch(/[\r\n]/);
  expect(e.hint ?? '', `${e.code} hint holds a line break`).not.toMatch(/[\r\n]/);
}

describe.each(Object.keys(OPTIONS))('%s handles any answer', (name) => {
  const target = TARGETS[name] as Target<unknown>;
  const variants = OPTIONS[name] ?? [];

  it('returns credentials only for 2xx, otherwise throws a FederateError with bounded, single-line server text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: variants.length - 1 }),
        fc.array(response, { minLength: 1, maxLength: 4 }),
        async (variant, answers) => {
          const options = parseOptions(target, variants[variant] ?? {});
          const base = testContext({ token: PLATFORM_TOKEN });
          let i = 0;
          const statuses: number[] = [];
          const http: HttpClient = {
            async request() {
              const a = answers[Math.min(i++, answers.length - 1)] as Answer;
              statuses.push(a.status);
              return toResponse(a);
            },
          };
          const ctx = { ...base, http, token: async () => PLATFORM_TOKEN };
          let creds: Credentials | undefined;
          try {
            creds = await target.exchange(ctx, options);
          } catch (e) {
            checkError(e);
            return;
          }
          // Every answer the target accepted on the way to credentials was a success.
          expect(statuses.length).toBeGreaterThan(0);
          for (const s of statuses) expect(s >= 200 && s < 300, `credentials from HTTP ${s}`).toBe(true);
          expect(creds.target).toBe(name);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** errorEverything is one JSON error body carrying every vendor's error fields at once, all hostile. */
const errorEverything = fc
  .record({
    error: longServerText,
    error_description: longServerText,
    error_codes: fc.array(fc.integer(), { maxLength: 2 }),
    trace_id: longServerText,
    correlation_id: longServerText,
    errors: fc.array(longServerText, { minLength: 1, maxLength: 3 }),
    code: fc.oneof(fc.integer({ min: 0, max: 20 }), longServerText),
    message: longServerText,
    status: longServerText,
  })
  .map((v) => JSON.stringify(v));
const googleApiError = fc
  .record({ code: fc.integer(), message: longServerText, status: longServerText, reason: longServerText })
  .map(({ reason, ...e }) => JSON.stringify({ error: { ...e, details: [{ reason }] } }));
const stsErrorXml = fc
  .tuple(longServerText, longServerText)
  .map(
    ([code, message]) =>
      `<ErrorResponse><Error><Type>Sender</Type><Code>${escXml(code)}</Code><Message>${escXml(message)}</Message></Error></ErrorResponse>`,
  );
const failing = fc.integer({ min: 400, max: 599 });
const FIRST_STEP_OK: Record<string, Answer> = {
  gcp: {
    status: 200,
    body: '{"access_token":"federated-access-token","token_type":"Bearer","expires_in":3600}',
    contentType: 'application/json',
    wwwAuth: undefined,
  },
};

describe.each(Object.keys(OPTIONS))("%s error answers in the server's own shape", (name) => {
  const target = TARGETS[name] as Target<unknown>;
  const variants = OPTIONS[name] ?? [];

  it('keep server text clipped and on one line in the message and hint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: variants.length - 1 }),
        failing,
        fc.oneof(errorEverything, googleApiError, stsErrorXml),
        async (variant, status, text) => {
          const options = parseOptions(target, variants[variant] ?? {});
          const answers: Answer[] = [
            ...(variant > 0 && FIRST_STEP_OK[name] ? [FIRST_STEP_OK[name]] : []),
            {
              status,
              body: text,
              contentType: text.startsWith('<') ? 'text/xml' : 'application/json',
              wwwAuth: undefined,
            },
          ];
          let i = 0;
          const http: HttpClient = {
            request: async () => toResponse(answers[Math.min(i++, answers.length - 1)] as Answer),
          };
          const ctx = { ...testContext({ token: PLATFORM_TOKEN }), http, token: async () => PLATFORM_TOKEN };
          let error: unknown;
          try {
            await target.exchange(ctx, options);
          } catch (e) {
            error = e;
          }
          expect(error, `HTTP ${status} produced credentials`).toBeDefined();
          checkError(error);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('error body readers', () => {
  it('never throw, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          shapedJson.map((v) => JSON.stringify(v) ?? ''),
        ),
        (text) => {
          const res: HttpResponse = { status: 400, headers: new Headers(), text, attempts: 1 };
          parseStsError(text);
          parseGoogleApiError(text);
          parseOAuthError(res);
          vaultMessages(res);
          parseErrorBody(res);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the AWS XML reader', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 500 }),
          stsXml,
          fc.string({
            unit: fc.constantFrom('<', '>', '/', 'a', '!', '?', '-', '[', ']', '&', '#', ';', '"', 'x'),
            maxLength: 200,
          }),
        ),
        (text) => {
          parseXml(text);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses any document with a DOCTYPE or declaration, so no entity is ever expanded', () => {
    fc.assert(
      fc.property(stsXml, fc.nat(), (doc, at) => {
        const cut = at % (doc.length + 1);
        const withDoctype = `${doc.slice(0, cut)}<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${doc.slice(cut)}`;
        expect(parseXml(withDoctype)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses deep nesting without exhausting the stack', () => {
    fc.assert(
      fc.property(fc.integer({ min: 33, max: 50_000 }), (depth) => {
        expect(parseXml(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`)).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  const name = fc.stringMatching(/^[A-Za-z_][\w.-]{0,8}$/);
  const text = fc
    .string({ unit: 'grapheme', maxLength: 30 })
    .filter((t) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/.test(t));
  const tree = fc.letrec<{ el: XmlElement }>((tie) => ({
    el: fc.record({
      name,
      text,
      children: fc.oneof(
        { depthSize: 'small' },
        fc.constant<XmlElement[]>([]),
        fc.array(tie('el') as fc.Arbitrary<XmlElement>, { maxLength: 3 }),
      ),
    }),
  })).el;
  const write = (el: XmlElement): string =>
    `<${el.name}>${escXml(el.text).replace(/"/g, '&quot;')}${el.children.map(write).join('')}</${el.name}>`;
  const shape = (el: XmlElement): unknown => ({
    name: el.name,
    text: el.text,
    children: el.children.map(shape),
  });

  it('reads back names and text of any escaped document', () => {
    fc.assert(
      fc.property(tree, (el) => {
        const parsed = parseXml(`<?xml version="1.0"?>\n${write(el)}\n`);
        expect(parsed && shape(parsed)).toEqual(shape(el));
      }),
      { numRuns: 300 },
    );
  });
});
