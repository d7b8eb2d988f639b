import { awsProviderArn, awsProviderKey } from '../claims.js';
import { TrustError } from '../errors.js';
import { hclIdentifier, hclString, hclValue, shellQuote } from './quote.js';
import type { AwsParams, GenerateFormat, GenerateResult, Workload } from './types.js';

/** DEFAULT_AWS_AUDIENCE is the audience AWS documents for web-identity federation. */
export const DEFAULT_AWS_AUDIENCE = 'sts.amazonaws.com';

/** awsTrustPolicy builds the least-privilege role trust policy document for a workload. */
export function awsTrustPolicy(w: Workload, p: AwsParams, warnings: string[]): Record<string, unknown> {
  const key = awsProviderKey(w.issuer);
  const audience = p.audience ?? DEFAULT_AWS_AUDIENCE;
  const google = key === 'accounts.google.com';
  const equals: Record<string, string> = { [`${key}:${google ? 'oaud' : 'aud'}`]: audience };
  const like: Record<string, string> = {};
  // Exact values use StringEquals so no character is read as a wildcard; patterns need StringLike.
  if (w.subject.value !== '*') (w.subject.exact ? equals : like)[`${key}:sub`] = w.subject.value;
  for (const pin of w.pins) {
    const claim = google && pin.claim === 'azp' ? 'aud' : pin.claim;
    if (!w.awsClaims.includes(claim) && !(google && claim === 'aud')) {
      warnings.push(`AWS cannot test ${pin.claim} for ${key}; it is not enforced by this trust policy`);
      continue;
    }
    (pin.exact ? equals : like)[`${key}:${claim}`] = pin.value;
  }
  const condition: Record<string, unknown> = { StringEquals: equals };
  if (Object.keys(like).length) condition['StringLike'] = like;
  if (w.subjectExcludes.length) {
    condition['StringNotLike'] = {
      [`${key}:sub`]: w.subjectExcludes.length === 1 ? w.subjectExcludes[0] : w.subjectExcludes,
    };
  }
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `Federate${w.platform[0]!.toUpperCase()}${w.platform.slice(1)}`,
        Effect: 'Allow',
        Principal: { Federated: awsProviderArn(w.issuer, p.accountId, p.partition) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: condition,
      },
    ],
  };
}

/** generateAws renders the provider and role for AWS IAM in the requested format. */
export function generateAws(w: Workload, p: AwsParams, format: GenerateFormat): GenerateResult {
  if (!/^[0-9]{12}$/.test(p.accountId))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'aws.accountId must be 12 digits');
  if (!/^[\w+=,.@-]{1,64}$/.test(p.roleName))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'aws.roleName is not a valid IAM role name');
  const warnings = [...w.warnings];
  const policy = awsTrustPolicy(w, p, warnings);
  const audience = p.audience ?? DEFAULT_AWS_AUDIENCE;
  const builtIn = awsProviderKey(w.issuer) === 'accounts.google.com';
  const provider = builtIn ? undefined : { Url: w.issuer, ClientIDList: [audience] };
  if (format === 'json') {
    const doc = {
      ...(provider ? { openIdConnectProvider: provider } : {}),
      roleName: p.roleName,
      assumeRolePolicyDocument: policy,
    };
    return { text: `${JSON.stringify(doc, null, 2)}\n`, warnings };
  }
  if (format === 'cli') {
    const lines = ['#!/bin/sh', 'set -eu'];
    if (provider) {
      lines.push(
        '# Skip this command if the account already has this OIDC provider (one per issuer per account).',
        `aws iam create-open-id-connect-provider --url ${shellQuote(provider.Url)} --client-id-list ${shellQuote(audience)}`,
      );
    }
    lines.push(
      `aws iam create-role --role-name ${shellQuote(p.roleName)} --assume-role-policy-document ${shellQuote(JSON.stringify(policy))}`,
    );
    return { text: `${lines.join('\n')}\n`, warnings };
  }
  const id = hclIdentifier(p.roleName);
  const parts: string[] = [];
  if (provider) {
    parts.push(
      `# One provider per issuer per account: import it instead if it already exists.\nresource "aws_iam_openid_connect_provider" ${hclString(id)} {\n  url            = ${hclString(provider.Url)}\n  client_id_list = ${hclValue(provider.ClientIDList, '  ')}\n}`,
    );
  }
  parts.push(
    `resource "aws_iam_role" ${hclString(id)} {\n  name               = ${hclString(p.roleName)}\n  assume_role_policy = jsonencode(${hclValue(policy, '  ')})${provider ? `\n  depends_on         = [aws_iam_openid_connect_provider.${id}]` : ''}\n}`,
  );
  return { text: `${parts.join('\n\n')}\n`, warnings };
}
