import { generateAws } from './aws.js';
import { generateAzure } from './azure.js';
import { generateGcp } from './gcp.js';
import { generateOctoSts } from './octo-sts.js';
import type { GenerateRequest, GenerateResult } from './types.js';
import { generateVault } from './vault.js';
import { workloadFor } from './workload.js';

/**
 * generateTrust writes least-privilege trust for one CI workload at one target, as JSON, Terraform or
 * shell commands, with warnings for every trap it could not close. Exact values are pinned with exact
 * operators; stable ids are pinned wherever the target can test them.
 */
export function generateTrust(req: GenerateRequest): GenerateResult {
  if (!['json', 'terraform', 'cli'].includes(req.format))
    throw new TypeError(`unknown format ${String(req.format)}`);
  const w = workloadFor(req);
  switch (req.target) {
    case 'aws':
      return generateAws(w, req.aws, req.format);
    case 'gcp':
      return generateGcp(w, req.gcp, req.format);
    case 'azure':
      return generateAzure(w, req.azure, req.format);
    case 'vault':
      return generateVault(w, req.vault, req.format);
    case 'octo-sts':
      return generateOctoSts(w, req.octoSts, req.format);
  }
}
