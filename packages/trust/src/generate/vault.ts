import { TrustError } from '../errors.js';
import type { VaultJwtRole } from '../policy/vault.js';
import { hclIdentifier, hclString, hclValue, shellQuote } from './quote.js';
import type { GenerateFormat, GenerateResult, VaultParams, Workload } from './types.js';

/** vaultRole builds the JWT auth role body for a workload. */
export function vaultRole(w: Workload, p: VaultParams): VaultJwtRole & { token_policies: string[] } {
  const boundClaims: Record<string, string> = {};
  for (const pin of w.pins) boundClaims[pin.claim] = pin.value;
  if (!w.subject.exact && w.subject.value !== '*') boundClaims['sub'] = w.subject.value;
  // bound_claims_type applies to every bound claim; glob only when some value is a pattern (go-glob: "*" only).
  const glob = Object.values(boundClaims).some((v) => v.includes('*'));
  const role: VaultJwtRole & { token_policies: string[] } = {
    role_type: 'jwt',
    bound_audiences: [p.audience ?? 'vault'],
    user_claim: w.vaultUserClaim,
    ...(w.subject.exact ? { bound_subject: w.subject.value } : {}),
    bound_claims_type: glob ? 'glob' : 'string',
    bound_claims: boundClaims,
    claim_mappings: w.claimMappings,
    token_policies: p.policies,
    token_ttl: p.tokenTtl ?? '15m',
    token_type: 'batch',
  };
  return role;
}

/** generateVault renders a Vault/OpenBao JWT auth role. */
export function generateVault(w: Workload, p: VaultParams, format: GenerateFormat): GenerateResult {
  const mount = p.mount ?? 'jwt';
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(mount))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'vault.mount is not a mount path');
  if (!/^[A-Za-z0-9_.-]+$/.test(p.role))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'vault.role must be [A-Za-z0-9_.-]+');
  const warnings = [...w.warnings];
  if (w.pins.some((pin) => !pin.exact && pin.value.includes('?')))
    warnings.push('Vault globs support only "*"; "?" is matched literally');
  if (p.audience === undefined)
    warnings.push('no vault.audience: the role binds aud "vault"; request tokens with that audience');
  const role = vaultRole(w, p);
  const discovery = `vault write auth/${mount}/config oidc_discovery_url=${w.issuer} bound_issuer=${w.issuer}`;
  if (format === 'json') return { text: `${JSON.stringify(role, null, 2)}\n`, warnings };
  if (format === 'cli') {
    const lines = [
      '#!/bin/sh',
      'set -eu',
      `# Once per mount: ${discovery}`,
      `printf '%s' ${shellQuote(JSON.stringify(role))} | vault write ${shellQuote(`auth/${mount}/role/${p.role}`)} -`,
    ];
    return { text: `${lines.join('\n')}\n`, warnings };
  }
  const attrs: Array<[string, unknown]> = [
    ['backend', mount],
    ['role_name', p.role],
    ['role_type', role.role_type],
    ['bound_audiences', role.bound_audiences],
    ['user_claim', role.user_claim],
    ...(role.bound_subject ? [['bound_subject', role.bound_subject] as [string, unknown]] : []),
    ['bound_claims_type', role.bound_claims_type],
    ['bound_claims', role.bound_claims],
    ['claim_mappings', role.claim_mappings],
    ['token_policies', role.token_policies],
    ['token_ttl', role.token_ttl],
    ['token_type', role.token_type],
  ];
  const width = Math.max(...attrs.map(([k]) => k.length));
  const body = attrs
    .map(
      ([k, v]) =>
        `  ${k.padEnd(width)} = ${typeof v === 'string' && /^[0-9]+[smh]$/.test(v) && k === 'token_ttl' ? String(ttlSeconds(v)) : hclValue(v, '  ')}`,
    )
    .join('\n');
  return {
    text: `# Once per mount: ${discovery}\nresource "vault_jwt_auth_backend_role" ${hclString(hclIdentifier(p.role))} {\n${body}\n}\n`,
    warnings,
  };
}

function ttlSeconds(v: string): number {
  const n = Number(v.slice(0, -1));
  return v.endsWith('h') ? n * 3600 : v.endsWith('m') ? n * 60 : n;
}
