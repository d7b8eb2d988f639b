/**
 * scenario.ts: one ready-made offline world (a GitHub Actions runner's token endpoint, AWS STS and
 * Vault trusting it) shared by the demo, the benchmarks and the end-to-end tests, so they all
 * exercise the same, realistic trust configuration.
 */
import { type GitHubIssuer, startGitHubIssuer } from './issuers/github.js';
import { type AwsSts, startAwsSts } from './servers/aws-sts.js';
import { startVault, type VaultEmulator } from './servers/vault.js';

/** SCENARIO_ROLE_ARN is the role the scenario's AWS account trusts the repository to assume. */
export const SCENARIO_ROLE_ARN = 'arn:aws:iam::123456789012:role/federate-deploy';
/** SCENARIO_REPOSITORY is the repository whose workflows are trusted. */
export const SCENARIO_REPOSITORY = 'acme/app';

/** Scenario is the running world. */
export interface Scenario {
  readonly github: GitHubIssuer;
  readonly aws: AwsSts;
  readonly vault: VaultEmulator;
  readonly roleArn: string;
  /** secrets are the known secret values stored in Vault (for leak scanning). */
  readonly vaultSecrets: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** startScenario starts the issuer and the servers on loopback ports. */
export async function startScenario(opts: { repository?: string; ref?: string } = {}): Promise<Scenario> {
  const repository = opts.repository ?? SCENARIO_REPOSITORY;
  const github = await startGitHubIssuer({ claims: { repository, ref: opts.ref ?? 'refs/heads/main' } });
  const trusted = [{ issuer: github.issuer }];
  const aws = await startAwsSts({
    trusted,
    roles: {
      [SCENARIO_ROLE_ARN]: {
        conditions: { sub: `repo:${SCENARIO_REPOSITORY}:ref:refs/heads/main` },
        maxSessionDuration: 3600,
      },
    },
  });
  const vaultSecrets = {
    db_password: `pw-${Math.random().toString(36).slice(2)}-"quoted"-$(not-run)`,
    api_key: `key-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
  };
  const vault = await startVault({
    trusted,
    mounts: {
      jwt: {
        roles: {
          ci: {
            role_type: 'jwt',
            bound_audiences: ['vault'],
            bound_claims: { repository: SCENARIO_REPOSITORY },
            user_claim: 'sub',
            token_policies: ['ci-read'],
            token_ttl: 900,
          },
        },
      },
    },
    kv: { secret: { version: 2, data: { 'ci/app': { ...vaultSecrets } } } },
    policies: { 'ci-read': ['secret/data/ci/*'] },
  });
  return {
    github,
    aws,
    vault,
    roleArn: SCENARIO_ROLE_ARN,
    vaultSecrets,
    async close() {
      await Promise.allSettled([github.close(), aws.close(), vault.close()]);
    },
  };
}
