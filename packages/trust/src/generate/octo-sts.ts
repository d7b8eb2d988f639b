import { TrustError } from '../errors.js';
import { globToRe2, hclIdentifier, hclString, regexEscape, shellQuote } from './quote.js';
import type { GenerateFormat, GenerateResult, OctoStsParams, Workload } from './types.js';

/** DEFAULT_OCTO_STS_AUDIENCE is the audience octo-sts.dev requires when a policy names none. */
export const DEFAULT_OCTO_STS_AUDIENCE = 'octo-sts.dev';

/** octoStsPolicy builds an octo-sts trust policy; JSON is valid YAML, so it is written as JSON. */
export function octoStsPolicy(w: Workload, p: OctoStsParams): Record<string, unknown> {
  const claimPattern: Record<string, string> = {};
  for (const pin of w.pins)
    claimPattern[pin.claim] = pin.exact ? `${regexEscape(pin.value)}` : globToRe2(pin.value).slice(1, -1);
  const subject = w.subject.exact
    ? { subject: w.subject.value }
    : { subject_pattern: globToRe2(w.subject.value).slice(1, -1) };
  return {
    issuer: w.issuer,
    ...subject,
    audience: p.audience ?? DEFAULT_OCTO_STS_AUDIENCE,
    ...(Object.keys(claimPattern).length ? { claim_pattern: claimPattern } : {}),
    permissions: p.permissions ?? { contents: 'read' },
  };
}

/** generateOctoSts renders the `.github/chainguard/<identity>.sts.yaml` trust policy. */
export function generateOctoSts(w: Workload, p: OctoStsParams, format: GenerateFormat): GenerateResult {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/.test(p.scope))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'octoSts.scope must be org or org/repo');
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(p.identity) || p.identity.includes('..')) {
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'octoSts.identity must be a file-name-safe policy name');
  }
  const warnings = [...w.warnings];
  if (w.platform !== 'github')
    warnings.push('octo-sts mints GitHub tokens; the org may need this issuer in trusted-token-issuers.yaml');
  if (w.subjectExcludes.length)
    warnings.push(
      'octo-sts cannot exclude subjects: the pattern below also admits pull_request runs; give branch, tag or environment',
    );
  const policy = octoStsPolicy(w, p);
  const [org, repo] = p.scope.split('/') as [string, string | undefined];
  const path = `.github/chainguard/${p.identity}.sts.yaml`;
  const body = `${JSON.stringify(policy, null, 2)}\n`;
  if (format === 'json') return { text: body, warnings };
  if (format === 'cli') {
    return {
      text: `#!/bin/sh\nset -eu\n# In a checkout of ${repo ? p.scope : `${org}/.github`}:\nmkdir -p .github/chainguard\nprintf '%s\\n' ${shellQuote(body.trimEnd())} > ${shellQuote(path)}\n`,
      warnings,
    };
  }
  return {
    text: `resource "github_repository_file" ${hclString(hclIdentifier(`octo_sts_${p.identity}`))} {\n  repository = ${hclString(repo ?? '.github')}\n  file       = ${hclString(path)}\n  content    = ${hclString(body)}\n}\n`,
    warnings,
  };
}
