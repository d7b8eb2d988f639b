import { awsClaimValue, awsProviderKey, awsTestableClaims, type Claims, detectPlatform } from '../claims.js';
import { TrustError } from '../errors.js';
import { globMatch } from '../glob.js';

/** AwsStatementResult explains one statement: did it apply to this token, and why (or why not). */
export interface AwsStatementResult {
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  matched: boolean;
  reasons: string[];
}

/** AwsEvaluation is the verdict of a role trust policy for a token, with per-statement reasons. */
export interface AwsEvaluation {
  decision: 'allow' | 'deny' | 'implicit-deny';
  providerKey: string;
  statements: AwsStatementResult[];
}

/** AwsEvaluateOptions tune `evaluateAwsTrustPolicy`. */
export interface AwsEvaluateOptions {
  /** accountId, when given, must be the account in the Federated provider ARN. */
  accountId?: string;
  /** action defaults to `sts:AssumeRoleWithWebIdentity`. */
  action?: string;
  /** context supplies non-token request keys (e.g. `aws:SourceIp`), matched case-insensitively. */
  context?: Record<string, string | string[]>;
}

const STRING_OPS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'Null',
  'Bool',
]);

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function show(values: readonly unknown[]): string {
  return `[${values.map((v) => String(v)).join(', ')}]`;
}

// AWS compares condition values as strings; booleans and numbers in a token become their text.
function contextStrings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v !== null && typeof v !== 'object').map((v) => String(v));
}

// Policy variables usable inside *Like values: ${*}, ${?}, ${$} stand for the literal characters.
function likePattern(p: string): string {
  return p.replace(/\$\{([*?$])\}/g, (_m, c: string) => (c === '$' ? '$' : `\u0000${c}`));
}
function likeMatch(pattern: string, value: string): boolean {
  const p = likePattern(pattern);
  if (!p.includes('\u0000')) return globMatch(p, value);
  // Literal * or ? from a policy variable: split on them and glob the pieces.
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\u0000') re += `\\${p[++i]}`;
    else if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else re += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u').test(value);
}

function baseMatch(op: string, policyValue: string, v: string): boolean {
  switch (op) {
    case 'StringEquals':
    case 'StringNotEquals':
      return policyValue === v;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return policyValue.toLowerCase() === v.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return likeMatch(policyValue, v);
    case 'Bool':
      return policyValue.toLowerCase() === v.toLowerCase();
    default:
      return false;
  }
}

interface ParsedOp {
  raw: string;
  set: 'ForAnyValue' | 'ForAllValues' | undefined;
  base: string;
  ifExists: boolean;
  negated: boolean;
}

function parseOperator(raw: string): ParsedOp {
  let rest = raw;
  let set: ParsedOp['set'];
  const m = /^(ForAnyValue|ForAllValues):(.*)$/i.exec(rest);
  if (m) {
    set = m[1]!.toLowerCase() === 'foranyvalue' ? 'ForAnyValue' : 'ForAllValues';
    rest = m[2]!;
  }
  let ifExists = false;
  if (/IfExists$/.test(rest) && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  return { raw, set, base: rest, ifExists, negated: /Not/.test(rest) && rest !== 'Null' };
}

/** One condition key test; returns [matched, explanation]. */
function testCondition(
  op: ParsedOp,
  key: string,
  policyValues: string[],
  ctx: string[] | undefined,
  note: string,
): [boolean, string] {
  const tokenText =
    ctx === undefined ? `token has no value${note}` : `token has ${ctx.length === 1 ? ctx[0] : show(ctx)}`;
  const head = `${op.raw} ${key} expected ${op.negated ? 'none of' : 'one of'} ${show(policyValues)}, ${tokenText}`;
  if (op.base === 'Null') {
    const wantAbsent = policyValues.some((p) => p.toLowerCase() === 'true');
    const absent = ctx === undefined || ctx.length === 0;
    const ok = wantAbsent === absent;
    return [
      ok,
      `Null ${key} = ${wantAbsent}: key is ${absent ? 'absent' : 'present'}${note} → ${ok ? 'match' : 'no match'}`,
    ];
  }
  if (ctx === undefined || ctx.length === 0) {
    // Missing keys: positive operators fail, negated ones pass, IfExists passes, ForAllValues passes
    // (vacuous truth), ForAnyValue fails. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    let ok: boolean;
    if (op.ifExists) ok = true;
    else if (op.set === 'ForAllValues') ok = true;
    else if (op.set === 'ForAnyValue') ok = false;
    else ok = op.negated;
    const why = op.ifExists
      ? ' (IfExists: absent key passes)'
      : op.set === 'ForAllValues'
        ? ' (ForAllValues: absent key passes vacuously)'
        : '';
    return [ok, `${head}${why} → ${ok ? 'match' : 'no match'}`];
  }
  const one = (v: string): boolean => {
    const any = policyValues.some((p) => baseMatch(op.base, p, v));
    return op.negated ? !any : any;
  };
  let ok: boolean;
  if (op.set === 'ForAllValues') ok = ctx.every(one);
  else if (op.set === 'ForAnyValue') ok = ctx.some(one);
  // A plain negated operator on a multi-valued key requires that no value matches.
  else ok = op.negated ? ctx.every(one) : ctx.some(one);
  const multi =
    op.set === undefined && ctx.length > 1 ? ' (multi-valued key without ForAnyValue/ForAllValues)' : '';
  return [ok, `${head}${multi} → ${ok ? 'match' : 'no match'}`];
}

function actionMatches(patterns: unknown[], action: string): boolean {
  return patterns.some((p) => typeof p === 'string' && globMatch(p, action, { ignoreCase: true }));
}

/**
 * evaluateAwsTrustPolicy evaluates an IAM role trust policy for AssumeRoleWithWebIdentity with a token's
 * claims, offline, and explains the verdict statement by statement. An explicit Deny wins over any
 * Allow; no matching Allow is an implicit deny. Condition keys are matched case-insensitively,
 * values case-sensitively except the *IgnoreCase operators; claims AWS does not expose are absent.
 */
export function evaluateAwsTrustPolicy(
  policy: unknown,
  claims: Claims,
  options: AwsEvaluateOptions = {},
): AwsEvaluation {
  let doc = policy;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch (cause) {
      throw new TrustError('ERR_TRUST_POLICY_INVALID', 'the trust policy is not JSON', { cause });
    }
  }
  if (doc === null || typeof doc !== 'object' || !('Statement' in doc)) {
    throw new TrustError('ERR_TRUST_POLICY_INVALID', 'the trust policy has no Statement');
  }
  const statements = asList((doc as { Statement: unknown }).Statement);
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : '';
  const providerKey = awsProviderKey(iss);
  const testable = awsTestableClaims(iss, detectPlatform(claims));
  const action = options.action ?? 'sts:AssumeRoleWithWebIdentity';
  const context = new Map(Object.entries(options.context ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

  const lookup = (key: string): { values: string[] | undefined; note: string } => {
    const lower = key.toLowerCase();
    const prefix = `${providerKey.toLowerCase()}:`;
    if (lower.startsWith(prefix)) {
      // Condition key names are case-insensitive; map back to the claim's own spelling.
      const claim =
        testable.find((c) => c.toLowerCase() === key.slice(prefix.length).toLowerCase()) ??
        key.slice(prefix.length);
      if (!testable.includes(claim)) {
        return { values: undefined, note: ` (AWS exposes no "${claim}" key for ${providerKey})` };
      }
      return { values: contextStrings(awsClaimValue(claims, claim, iss)), note: '' };
    }
    if (context.has(lower)) return { values: contextStrings(context.get(lower)), note: '' };
    if (/^[^:]+\.[^:]+:/.test(key))
      return { values: undefined, note: ` (key is for another provider than ${providerKey})` };
    return { values: undefined, note: ' (not in the request context given)' };
  };

  const results: AwsStatementResult[] = statements.map((raw, index) => {
    const st = (raw ?? {}) as Record<string, unknown>;
    const sid = typeof st['Sid'] === 'string' && st['Sid'] !== '' ? st['Sid'] : undefined;
    const effect = st['Effect'] === 'Deny' ? 'Deny' : 'Allow';
    const label = `Statement ${index}${sid ? ` (sid ${sid})` : ''}`;
    const reasons: string[] = [];
    let matched = true;
    const no = (why: string): void => {
      matched = false;
      reasons.push(`${label}: ${why}`);
    };
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny')
      no(`Effect ${JSON.stringify(st['Effect'])} is neither Allow nor Deny`);

    // Principal
    if ('NotPrincipal' in st) no('NotPrincipal is not supported in role trust policies');
    const principal = st['Principal'];
    if (principal === '*') reasons.push(`${label}: Principal "*" trusts every principal`);
    else {
      const fed =
        principal !== null && typeof principal === 'object'
          ? (principal as Record<string, unknown>)['Federated']
          : undefined;
      const feds = fed === undefined ? [] : asList(fed).map(String);
      const want =
        providerKey === 'accounts.google.com'
          ? /^accounts\.google\.com$/
          : /^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider\/(.+)$/;
      const hit = feds.find((f) => {
        const m = want.exec(f);
        if (!m) return false;
        if (m[2] !== undefined && m[2] !== providerKey) return false;
        return options.accountId === undefined || m[1] === undefined || m[1] === options.accountId;
      });
      if (hit) reasons.push(`${label}: Principal.Federated ${hit} is the token's provider → match`);
      else
        no(
          `Principal.Federated ${show(feds)} does not name the token's provider ${providerKey}${options.accountId ? ` in account ${options.accountId}` : ''} → no match`,
        );
    }

    // Action
    if ('NotAction' in st) {
      if (actionMatches(asList(st['NotAction']), action)) no(`NotAction excludes ${action} → no match`);
      else reasons.push(`${label}: NotAction does not exclude ${action} → match`);
    } else if (actionMatches(asList(st['Action']), action))
      reasons.push(`${label}: Action covers ${action} → match`);
    else no(`Action ${show(asList(st['Action']))} does not cover ${action} → no match`);

    // Conditions: AND across operators and keys, OR across the values of one key.
    const cond = st['Condition'];
    if (cond !== undefined && (cond === null || typeof cond !== 'object')) no('Condition is not an object');
    else if (cond) {
      for (const [rawOp, block] of Object.entries(cond as Record<string, unknown>)) {
        const op = parseOperator(rawOp);
        if (!STRING_OPS.has(op.base)) {
          no(`operator ${rawOp} is not evaluated offline → treated as no match`);
          continue;
        }
        if (block === null || typeof block !== 'object') {
          no(`${rawOp} block is not an object → no match`);
          continue;
        }
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          const policyValues = asList(value).map(String);
          const { values, note } = lookup(key);
          const [ok, line] = testCondition(op, key, policyValues, values, note);
          if (ok) reasons.push(`${label}: ${line}`);
          else no(line);
        }
      }
    } else if (effect === 'Allow') {
      reasons.push(`${label}: no Condition: any token from this provider is trusted (dangerous)`);
    }
    return { index, sid, effect, matched, reasons };
  });

  const deny = results.find((r) => r.matched && r.effect === 'Deny');
  const allow = results.find((r) => r.matched && r.effect === 'Allow');
  return { decision: deny ? 'deny' : allow ? 'allow' : 'implicit-deny', providerKey, statements: results };
}
