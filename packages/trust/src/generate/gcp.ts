import { celAccessor, gcpAttributeName } from '../claims.js';
import { TrustError } from '../errors.js';
import { celString, globToRe2, hclIdentifier, hclString, hclValue, shellQuote } from './quote.js';
import type { GcpParams, GenerateFormat, GenerateResult, Workload } from './types.js';

/** GcpProviderDocument is the generated provider in the shape `evaluateGcpProvider` reads. */
export interface GcpProviderDocument {
  providerName: string;
  issuerUri: string;
  allowedAudiences: string[];
  attributeMapping: Record<string, string>;
  attributeCondition: string;
}

function celTest(accessor: string, value: string, exact: boolean): string {
  return exact ? `${accessor} == ${celString(value)}` : `${accessor}.matches(${celString(globToRe2(value))})`;
}

/** gcpProvider builds the attribute mapping and a condition that pins every claim of the workload. */
export function gcpProvider(w: Workload, p: GcpParams): GcpProviderDocument {
  const mapping: Record<string, string> = { 'google.subject': w.gcpSubject };
  const conds: string[] = [];
  if (w.subject.value !== '*') {
    mapping['attribute.sub'] = 'assertion.sub';
    conds.push(celTest('assertion.sub', w.subject.value, w.subject.exact));
  }
  for (const ex of w.subjectExcludes) conds.push(`!${celTest('assertion.sub', ex, !ex.includes('*'))}`);
  for (const pin of w.pins) {
    // GCP conditions can test any claim, so stable ids are always pinned here.
    mapping[`attribute.${gcpAttributeName(pin.claim)}`] = celAccessor(pin.claim);
    conds.push(celTest(celAccessor(pin.claim), pin.value, pin.exact));
  }
  const providerName = `projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}/providers/${p.providerId}`;
  return {
    providerName,
    issuerUri: w.issuer,
    allowedAudiences: p.audience ? [p.audience] : [],
    attributeMapping: mapping,
    attributeCondition: conds.join(' && '),
  };
}

function principal(w: Workload, p: GcpParams, doc: GcpProviderDocument): string {
  const pool = `//iam.googleapis.com/projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}`;
  const stable = w.pins.find(
    (pin) => pin.exact && /(^|\/)(repository_id|project_id|project-id)$/.test(pin.claim),
  );
  if (w.subject.exact && doc.attributeMapping['google.subject'] === 'assertion.sub')
    return `principal:${pool}/subject/${w.subject.value}`;
  if (stable) return `principalSet:${pool}/attribute.${gcpAttributeName(stable.claim)}/${stable.value}`;
  return `principalSet:${pool}/*`;
}

// gcloud dict flags split on ","; a `^D^` prefix switches the delimiter to D (see `gcloud topic escaping`),
// so CEL with commas survives. Pick a delimiter the content does not contain.
function gcloudDict(map: Record<string, string>): string {
  const entries = Object.entries(map).map(([k, v]) => `${k}=${v}`);
  const joined = entries.join(',');
  if (!entries.some((e) => e.includes(','))) return joined;
  const delim = [';', '|', '#', '~', '@', '!'].find((d) => !joined.includes(d));
  if (delim === undefined)
    throw new TrustError('ERR_TRUST_UNSUPPORTED', 'attribute mapping cannot be written as a gcloud flag');
  return `^${delim}^${entries.join(delim)}`;
}

/** generateGcp renders a workload identity pool, provider and service-account binding. */
export function generateGcp(w: Workload, p: GcpParams, format: GenerateFormat): GenerateResult {
  if (!/^[0-9]{1,20}$/.test(p.projectNumber))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'gcp.projectNumber must be numeric');
  for (const [field, value] of [
    ['poolId', p.poolId],
    ['providerId', p.providerId],
  ] as const) {
    if (!/^[a-z0-9-]{4,32}$/.test(value))
      throw new TrustError('ERR_TRUST_INVALID_SCOPE', `gcp.${field} must be 4-32 of [a-z0-9-]`);
  }
  if (p.serviceAccount !== undefined && !/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$/.test(p.serviceAccount)) {
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'gcp.serviceAccount must be a service account email');
  }
  const warnings = [...w.warnings];
  if (w.platform === 'cloudbuild') {
    if (!p.serviceAccount)
      throw new TrustError(
        'ERR_TRUST_INVALID_SCOPE',
        'cloudbuild → gcp needs gcp.serviceAccount to impersonate',
      );
    const email = w.pins.find((x) => x.claim === 'email')!.value;
    warnings.push(
      'Cloud Build already runs as a Google service account: no workload identity pool is needed; grant impersonation instead',
    );
    const binding = {
      serviceAccount: p.serviceAccount,
      role: 'roles/iam.serviceAccountTokenCreator',
      member: `serviceAccount:${email}`,
    };
    if (format === 'json')
      return { text: `${JSON.stringify({ serviceAccountBinding: binding }, null, 2)}\n`, warnings };
    if (format === 'cli') {
      return {
        text: `#!/bin/sh\nset -eu\ngcloud iam service-accounts add-iam-policy-binding ${shellQuote(binding.serviceAccount)} --role=${shellQuote(binding.role)} --member=${shellQuote(binding.member)}\n`,
        warnings,
      };
    }
    return {
      text: `resource "google_service_account_iam_member" ${hclString(hclIdentifier(email))} {\n  service_account_id = ${hclString(`projects/-/serviceAccounts/${binding.serviceAccount}`)}\n  role               = ${hclString(binding.role)}\n  member             = ${hclString(binding.member)}\n}\n`,
      warnings,
    };
  }
  const doc = gcpProvider(w, p);
  const member = principal(w, p, doc);
  if (member.endsWith('/*'))
    warnings.push(
      'no exact subject or stable id to bind: the binding admits every identity of the pool; keep one provider per pool',
    );
  const subjectBytes = new TextEncoder().encode(w.subject.value).length;
  if (doc.attributeMapping['google.subject'] === 'assertion.sub' && subjectBytes > 127) {
    warnings.push(
      `sub is ${subjectBytes} bytes; GCP rejects a google.subject over 127 bytes; map a shorter claim`,
    );
  }
  if (!p.serviceAccount) warnings.push(`no serviceAccount: grant roles directly to ${member}`);
  const binding = p.serviceAccount
    ? { serviceAccount: p.serviceAccount, role: 'roles/iam.workloadIdentityUser', member }
    : undefined;
  const project = p.projectId ?? p.projectNumber;
  if (format === 'json') {
    const out = {
      workloadIdentityPool: {
        name: `projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}`,
      },
      provider: {
        name: doc.providerName,
        oidc: { issuerUri: doc.issuerUri, allowedAudiences: doc.allowedAudiences },
        attributeMapping: doc.attributeMapping,
        attributeCondition: doc.attributeCondition,
      },
      ...(binding ? { serviceAccountBinding: binding } : { principal: member }),
    };
    return { text: `${JSON.stringify(out, null, 2)}\n`, warnings };
  }
  if (format === 'cli') {
    const lines = [
      '#!/bin/sh',
      'set -eu',
      `gcloud iam workload-identity-pools create ${shellQuote(p.poolId)} --project=${shellQuote(project)} --location=global`,
      `gcloud iam workload-identity-pools providers create-oidc ${shellQuote(p.providerId)} --project=${shellQuote(project)} --location=global --workload-identity-pool=${shellQuote(p.poolId)} --issuer-uri=${shellQuote(doc.issuerUri)} --attribute-mapping=${shellQuote(gcloudDict(doc.attributeMapping))} --attribute-condition=${shellQuote(doc.attributeCondition)}${doc.allowedAudiences.length ? ` --allowed-audiences=${shellQuote(doc.allowedAudiences.join(','))}` : ''}`,
    ];
    if (binding) {
      lines.push(
        `gcloud iam service-accounts add-iam-policy-binding ${shellQuote(binding.serviceAccount)} --project=${shellQuote(project)} --role=${shellQuote(binding.role)} --member=${shellQuote(binding.member)}`,
      );
    }
    return { text: `${lines.join('\n')}\n`, warnings };
  }
  const pool = hclIdentifier(p.poolId);
  const prov = hclIdentifier(p.providerId);
  const parts = [
    `resource "google_iam_workload_identity_pool" ${hclString(pool)} {\n  project                   = ${hclString(project)}\n  workload_identity_pool_id = ${hclString(p.poolId)}\n}`,
    `resource "google_iam_workload_identity_pool_provider" ${hclString(prov)} {\n  project                            = ${hclString(project)}\n  workload_identity_pool_id          = google_iam_workload_identity_pool.${pool}.workload_identity_pool_id\n  workload_identity_pool_provider_id = ${hclString(p.providerId)}\n  attribute_mapping                  = ${hclValue(doc.attributeMapping, '  ')}\n  attribute_condition                = ${hclString(doc.attributeCondition)}\n  oidc {\n    issuer_uri        = ${hclString(doc.issuerUri)}\n    allowed_audiences = ${hclValue(doc.allowedAudiences, '    ')}\n  }\n}`,
  ];
  if (binding) {
    parts.push(
      `resource "google_service_account_iam_member" ${hclString(`${prov}_wif`)} {\n  service_account_id = ${hclString(`projects/${project}/serviceAccounts/${binding.serviceAccount}`)}\n  role               = ${hclString(binding.role)}\n  member             = ${hclString(binding.member)}\n  depends_on         = [google_iam_workload_identity_pool_provider.${prov}]\n}`,
    );
  }
  return { text: `${parts.join('\n\n')}\n`, warnings };
}
