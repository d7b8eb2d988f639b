/**
 * model.ts: the shapes a token flows through. A Platform's TokenSource yields a JWT, a Target
 * exchanges it for Credentials, the Platform's Sink masks and exports them. Ports are tiny.
 */
import type { FederateError } from './errors.js';
import type { HttpClient, Transport } from './http.js';
import type { InputReader } from './options.js';
import type { SecretRegistry } from './redact.js';

/** Env is the process environment as passed in by a composition root (core never reads process.env). */
export type Env = Readonly<Record<string, string | undefined>>;

/** PlatformName names the CI (or source) a token came from. */
export type PlatformName = 'github' | 'gitlab' | 'circleci' | 'cloudbuild' | 'file';

/** Identity is a platform JWT with its claims decoded and normalized. `token` is a secret. */
export interface Identity {
  readonly token: string;
  readonly platform: PlatformName | 'unknown';
  readonly issuer: string;
  readonly subject: string;
  readonly audience: readonly string[];
  readonly issuedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  /** repository is `owner/repo` (GitHub), the project path (GitLab), the project id (CircleCI). */
  readonly repository: string | undefined;
  readonly ref: string | undefined;
  readonly sha: string | undefined;
  /** runId is the workflow run / pipeline / build id. */
  readonly runId: string | undefined;
  readonly jobId: string | undefined;
  readonly actor: string | undefined;
  readonly environment: string | undefined;
  /** claims are every claim in the token, as the platform sent them. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** TokenSource is a platform's way of minting an OIDC token for an audience. One method. */
export interface TokenSource {
  idToken(audience: string, signal?: AbortSignal): Promise<string>;
}

/** Logger prints progress; every line passes through the secret registry first. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** CredentialValue is one named value a target produced. */
export interface CredentialValue {
  /** name is the logical name (`accessKeyId`), stable across platforms. */
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
  /** env is the environment variable to export it as, if any. */
  readonly env?: string;
  /** output is the step output name (kebab-case), if any. */
  readonly output?: string;
}

/** CredentialFile is a file a target wants written into the job's private directory. */
export interface CredentialFile {
  /** name is a relative path inside the private directory (`aws/credentials`). */
  readonly name: string;
  readonly content: string;
  readonly secret: boolean;
  /** mode defaults to 0o600. */
  readonly mode?: number;
  /** env lists variables to export with the file's absolute path. */
  readonly env?: readonly string[];
  readonly output?: string;
}

/** RevokeRecord is what cleanup needs to revoke a server-side token later (its values are secret). */
export interface RevokeRecord {
  readonly target: string;
  readonly data: Readonly<Record<string, string>>;
  /** secretKeys names the keys of `data` that are secrets. */
  readonly secretKeys: readonly string[];
}

/** Credentials are what one exchange produced. */
export interface Credentials {
  readonly target: string;
  /** principal is who the credentials act as (role ARN, service account, client id, Vault entity). */
  readonly principal: string;
  readonly expiresAt: Date | undefined;
  readonly values: readonly CredentialValue[];
  readonly files: readonly CredentialFile[];
  readonly revoke: readonly RevokeRecord[];
  readonly notes: readonly string[];
}

/** ExchangeContext is everything a target may use; all I/O is injected. */
export interface ExchangeContext {
  /** identity is the platform token's decoded claims at the start of the exchange. */
  readonly identity: Identity;
  /** token returns the platform token, fetching a fresh one when it is within 60 s of expiry. */
  token(): Promise<string>;
  readonly http: HttpClient;
  readonly env: Env;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  now(): number;
  readonly signal?: AbortSignal;
  /** exec runs a program (only targets that drive a vendor CLI use it); secrets go in `env`, never argv. */
  readonly exec?: ExecFunction;
}

/** ExecFunction runs a program without a shell and returns its output. */
export type ExecFunction = (
  file: string,
  args: readonly string[],
  opts: { env: Record<string, string>; input?: string; timeoutMs?: number },
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** RevokeContext is what cleanup gives a target's revoke(). */
export interface RevokeContext {
  readonly http: HttpClient;
  readonly env: Env;
  readonly log: Logger;
  readonly secrets: SecretRegistry;
}

/** Target is one server Federate exchanges tokens at. Adding a target = one folder implementing this. */
export interface Target<Options = unknown> {
  readonly name: string;
  /** title is how messages name the server ("AWS STS"). */
  readonly title: string;
  /** parse reads this target's options; problems go to the reader, not exceptions. */
  parse(input: InputReader, env: Env): Options;
  /** audience is the default audience for the platform token when the user gives none. */
  audience(options: Options): string;
  exchange(ctx: ExchangeContext, options: Options): Promise<Credentials>;
  revoke?(ctx: RevokeContext, record: RevokeRecord): Promise<void>;
  /**
   * usesPlatformToken says whether this exchange needs the platform token at all (default: yes). A
   * target that authenticates otherwise (an API key) says no, and the platform is never asked.
   */
  usesPlatformToken?(options: Options): boolean;
  /** relevantClaims are the claims this server's trust conditions usually test, shown on failure. */
  readonly relevantClaims?: readonly string[];
  /** describe renders the secret-free principal/options line for summaries and dry runs. */
  describe?(options: Options): string;
}

/** ExportedVariable is one env var or output a sink writes. */
export interface ExportedVariable {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

/** CleanupRecord is everything cleanup must undo: files written and tokens to revoke. */
export interface CleanupRecord {
  readonly files: readonly string[];
  readonly revoke: readonly RevokeRecord[];
}

/** Sink is a platform's way of handing credentials to later steps. Mask first, export second. */
export interface Sink {
  /** mask tells the platform's log masker about a secret (no-op where the platform has none). */
  mask(value: string): void;
  /**
   * masksEncodings says the platform's masker derives encoded forms itself (GitHub's runner does):
   * mask() then receives only raw values and their lines.
   */
  readonly masksEncodings?: boolean;
  /** writeFile writes into the job's private directory with mode 0600 (atomic, no symlink follow), records it for cleanup, and returns its absolute path. */
  writeFile(file: CredentialFile): Promise<string>;
  exportEnv(vars: readonly ExportedVariable[]): Promise<void>;
  setOutputs(outputs: readonly ExportedVariable[]): Promise<void>;
  recordCleanup(record: CleanupRecord): Promise<void>;
  writeSummary(summary: RunSummary): Promise<void>;
}

/** Platform is one CI: how to detect it, how to get its token, how to export. */
export interface Platform {
  readonly name: PlatformName;
  readonly tokenSource: TokenSource;
  readonly sink: Sink;
  /** defaultAudience is used when neither the user nor the target names one (e.g. CircleCI's org id). */
  readonly defaultAudience?: string;
  /**
   * fixedAudience is the audience of a token the platform hands out ready-made and cannot re-mint
   * (GitLab's id_tokens, a token file). When the user names no audience it wins over the target's
   * default: asking for anything else could only fail with ERR_PLATFORM_AUDIENCE_MISMATCH.
   */
  readonly fixedAudience?: string;
}

/** ExchangeSummary is the secret-free record of one exchange (audit log and step summary). */
export interface ExchangeSummary {
  readonly id: string;
  readonly target: string;
  readonly title: string;
  readonly audience: string;
  readonly ok: boolean;
  readonly principal?: string;
  readonly expiresAt?: string;
  readonly env: readonly string[];
  readonly outputs: readonly string[];
  readonly files: readonly string[];
  readonly notes: readonly string[];
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}

/** RunSummary is the secret-free record of a whole run; every sink renders the same one. */
export interface RunSummary {
  readonly platform: string;
  readonly dryRun: boolean;
  readonly identity:
    | {
        readonly issuer: string;
        readonly subject: string;
        readonly audience: readonly string[];
        readonly expiresAt?: string;
        readonly claims: Readonly<Record<string, string>>;
      }
    | undefined;
  readonly exchanges: readonly ExchangeSummary[];
}

/** Deps are the I/O a run needs, injected by the composition root. */
export interface Deps {
  /** transport performs HTTP attempts (node:http at the edges; `fetchTransport(fetch)` in tests). */
  readonly transport: Transport;
  readonly env: Env;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly log: Logger;
  readonly secrets: SecretRegistry;
  readonly userAgent: string;
  readonly exec?: ExecFunction;
}

/** FailureReport pairs an error with what diagnostics need. */
export interface FailureReport {
  readonly exchange: string;
  readonly error: FederateError;
}
