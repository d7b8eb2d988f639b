/** GeneratePlatform is the CI platform whose jobs the generated trust admits. */
export type GeneratePlatform = 'github' | 'gitlab' | 'circleci' | 'cloudbuild';
/** GenerateTarget is the relying party the trust is written for. */
export type GenerateTarget = 'aws' | 'gcp' | 'azure' | 'vault' | 'octo-sts';
/** GenerateFormat is the output: a JSON document, Terraform (HCL) or shell commands. */
export type GenerateFormat = 'json' | 'terraform' | 'cli';

/** GithubScope names one GitHub Actions workload. Pull requests are never admitted unless `allowPullRequests`. */
export interface GithubScope {
  /** repository is `owner/repo`. */
  repository: string;
  /** repositoryId is the immutable numeric id; pinned wherever the target can test it. */
  repositoryId?: string;
  branch?: string;
  tag?: string;
  /** ref is a full ref (`refs/heads/main`), an alternative to branch/tag. */
  ref?: string;
  environment?: string;
  /** jobWorkflowRef pins the (reusable) workflow file, e.g. `acme/wf/.github/workflows/deploy.yml@refs/heads/main`. */
  jobWorkflowRef?: string;
  allowPullRequests?: boolean;
}

/** GitlabScope names one GitLab CI workload. */
export interface GitlabScope {
  projectPath: string;
  projectId?: string;
  namespaceId?: string;
  ref?: string;
  refType?: 'branch' | 'tag';
  /** protectedOnly requires `ref_protected == "true"`. */
  protectedOnly?: boolean;
  environment?: string;
  /** host is the instance (and path), default `gitlab.com`. */
  host?: string;
}

/** CircleciScope names one CircleCI workload (v2 `sub`, CIRCLE_OIDC_TOKEN_V2). */
export interface CircleciScope {
  orgId: string;
  projectId: string;
  /** vcsOrigin like `github.com/acme/app`; pins out forked-PR builds. */
  vcsOrigin?: string;
  vcsRef?: string;
  /** userId makes the subject exact (the v2 sub includes the triggering user). */
  userId?: string;
}

/** CloudbuildScope names the user-specified service account a Cloud Build build runs as. */
export interface CloudbuildScope {
  serviceAccountEmail: string;
  /** serviceAccountUniqueId is the numeric `sub`/`azp` of the account's ID tokens. */
  serviceAccountUniqueId?: string;
}

export interface AwsParams {
  accountId: string;
  roleName: string;
  /** audience defaults to `sts.amazonaws.com`. */
  audience?: string;
  partition?: string;
}
export interface GcpParams {
  projectNumber: string;
  projectId?: string;
  poolId: string;
  providerId: string;
  /** serviceAccount (email) to bind for impersonation; without it the output names the principal to grant roles to. */
  serviceAccount?: string;
  /** audience, when set, becomes the provider's only allowed audience; default is GCP's provider URL. */
  audience?: string;
}
export interface AzureParams {
  appObjectId?: string;
  clientId?: string;
  name: string;
  audience?: string;
}
export interface VaultParams {
  mount?: string;
  role: string;
  policies: string[];
  audience?: string;
  tokenTtl?: string;
}
export interface OctoStsParams {
  /** scope is `org/repo` or `org`. */
  scope: string;
  identity: string;
  permissions?: Record<string, string>;
  audience?: string;
}

/** GenerateRequest describes the workload, the target and the wanted output. */
export type GenerateRequest = (
  | { platform: 'github'; scope: GithubScope }
  | { platform: 'gitlab'; scope: GitlabScope }
  | { platform: 'circleci'; scope: CircleciScope }
  | { platform: 'cloudbuild'; scope: CloudbuildScope }
) &
  (
    | { target: 'aws'; aws: AwsParams }
    | { target: 'gcp'; gcp: GcpParams }
    | { target: 'azure'; azure: AzureParams }
    | { target: 'vault'; vault: VaultParams }
    | { target: 'octo-sts'; octoSts: OctoStsParams }
  ) & { format: GenerateFormat };

/** GenerateResult is the generated text and every trap worth a human look. */
export interface GenerateResult {
  text: string;
  warnings: string[];
}

/** Pin is one claim the workload fixes, besides `sub` and `aud`. */
export interface Pin {
  claim: string;
  value: string;
  /** exact is false when value is a `*`/`?` pattern. */
  exact: boolean;
}

/** Workload is the platform-neutral description every target generator consumes. */
export interface Workload {
  platform: GeneratePlatform;
  issuer: string;
  subject: { value: string; exact: boolean };
  /** subjectExcludes are sub patterns that must not match (pull requests under a wildcard sub). */
  subjectExcludes: string[];
  pins: Pin[];
  /** awsClaims are the pin claims AWS can test for this issuer. */
  awsClaims: string[];
  /** gcpSubject is the CEL mapping for google.subject. */
  gcpSubject: string;
  /** vaultUserClaim is the claim naming the Vault entity alias. */
  vaultUserClaim: string;
  /** claimMappings are Vault metadata worth keeping for audit. */
  claimMappings: Record<string, string>;
  warnings: string[];
}
