import { audienceList, type Claims } from '../claims.js';
import { TrustError } from '../errors.js';
import { CelEvalError, type CelNode, type CelValue, celSource, evalCel, parseCel } from './cel.js';

/** GcpProviderConfig is the part of a workload identity pool provider that decides who gets in. */
export interface GcpProviderConfig {
  /** attributeMapping maps `google.subject`, `google.groups`, `attribute.<name>` to CEL over `assertion`. */
  attributeMapping: Record<string, string>;
  attributeCondition?: string;
  /** issuerUri, when given, must equal the token's iss (a trailing slash is ignored). */
  issuerUri?: string;
  /** allowedAudiences; empty means GCP's default, `https://iam.googleapis.com/<providerName>`. */
  allowedAudiences?: string[];
  /** providerName is `projects/<n>/locations/global/workloadIdentityPools/<pool>/providers/<id>`. */
  providerName?: string;
}

/** GcpCheck is one explained step of the provider evaluation. */
export interface GcpCheck {
  name: 'issuer' | 'audience' | 'mapping' | 'google.subject' | 'condition';
  ok: boolean;
  detail: string;
}

/** GcpEvaluation is the verdict of a provider for a token. */
export interface GcpEvaluation {
  decision: 'allow' | 'deny';
  attributes: Record<string, CelValue>;
  condition: { result: true | false | 'error' | 'absent'; decidedBy?: string; error?: string };
  checks: GcpCheck[];
}

/** GOOGLE_SUBJECT_MAX_BYTES is GCP's limit on the mapped google.subject. */
export const GOOGLE_SUBJECT_MAX_BYTES = 127;

const MAPPING_KEY =
  /^(google\.subject|google\.groups|google\.display_name|google\.profile_photo|attribute\.[a-z0-9_]{1,100})$/;

function toCel(value: unknown): CelValue {
  if (value === undefined) return null;
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
    return value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return String(value);
}

function parseOrThrow(src: string, where: string): CelNode {
  try {
    return parseCel(src);
  } catch (e) {
    if (e instanceof TrustError) throw new TrustError(e.code, `${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * evaluateGcpProvider runs a workload identity provider's attribute mapping and condition over a token's
 * claims, offline: issuer, allowed audiences, every mapping, GCP's google.subject rules (required,
 * ≤ 127 bytes) and the attribute condition, naming the sub-expression that decided it.
 * Parse errors in the configuration throw TrustError ERR_TRUST_CEL_PARSE.
 */
export function evaluateGcpProvider(config: GcpProviderConfig, claims: Claims): GcpEvaluation {
  const checks: GcpCheck[] = [];
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : '';
  if (config.issuerUri !== undefined) {
    const strip = (s: string): string => s.replace(/\/+$/, '');
    const ok = strip(config.issuerUri) === strip(iss);
    checks.push({
      name: 'issuer',
      ok,
      detail: `issuer-uri ${config.issuerUri}, token iss ${iss || '(none)'} → ${ok ? 'match' : 'no match'}`,
    });
  }
  const aud = audienceList(claims['aud']);
  const allowed = config.allowedAudiences?.length
    ? config.allowedAudiences
    : config.providerName
      ? [`https://iam.googleapis.com/${config.providerName}`, `//iam.googleapis.com/${config.providerName}`]
      : undefined;
  if (allowed) {
    const ok = aud.some((a) => allowed.includes(a));
    checks.push({
      name: 'audience',
      ok,
      detail: `allowed audiences [${allowed.join(', ')}]${config.allowedAudiences?.length ? '' : ' (default)'}, token aud [${aud.join(', ')}] → ${ok ? 'match' : 'no match'}`,
    });
  }

  const assertion = toCel(claims);
  const attributes: Record<string, CelValue> = {};
  const attrVars: Record<string, CelValue> = {};
  const google: Record<string, CelValue> = {};
  for (const [key, expr] of Object.entries(config.attributeMapping)) {
    if (!MAPPING_KEY.test(key)) {
      checks.push({
        name: 'mapping',
        ok: false,
        detail: `${key}: not a valid target (google.subject, google.groups or attribute.[a-z0-9_]+)`,
      });
      continue;
    }
    const node = parseOrThrow(expr, `attribute mapping ${key}`);
    try {
      const { value } = evalCel(node, { assertion });
      attributes[key] = value;
      if (key.startsWith('attribute.')) attrVars[key.slice('attribute.'.length)] = value;
      else google[key.slice('google.'.length)] = value;
      checks.push({ name: 'mapping', ok: true, detail: `${key} = ${expr} → ${JSON.stringify(value)}` });
    } catch (e) {
      if (!(e instanceof CelEvalError)) throw e;
      checks.push({
        name: 'mapping',
        ok: false,
        detail: `${key} = ${expr} → error at ${celSource(expr, e.node)}: ${e.message}`,
      });
    }
  }

  const subject = attributes['google.subject'];
  if (!('google.subject' in config.attributeMapping)) {
    checks.push({
      name: 'google.subject',
      ok: false,
      detail: 'google.subject is not mapped; GCP requires it',
    });
  } else if (typeof subject !== 'string' || subject === '') {
    checks.push({
      name: 'google.subject',
      ok: false,
      detail: `google.subject must map to a non-empty string, got ${JSON.stringify(subject ?? null)}`,
    });
  } else {
    const bytes = new TextEncoder().encode(subject).length;
    const ok = bytes <= GOOGLE_SUBJECT_MAX_BYTES;
    checks.push({
      name: 'google.subject',
      ok,
      detail: `google.subject is ${bytes} bytes (limit ${GOOGLE_SUBJECT_MAX_BYTES})${ok ? '' : ': GCP rejects the token; map a shorter claim'}`,
    });
  }

  let condition: GcpEvaluation['condition'] = { result: 'absent' };
  if (config.attributeCondition !== undefined && config.attributeCondition.trim() !== '') {
    const src = config.attributeCondition;
    const node = parseOrThrow(src, 'attribute condition');
    try {
      const r = evalCel(node, { assertion, attribute: attrVars, google });
      if (typeof r.value !== 'boolean') {
        condition = {
          result: 'error',
          error: `the condition evaluated to ${JSON.stringify(r.value)}, not a bool`,
        };
      } else condition = { result: r.value, decidedBy: celSource(src, r.decidedBy) };
    } catch (e) {
      if (!(e instanceof CelEvalError)) throw e;
      condition = { result: 'error', decidedBy: celSource(src, e.node), error: e.message };
    }
    const ok = condition.result === true;
    const detail =
      condition.result === 'error'
        ? `error${condition.decidedBy ? ` at ${condition.decidedBy}` : ''}: ${condition.error} (GCP rejects the token)`
        : `${condition.result}, decided by ${condition.decidedBy}`;
    checks.push({ name: 'condition', ok, detail: `attribute condition ${detail}` });
  } else {
    checks.push({
      name: 'condition',
      ok: true,
      detail: 'no attribute condition: every token from this issuer is accepted (dangerous)',
    });
  }

  return { decision: checks.every((c) => c.ok) ? 'allow' : 'deny', attributes, condition, checks };
}
