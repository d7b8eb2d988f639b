/**
 * response.ts: pure readers of one `sft workload authenticate` run. The OPA documentation says the
 * token goes to stdout (`OPA_TOKEN=$(sft workload authenticate …)`) and names the failures a workload
 * meets, but not the client's exact messages or exit codes. So, assumptions (each mirrored by the
 * testkit's stand-in sft, packages/testkit/src/fakes/sft.ts):
 *
 * - exit 0 and one token on stdout is success; anything else on stdout is a bad answer.
 * - a non-zero exit is failure, explained on stderr. stderr is matched loosely, by the words the
 *   documentation uses (seed 001 "Draft status", seed 000 "MFA, Access Requests, or project-level
 *   resource checkouts … automatically canceled"), never by exact sentences.
 * - a Draft connection "allows for JWT validation testing but won't issue functional access tokens"
 *   (seed 001): whether sft then exits non-zero or prints an unusable token is not documented, so a
 *   Draft mention on stderr is an error either way.
 * - exit 127 is the composition root's "could not start the program" (ENOENT, or killed at timeout).
 *
 * stdout is the token channel: it never reaches a message. stderr is scrubbed of anything shaped like
 * a JWT before it does, and the core redacts every registered secret again at the top.
 */
import { ExchangeError, type ErrorCode } from '@federate/core';
import { clip, optional } from '../shared/response.js';

/** TARGET is the target name errors carry. */
export const TARGET = 'okta-pa';

/** SftResult is what the injected exec function returns. */
export interface SftResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** SftCall is what was asked, for messages and hints. */
export interface SftCall {
  readonly team: string;
  readonly connection: string;
  readonly roleHint: string | undefined;
  readonly sftPath: string;
  /** timedOut is true when the run took at least its timeout (exec reports that as exit 127). */
  readonly timedOut?: boolean;
}

/** SftFailureKind names each failure the target tells apart; it becomes the error's `serverCode`. */
export type SftFailureKind =
  | 'ConnectionDraft'
  | 'InteractiveConstraint'
  | 'ConnectionNotFound'
  | 'ConnectionInactive'
  | 'TeamNotFound'
  | 'RoleNotMatched'
  | 'InvalidJwt'
  | 'UnsupportedClient'
  | 'Throttled'
  | 'Network'
  | 'ServerError';

interface Rule {
  readonly kind: SftFailureKind;
  readonly code: ErrorCode;
  readonly test: RegExp;
  readonly hint: (call: SftCall) => string;
}

/** RULES classify stderr, first match wins: Draft and interactive constraints mention JWTs and roles too. */
const RULES: readonly Rule[] = [
  {
    kind: 'ConnectionDraft',
    code: 'ERR_EXCHANGE_POLICY',
    test: /\bdraft\b/i,
    hint: (c) =>
      `workload connection ${c.connection} is in Draft status: Draft connections validate JWTs but issue no usable token and match no workload role; a security admin must promote it to Active`,
  },
  {
    kind: 'InteractiveConstraint',
    code: 'ERR_EXCHANGE_POLICY',
    test: /\bmfa\b|multi-?factor|access.?request|interactive|check-?out|\bcancel+ed\b/i,
    hint: () =>
      'a policy for this workload role requires MFA, an access request or a resource checkout; Okta Privileged Access cancels such requests for workloads, so bind the workload role to a policy without interactive constraints',
  },
  {
    kind: 'ConnectionInactive',
    code: 'ERR_EXCHANGE_REJECTED',
    test: /connection\b.*\b(inactive|disabled|deactivated|not active)\b/i,
    hint: (c) =>
      `workload connection ${c.connection} is inactive, so it issues no new tokens; ask a security admin to activate it`,
  },
  {
    kind: 'ConnectionNotFound',
    code: 'ERR_EXCHANGE_REJECTED',
    test: /connection\b.*\b(not found|does not exist|doesn't exist|unknown|no such)\b|(unknown|no such) (workload )?connection/i,
    hint: (c) => `check connection: no workload connection named ${c.connection} in team ${c.team}`,
  },
  {
    kind: 'TeamNotFound',
    code: 'ERR_EXCHANGE_REJECTED',
    test: /team\b.*\b(not found|does not exist|doesn't exist|unknown)\b|(unknown|no such|invalid) team/i,
    hint: (c) =>
      `check team (${c.team}), and address (OPA_ADDR) when the team is not on the default Okta Privileged Access host`,
  },
  {
    kind: 'RoleNotMatched',
    code: 'ERR_EXCHANGE_REJECTED',
    test: /\brole\b.*\b(not found|no match|does not match|did not match|unknown|not (permitted|allowed))\b|no (matching )?workload role/i,
    hint: () =>
      "no workload role matches this workload: check role-hint and the role's attribute-matching blocks against the claims below",
  },
  {
    kind: 'InvalidJwt',
    code: 'ERR_EXCHANGE_REJECTED',
    test: /\b(jwt|id token|identity (token|document))\b|\bclaims?\b|\baudience\b|\bissuer\b|\bsignature\b|\bjwks\b/i,
    hint: () =>
      'the workload connection did not accept the platform token: compare its JWKS URL and required claims (Equals / Starts with / Exists) with the claims below, and set audience to the audience the connection requires',
  },
  {
    kind: 'UnsupportedClient',
    code: 'ERR_EXCHANGE_FAILED',
    test: /unknown (command|flag|shorthand flag)|flag provided but not defined|unrecognized (command|option|argument)|no such (command|option)/i,
    hint: () =>
      'this sft does not support workload authentication; install a current Okta Privileged Access client',
  },
  {
    kind: 'Throttled',
    code: 'ERR_EXCHANGE_THROTTLED',
    test: /rate.?limit|too many requests|\b429\b/i,
    hint: () => 'Okta Privileged Access is throttling this team; retry later or spread the jobs out',
  },
  {
    kind: 'Network',
    code: 'ERR_HTTP_NETWORK',
    test: /timed? ?out|timeout|connection refused|no such host|dial tcp|could not connect|unreachable|tls handshake|x509/i,
    hint: () =>
      'sft could not reach Okta Privileged Access: check address (OPA_ADDR), DNS and any HTTPS_PROXY / NO_PROXY settings',
  },
  {
    kind: 'ServerError',
    code: 'ERR_EXCHANGE_SERVER',
    test: /\b50[0-9]\b|internal server error|service unavailable|bad gateway/i,
    hint: () => 'Okta Privileged Access failed; retry later',
  },
];

const JWT_SHAPE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** scrubStderr keeps the useful end of sft's stderr, without anything shaped like a token. */
export function scrubStderr(stderr: string): string {
  const lines = stderr
    .replace(JWT_SHAPE, '[token]')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return clip(lines.slice(-3).join(' | '));
}

/** classifyStderr names the documented failure stderr describes, or undefined. */
export function classifyStderr(stderr: string): SftFailureKind | undefined {
  return RULES.find((r) => r.test.test(stderr))?.kind;
}

function describeCall(call: SftCall): string {
  return `sft workload authenticate for team ${call.team}, connection ${call.connection}${call.roleHint ? `, role ${call.roleHint}` : ''}`;
}

/** sftFailure turns a failed (or Draft) run into an ExchangeError with a hint. */
export function sftFailure(result: SftResult, call: SftCall): ExchangeError {
  if (result.code === 127 && call.timedOut)
    return new ExchangeError('ERR_HTTP_TIMEOUT', TARGET, `${describeCall(call)} did not finish in time`, {
      serverCode: 'Timeout',
      hint: 'sft did not answer within sft-timeout: check network access to Okta Privileged Access or raise sft-timeout',
    });
  const detail = scrubStderr(result.stderr);
  const rule = RULES.find((r) => r.test.test(result.stderr));
  if (result.code === 127 && rule === undefined)
    return new ExchangeError(
      'ERR_EXCHANGE_FAILED',
      TARGET,
      `could not run ${call.sftPath}${detail ? `: ${detail}` : ''}`,
      {
        serverCode: 'SftNotFound',
        hint: 'install the Okta Privileged Access client (sft) on the runner, or set sft-path to it',
      },
    );
  const exit = result.code === 0 ? 'exit 0' : `exit ${result.code}`;
  return new ExchangeError(
    rule?.code ?? 'ERR_EXCHANGE_FAILED',
    TARGET,
    `${describeCall(call)} failed (${exit})${detail ? `: ${detail}` : ''}`,
    {
      ...optional('serverCode', rule?.kind),
      hint:
        rule?.hint(call) ??
        "sft's message says what failed; run the same command by hand with the same team and connection to see more",
    },
  );
}

/**
 * parseSftResult reads the OPA token from a run, or throws. `register` is called with stdout before
 * anything is checked, so even a malformed answer is a registered secret before any message exists.
 */
export function parseSftResult(result: SftResult, call: SftCall, register: (secret: string) => void): string {
  const out = result.stdout.trim();
  if (out.length > 0) register(out);
  if (result.code !== 0) throw sftFailure(result, call);
  // Draft connections validate the JWT but issue nothing usable (seed 001), even if sft exits 0.
  if (classifyStderr(result.stderr) === 'ConnectionDraft') throw sftFailure(result, call);
  if (out === '')
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${describeCall(call)} exited 0 but printed no token`,
      { hint: 'check that sft-path points at the Okta Privileged Access client' },
    );
  if (/\s/.test(out))
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `${describeCall(call)} printed more than one word on stdout, where only the token is expected`,
      {
        hint: 'check that sft-path points at the Okta Privileged Access client and that no wrapper script prints to stdout',
      },
    );
  return out;
}
