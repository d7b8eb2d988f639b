/**
 * doctor.ts: `federate doctor`: answer "why was my token rejected?" before and after a failure.
 * Shows the token's claims (never the token) with each cloud's condition-key spelling, verifies it
 * like the server will, and evaluates a trust policy offline, line by line.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, FederateError, InputReader, SecretRegistry } from '@federate/core';
import type { DoctorReport } from '@federate/trust';
import type { ParsedArgs } from '../args.js';
import { EXIT_DOCTOR, EXIT_OK } from '../exit-codes.js';
import { createPlatform } from '../platform.js';
import { httpFor, makeDeps, type Io } from '../runtime.js';

type PolicyKind = 'aws' | 'gcp' | 'vault';

/** policyKind guesses what a trust policy document is from its shape. */
export function policyKind(doc: unknown): PolicyKind | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const o = doc as Record<string, unknown>;
  if ('Statement' in o || 'Version' in o) return 'aws';
  if ('attributeMapping' in o || 'attributeCondition' in o || 'attribute_mapping' in o) return 'gcp';
  if ('bound_audiences' in o || 'bound_claims' in o || 'user_claim' in o || 'bound_subject' in o)
    return 'vault';
  return undefined;
}

function readPolicy(path: string, kindInput: string | undefined): { kind: PolicyKind; doc: unknown } {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_JSON',
        input: 'trust-policy',
        message: 'must be a readable JSON file',
        hint: 'export the policy as JSON (aws iam get-role, gcloud … describe --format=json, vault read -format=json)',
      },
    ]);
  }
  // `vault read -format=json` wraps the role in { data: … }; accept it as printed.
  if (
    doc &&
    typeof doc === 'object' &&
    'data' in doc &&
    policyKind((doc as { data: unknown }).data) === 'vault'
  )
    doc = (doc as { data: unknown }).data;
  const kind = (kindInput as PolicyKind | undefined) ?? policyKind(doc);
  if (!kind || !['aws', 'gcp', 'vault'].includes(kind))
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_ENUM',
        input: 'policy-type',
        message: 'cannot tell what kind of policy this is; say aws, gcp or vault',
      },
    ]);
  return { kind, doc };
}

type TrustErrorClass = typeof import('@federate/trust').TrustError;

/**
 * asConfig runs one step whose TrustError is the user's input at fault (a policy that does not parse,
 * an expectation without `=`) and reports it against that option, so the CLI exits 2 with a hint.
 */
function asConfig<T>(TrustError: TrustErrorClass, input: string, hint: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof TrustError)) throw error;
    throw new ConfigError(
      [{ code: 'ERR_CONFIG_INVALID', input, message: `${error.message} [${error.code}]`, hint }],
      { cause: error },
    );
  }
}

/** runDoctor is `federate doctor`. */
export async function runDoctor(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  // Imported here, not at the top: the CLI's entry must not load the library at every start.
  const {
    checkExpectations,
    checksFailed,
    doctorReport,
    evaluateAwsTrustPolicy,
    evaluateGcpProvider,
    evaluateVaultRole,
    httpFetchLike,
    parseExpectations,
    renderJson,
    renderText,
    TrustError,
  } = await import('@federate/trust');
  const inputs = args.inputs;
  const reader = new InputReader(inputs);
  const showClaims = reader.boolean('show-claims', false);
  const json = reader.boolean('json', false);
  if (reader.issues.length) throw new ConfigError(reader.issues);
  const expectText = inputs['expect'];
  // Parsed before any token is fetched: a malformed expectation is a usage error, not a verdict.
  const expectations = expectText
    ? asConfig(
        TrustError,
        'expect',
        "write each as claim=glob, comma-separated: 'sub=repo:acme/*,ref=refs/heads/main'",
        () =>
          parseExpectations(
            expectText
              .split(/[,\n]/)
              .map((s) => s.trim())
              .filter(Boolean),
          ),
      )
    : undefined;
  const deps = makeDeps(io, secrets, 'cli', inputs['platform'] ?? 'auto');
  const policy = inputs['trust-policy']
    ? readPolicy(inputs['trust-policy'], inputs['policy-type'])
    : undefined;
  const audience = inputs['audience'] ?? '';
  const platform = createPlatform(io, deps, secrets, inputs);
  const token = secrets.add(await platform.tokenSource.idToken(audience || (platform.defaultAudience ?? '')));
  const now = () => deps.now();
  let report: DoctorReport;
  try {
    // Discovery and JWKS go through the same HTTP helper as exchanges (https only, timeouts, retries).
    report = await doctorReport(token, {
      now,
      ...(inputs['verify'] !== 'false' ? { fetch: httpFetchLike(httpFor(deps)) } : {}),
      ...(audience ? { expectedAudience: audience } : {}),
      ...(inputs['issuer'] ? { expectedIssuer: inputs['issuer'] } : {}),
    });
  } catch (error) {
    if (!(error instanceof TrustError)) throw error;
    throw new FederateError('ERR_TOKEN_MALFORMED', `the platform token cannot be read: ${error.message}`, {
      cause: error,
      hint: 'with --token-file, the file must hold one compact JWT (header.payload.signature) and nothing else',
    });
  }
  const claims = report.inspection?.claims ?? {};
  const policyHint = `check the ${policy?.kind ?? ''} policy file; --policy-type says which kind it is`;
  if (policy?.kind === 'aws')
    report.aws = asConfig(TrustError, 'trust-policy', policyHint, () =>
      evaluateAwsTrustPolicy(
        policy.doc,
        claims,
        inputs['account-id'] ? { accountId: inputs['account-id'] } : {},
      ),
    );
  if (policy?.kind === 'gcp')
    report.gcp = asConfig(TrustError, 'trust-policy', policyHint, () =>
      evaluateGcpProvider(policy.doc as Parameters<typeof evaluateGcpProvider>[0], claims),
    );
  if (policy?.kind === 'vault')
    report.vault = asConfig(TrustError, 'trust-policy', policyHint, () =>
      evaluateVaultRole(policy.doc as Parameters<typeof evaluateVaultRole>[0], claims),
    );
  if (expectations)
    report.expectations = asConfig(TrustError, 'expect', 'each pattern is a glob over the claim value', () =>
      checkExpectations(claims, expectations),
    );

  const color =
    !io.env['NO_COLOR'] && (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(1);
  // The report never contains the token; redact anyway in case a claim echoes a secret.
  io.stdout(
    secrets.redact(
      json ? `${renderJson(report, { showClaims })}\n` : `${renderText(report, { color, showClaims })}\n`,
    ),
  );
  const failed =
    checksFailed(report) ||
    (report.aws && report.aws.decision !== 'allow') ||
    (report.gcp && report.gcp.decision !== 'allow') ||
    (report.vault && report.vault.decision !== 'allow') ||
    (report.expectations && report.expectations.decision !== 'allow');
  return failed ? EXIT_DOCTOR : EXIT_OK;
}
