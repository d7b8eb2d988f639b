import { TrustError } from '../errors.js';
import { hclIdentifier, hclString, hclValue, shellQuote } from './quote.js';
import type { AzureParams, GenerateFormat, GenerateResult, Workload } from './types.js';

/** DEFAULT_AZURE_AUDIENCE is the audience Entra expects on federated credentials. */
export const DEFAULT_AZURE_AUDIENCE = 'api://AzureADTokenExchange';

/** generateAzure renders an Entra application federated identity credential. */
export function generateAzure(w: Workload, p: AzureParams, format: GenerateFormat): GenerateResult {
  // Federated credentials compare issuer, subject and audience exactly; they cannot test other claims.
  if (!w.subject.exact) {
    throw new TrustError(
      'ERR_TRUST_INVALID_SCOPE',
      `Azure federated credentials need an exact subject, not ${w.subject.value}; narrow the scope`,
    );
  }
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(p.name))
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'azure.name must be 1-120 of [A-Za-z0-9_-]');
  const appId = p.appObjectId ?? p.clientId;
  if (appId === undefined || !/^[0-9a-fA-F-]{36}$/.test(appId)) {
    throw new TrustError('ERR_TRUST_INVALID_SCOPE', 'azure.appObjectId (or clientId) must be a GUID');
  }
  const warnings = [...w.warnings];
  const untested = w.pins.map((pin) => pin.claim);
  if (untested.length)
    warnings.push(`Azure tests only iss, sub and aud: ${untested.join(', ')} are not enforced`);
  const credential = {
    name: p.name,
    issuer: w.issuer,
    subject: w.subject.value,
    audiences: [p.audience ?? DEFAULT_AZURE_AUDIENCE],
    description: `Federate: ${w.platform} workload`,
  };
  if (format === 'json') return { text: `${JSON.stringify(credential, null, 2)}\n`, warnings };
  if (format === 'cli') {
    const idFlag = p.appObjectId ? p.appObjectId : (p.clientId as string);
    return {
      text: `#!/bin/sh\nset -eu\naz ad app federated-credential create --id ${shellQuote(idFlag)} --parameters ${shellQuote(JSON.stringify(credential))}\n`,
      warnings,
    };
  }
  if (!p.appObjectId)
    warnings.push('terraform needs the application object id; replace the client id with the object id');
  return {
    text: `resource "azuread_application_federated_identity_credential" ${hclString(hclIdentifier(p.name))} {\n  application_id = ${hclString(`/applications/${appId}`)}\n  display_name   = ${hclString(credential.name)}\n  description    = ${hclString(credential.description)}\n  audiences      = ${hclValue(credential.audiences, '  ')}\n  issuer         = ${hclString(credential.issuer)}\n  subject        = ${hclString(credential.subject)}\n}\n`,
    warnings,
  };
}
