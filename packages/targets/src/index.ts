/**
 * @federate/targets: every server Federate exchanges tokens at, one folder each. Adding a target =
 * one folder beside its siblings + one line here.
 */
import type { Target } from '@federate/core';
import { awsTarget } from './aws/index.js';
import { azureTarget } from './azure/index.js';
import { gcpTarget } from './gcp/index.js';
import { oauthTarget } from './oauth/index.js';
import { octoStsTarget } from './octo-sts/index.js';
import { oktaPaTarget } from './okta-pa/index.js';
import { pingOnePrivilegeTarget } from './pingone-privilege/index.js';
import { vaultTarget } from './vault/index.js';

/** TARGETS lists every target by the name users write in `target:`. */
export const TARGETS: Readonly<Record<string, Target<never>>> = {
  aws: awsTarget as Target<never>,
  gcp: gcpTarget as Target<never>,
  azure: azureTarget as Target<never>,
  vault: vaultTarget as Target<never>,
  oauth: oauthTarget as Target<never>,
  'octo-sts': octoStsTarget as Target<never>,
  'okta-pa': oktaPaTarget as Target<never>,
  'pingone-privilege': pingOnePrivilegeTarget as Target<never>,
};

export { awsTarget, azureTarget, gcpTarget, oauthTarget, octoStsTarget, vaultTarget };

/** CachedCredentials is the shape `federate credential-process` and the aws target share for its cache. */
export type { CachedCredentials } from './aws/refresh.js';
