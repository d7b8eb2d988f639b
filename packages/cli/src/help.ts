/**
 * help.ts: `--help` for every command, with examples. Kept beside the dispatcher so a new command
 * cannot ship without one.
 */
import { VERSION } from '@federate/core';

const COMMON = `
Platform options (every command that needs a token):
  --platform <auto|github|gitlab|circleci|cloudbuild|file>   default: auto-detect
  --token-var <NAME>        GitLab id_tokens variable / env var holding a token (default FEDERATE_ID_TOKEN)
  --token-file <PATH>       read the token from a file (Kubernetes, SPIFFE, any other CI)
  --private-dir <DIR>       where secret files go (default: the platform's job-private temp dir)

Every option can also come from a FEDERATE_<NAME> variable (FEDERATE_ROLE_ARN=… for --role-arn),
which is how the orb, the GitLab component and the Cloud Build step pass values without shell splicing.`;

export const HELP: Record<string, string> = {
  main: `federate ${VERSION}: trade a CI job's OIDC token for short-lived credentials.

Usage: federate <command> [options]

Commands:
  exchange            exchange the platform token and export credentials for later steps
  run -- <cmd> …      exchange, then run one command with the credentials in its environment only
  doctor              show the token's claims, verify it like the server will, evaluate a trust policy
  trust               print least-privilege trust configuration for a platform and a target
  token               print or write a fresh platform token (for SDK-driven refresh)
  credential-process  AWS credential_process: cached credentials, re-exchanged near expiry
  renew               renew the exported Vault token (VAULT_TOKEN) within its max TTL
  cleanup             remove written files and revoke server-side tokens from an earlier exchange

Run 'federate <command> --help' for a command's options.

Exit codes: 0 ok · 1 exchange failed · 2 usage or configuration error · 3 platform token
unavailable · 4 cleanup incomplete · 5 doctor check failed or trust policy denies.`,
  exchange: `Usage: federate exchange --target <aws|gcp|azure|vault|oauth|octo-sts|okta-pa|pingone-privilege> [target options] [options]
       federate exchange --exchanges <file.yml | inline YAML list>

Options:
  --target <name>           the server to exchange at
  --audience <aud>          the platform token's audience (default: the target's)
  --id <name>               names the exchange in outputs when a target appears twice
  --exchanges <yaml>        several targets in one run (a YAML list of maps with a target key)
  --format <github|gitlab|circleci|cloudbuild|shell|dotenv|json>  export format (default: the platform's)
  --output-file <PATH>      with --platform file (required): write exports there (0600); - prints them
  --export-env / --no-export-env, --outputs / --no-outputs, --cleanup / --no-cleanup
  --dry-run                 fetch and show the token's identity; exchange and export nothing
  --timeout <duration>      overall deadline (default 60s)
${COMMON}

Target options (kebab-case, as in the GitHub Action):
  aws:      --role-arn --region --session-name --duration --session-policy --managed-policy-arns
            --endpoint --role-chain --external-id --session-tags --transitive-tag-keys --profile
            --check-identity --allowed-account-ids --refresh none|credential-process|web-identity-file
            --refresh-margin
  gcp:      --workload-identity-provider --service-account --token-format --scopes --lifetime
            --delegates --id-token-audience --id-token-include-email --project-id --universe
            --sts-endpoint --iam-credentials-endpoint --create-credentials-file
            --credential-source file|url|executable --allow-executables
  azure:    --client-id --tenant-id --scope --authority-host --subscription-id --refresh-token-file
  vault:    --url --role --path (alias --method) --namespace --secrets --kv-version --export-token --revoke
  oauth:    --token-url --grant --exchange-audience --resource --scope --requested-token-type
            --subject-token-type --client-id --client-secret --client-auth --env-name --output
            --export-refresh-token
  octo-sts: --scope --identity --domain --url --github-api-url --env-name --revoke
  okta-pa:  --team --connection --role-hint --sft-path --address --env-name --sft-timeout (needs sft;
            --audience is required: the connection's expected audience)
  pingone-privilege: --base-url --tenant --namespace --workload --api-key | --api-key-env
            --send-platform-token none|header --platform-token-header --token-field --mapping
            --renew-before --jwks-url

Examples:
  federate exchange --target aws --role-arn arn:aws:iam::123456789012:role/deploy --region eu-west-1
  federate exchange --platform file --token-file /var/run/secrets/token --format json \\
    --target vault --url https://vault.example.com --role ci --secrets 'secret/data/ci db | DB_PASSWORD'
  federate exchange --exchanges exchanges.yml`,
  run: `Usage: federate run [exchange options] -- <command> [args…]

Exchanges exactly like 'federate exchange', then runs <command> with the credentials in its
environment only. Its stdout and stderr are redacted as they stream; its exit code is federate's
(128+n when killed by signal n); files and server-side tokens are cleaned up afterwards.

Example:
  federate run --target aws --role-arn arn:aws:iam::123456789012:role/ci -- aws s3 ls
${COMMON}`,
  doctor: `Usage: federate doctor [--audience <aud>] [--token-file <PATH>] [--trust-policy <FILE>] [--expect claim=glob …] [--json]

Fetches the platform token (or reads --token-file) and prints, without the token itself: header,
issuer, subject, audience, issued-at, lifetime, and every claim a trust condition can test with its
value beside each cloud's spelling of it (AWS condition key, GCP CEL, Vault bound_claims key);
verifies it like the server will (discovery, JWKS, signature, iss, aud, exp/nbf, skew); and with
--trust-policy evaluates an AWS role trust policy, a GCP provider's mapping/condition or a Vault
JWT role against it, explaining the verdict line by line. Exit 5 when a check fails or the verdict is deny.
Claims that name a person (actor, actor_id, user_email, user_login, email) show their key spelling
but not their value unless --show-claims is given.

Options:
  --audience <aud>          audience to request (and expect)
  --issuer <url>            expected issuer
  --trust-policy <FILE>     AWS trust policy JSON, GCP provider JSON (attributeMapping/attributeCondition), or Vault role JSON
  --policy-type <aws|gcp|vault>  when the file's kind cannot be guessed
  --account-id <ID>         the AWS account the role is in: the policy's provider ARN must name it
  --expect <claim=glob>     plain expectations, comma-separated (e.g. sub=repo:acme/*,ref=refs/heads/main)
  --no-verify               skip fetching discovery/JWKS
  --show-claims             also show the values of claims that name a person
  --json                    machine-readable report (claim values beside each cloud's key spelling)
${COMMON}

Examples:
  federate doctor --audience sts.amazonaws.com --trust-policy trust.json --account-id 123456789012
  federate doctor --platform file --token-file token.jwt --audience vault --expect 'sub=repo:acme/*'`,
  trust: `Usage: federate trust --platform <github|gitlab|circleci|cloudbuild> --target <aws|gcp|azure|vault|octo-sts> [scope options] [--format json|terraform|cli]

Prints the server-side configuration that trusts exactly the named workloads and nothing else.
An invalid value exits 2 naming the option (ERR_CONFIG_INVALID, with the ERR_TRUST_* reason).
Options come from the command line only: FEDERATE_* variables a job sets for its exchange never
change a generated policy.

Scope options (--project-id is the GitLab or CircleCI project; the GCP one is --gcp-project-id):
  github:     --repository owner/repo [--repository-id N] [--branch B | --tag T | --ref refs/…] [--environment E]
              [--job-workflow-ref R] [--allow-pull-requests]
  gitlab:     --project-path g/p [--project-id N] [--namespace-id N] [--ref R] [--ref-type branch|tag] [--protected-only] [--environment E] [--host H]
  circleci:   --org-id UUID --project-id UUID [--vcs-origin O] [--vcs-ref R] [--user-id UUID]
  cloudbuild: --service-account EMAIL [--service-account-id N]
Target options (every target also takes --audience):
  aws:      --account-id --role-name [--partition]
  gcp:      --project-number --pool-id --provider-id [--gcp-project-id] [--gcp-service-account] (required for cloudbuild)
  azure:    --client-id | --app-object-id [--name]
  vault:    [--mount] --role [--policies] [--token-ttl]
  octo-sts: --scope --identity

Examples:
  federate trust --platform github --target aws --repository acme/app --branch main --account-id 123456789012 --role-name deploy
  federate trust --platform circleci --target gcp --org-id 11111111-2222-3333-4444-555555555555 \\
    --project-id 66666666-7777-8888-9999-000000000000 --project-number 123456789012 --gcp-project-id my-project \\
    --pool-id circleci --provider-id circleci --format cli`,
  token: `Usage: federate token --audience <aud> [--format raw|json|google-executable] [--output-file PATH]

Prints a fresh platform token (or writes it to --output-file, 0600, without a trailing newline).
'google-executable' prints Google's executable-sourced credential response, for external_account
files whose credential_source runs 'federate token' (needs GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1).
${COMMON}

Examples:
  federate token --audience api://AzureADTokenExchange --output-file "$AZURE_FEDERATED_TOKEN_FILE"
  federate token --audience //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/gh --format google-executable`,
  'credential-process': `Usage: federate credential-process --cache-file <PATH> --role-arn <ARN> [--margin 5m] [aws options…]

The AWS credential_process that 'federate exchange --target aws --refresh credential-process' writes
into its profile; SDKs and the AWS CLI run it whenever they need credentials. It prints the cached
credentials ({"Version":1,…}) while they are more than --margin from expiry, otherwise fetches a
fresh platform token and exchanges it again (one process at a time; the others wait and share the
result). Errors go to stderr, secret-free, with a non-zero exit code the SDK reports.
${COMMON}`,
  renew: `Usage: federate renew [--increment <duration>] [--url <VAULT_ADDR>] [--namespace <ns>]

Renews the Vault token that 'federate exchange --target vault --export-token' exported (read from
VAULT_TOKEN; VAULT_ADDR and VAULT_NAMESPACE unless --url/--namespace) with auth/token/renew-self,
so a long job keeps it, and the leases read with it, alive. Without --increment Vault renews for the
role's token_ttl. Vault never renews past the role's token_max_ttl: a shortened renewal is reported
as a warning, and once the token cannot be renewed the command exits 1 (ERR_EXCHANGE_REJECTED):
run 'federate exchange --target vault …' again to log in with a fresh platform token.

Example:
  federate renew --increment 1h`,
  cleanup: `Usage: federate cleanup [--platform …]

Removes every file an earlier 'federate exchange' wrote and revokes the server-side tokens it
recorded (Vault, octo-sts). Safe to run when nothing was recorded; use it in a 'when: always' step.
${COMMON}

Example:
  federate cleanup --platform circleci`,
};
