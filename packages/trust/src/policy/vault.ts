import { audienceList, type Claims } from '../claims.js';
import { TrustError } from '../errors.js';

/** VaultJwtRole is the subset of a Vault/OpenBao JWT auth role that decides a login. */
export interface VaultJwtRole {
  role_type?: string;
  bound_audiences?: string[] | string;
  bound_subject?: string;
  bound_claims?: Record<string, string | string[]>;
  bound_claims_type?: 'string' | 'glob';
  user_claim?: string;
  claim_mappings?: Record<string, string>;
  [key: string]: unknown;
}

/** VaultCheck is one explained step of a login. */
export interface VaultCheck {
  name: 'role_type' | 'bound_audiences' | 'bound_subject' | 'bound_claims' | 'user_claim' | 'claim_mappings';
  ok: boolean;
  detail: string;
}

/** VaultEvaluation is the verdict of a role for a token, plus the metadata claim_mappings would set. */
export interface VaultEvaluation {
  decision: 'allow' | 'deny';
  metadata: Record<string, string>;
  checks: VaultCheck[];
}

/**
 * vaultClaim reads a claim the way vault-plugin-auth-jwt does: a key starting with "/" is a JSON
 * pointer into nested claims, anything else is a top-level claim name (dots and slashes included).
 */
export function vaultClaim(claims: Claims, key: string): unknown {
  if (!key.startsWith('/')) return claims[key];
  let cur: unknown = claims;
  for (const raw of key.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = cur[Number(seg)];
    else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, seg))
      cur = (cur as Record<string, unknown>)[seg];
    else return undefined;
  }
  return cur;
}

// go-glob semantics: only "*" is special; it matches any run of characters.
function vaultGlob(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first)) return false;
  let pos = first.length;
  for (const mid of parts.slice(1, -1)) {
    const at = value.indexOf(mid, pos);
    if (at < 0) return false;
    pos = at + mid.length;
  }
  return value.length - last.length >= pos && value.endsWith(last);
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * evaluateVaultRole checks a token's claims against a JWT auth role as Vault would after signature and
 * time checks: bound_audiences (any match; required when the token has aud, Vault ≥ 1.17),
 * bound_subject (exact), bound_claims (string or glob, any listed value, arrays match on any element,
 * nested claims by JSON pointer), user_claim present, and claim_mappings.
 */
export function evaluateVaultRole(role: VaultJwtRole | string, claims: Claims): VaultEvaluation {
  let r: VaultJwtRole;
  if (typeof role === 'string') {
    try {
      r = JSON.parse(role) as VaultJwtRole;
    } catch (cause) {
      throw new TrustError('ERR_TRUST_POLICY_INVALID', 'the Vault role is not JSON', { cause });
    }
  } else r = role;
  if (r === null || typeof r !== 'object')
    throw new TrustError('ERR_TRUST_POLICY_INVALID', 'the Vault role is not an object');
  const checks: VaultCheck[] = [];

  if (r.role_type !== undefined && r.role_type !== 'jwt') {
    checks.push({
      name: 'role_type',
      ok: false,
      detail: `role_type is ${r.role_type}; CI logins need role_type=jwt`,
    });
  }

  const bound =
    r.bound_audiences === undefined
      ? []
      : Array.isArray(r.bound_audiences)
        ? r.bound_audiences
        : String(r.bound_audiences)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  const aud = audienceList(claims['aud']);
  if (bound.length === 0) {
    const ok = aud.length === 0;
    checks.push({
      name: 'bound_audiences',
      ok,
      detail: ok
        ? 'no bound_audiences and the token has no aud'
        : `the token has aud [${aud.join(', ')}] but the role binds no audiences (rejected since Vault 1.17)`,
    });
  } else {
    const hit = aud.find((a) => bound.includes(a));
    checks.push({
      name: 'bound_audiences',
      ok: hit !== undefined,
      detail: `bound_audiences [${bound.join(', ')}], token aud [${aud.join(', ')}] → ${hit ? `match on ${hit}` : 'no match'}`,
    });
  }

  if (r.bound_subject !== undefined && r.bound_subject !== '') {
    const sub = claims['sub'];
    const ok = sub === r.bound_subject;
    checks.push({
      name: 'bound_subject',
      ok,
      detail: `bound_subject ${r.bound_subject}, token sub ${String(sub ?? '(none)')} → ${ok ? 'match' : 'no match'} (exact, no globbing)`,
    });
  }

  const glob = r.bound_claims_type === 'glob';
  for (const [key, expected] of Object.entries(r.bound_claims ?? {})) {
    const want = (Array.isArray(expected) ? expected : [expected]).map(String);
    const actual = vaultClaim(claims, key);
    if (actual === undefined || actual === null) {
      checks.push({ name: 'bound_claims', ok: false, detail: `claim "${key}" is missing` });
      continue;
    }
    const values = (Array.isArray(actual) ? actual : [actual]).map(scalarText);
    const hit = values.find((v) => v !== undefined && want.some((w) => (glob ? vaultGlob(w, v) : w === v)));
    checks.push({
      name: 'bound_claims',
      ok: hit !== undefined,
      detail: `claim "${key}" ${glob ? 'glob' : 'string'} one of [${want.join(', ')}], token has ${values.length === 1 ? String(values[0]) : `[${values.join(', ')}]`} → ${hit !== undefined ? 'match' : 'no match'}`,
    });
  }

  const userClaim = r.user_claim ?? 'sub';
  const userValue = vaultClaim(claims, userClaim);
  const userText = scalarText(userValue);
  checks.push({
    name: 'user_claim',
    ok: userText !== undefined && userText !== '',
    detail: userText
      ? `user_claim "${userClaim}" = ${userText} (names the Vault entity alias)`
      : `user_claim "${userClaim}" is missing or not a string`,
  });

  const metadata: Record<string, string> = {};
  for (const [source, target] of Object.entries(r.claim_mappings ?? {})) {
    const value = vaultClaim(claims, source);
    const text = scalarText(value);
    if (text === undefined) {
      checks.push({
        name: 'claim_mappings',
        ok: true,
        detail: `${source} → ${target}: claim absent or not a scalar, metadata not set`,
      });
    } else {
      metadata[target] = text;
      checks.push({ name: 'claim_mappings', ok: true, detail: `${source} → ${target} = ${text}` });
    }
  }
  return { decision: checks.every((c) => c.ok) ? 'allow' : 'deny', metadata, checks };
}
