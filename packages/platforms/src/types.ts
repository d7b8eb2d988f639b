/**
 * types.ts: what a platform is to the composition roots. Each CI folder exports one PlatformModule:
 * detection from the environment, and a factory that builds its token source and sink around the
 * I/O the caller passes in.
 */
import type {
  Env,
  ExecFunction,
  HttpClient,
  Logger,
  Platform,
  PlatformName,
  RevokeRecord,
  SecretRegistry,
} from '@federate/core';

/** OutputFormat is how the file platform writes exports. */
export type OutputFormat = 'github' | 'gitlab' | 'circleci' | 'cloudbuild' | 'shell' | 'dotenv' | 'json';

/** PlatformOptions are the per-run knobs the CLI or action passes to a platform. */
export interface PlatformOptions {
  /** format is the file platform's output format (default `shell`). */
  format?: OutputFormat;
  /** outputFile makes the file platform write exports there (mode 0600) instead of to stdout. */
  outputFile?: string;
  /** tokenVariable names the GitLab id_tokens variable, or the file platform's token variable (default FEDERATE_ID_TOKEN). */
  tokenVariable?: string;
  /** tokenFile is a path the file platform re-reads on each use (k8s projected token, SPIFFE JWT-SVID). */
  tokenFile?: string;
  /** privateDir overrides the job-private directory. */
  privateDir?: string;
  /** circleciTokenVersion picks CIRCLE_OIDC_TOKEN (v1) or CIRCLE_OIDC_TOKEN_V2 (v2, default). */
  circleciTokenVersion?: 'v1' | 'v2';
}

/** PlatformContext is the I/O a platform may use; the composition root builds it. */
export interface PlatformContext {
  /** env is process.env as passed in. */
  env: Env;
  /** http is core's helper (timeouts, retries), used for token endpoints. */
  http: HttpClient;
  secrets: SecretRegistry;
  log: Logger;
  now(): number;
  /** exec runs a program without a shell (CircleCI's `circleci run oidc get`). */
  exec?: ExecFunction;
  /** write prints to the job log (stdout); sinks print their secret-free summary and workflow commands here. */
  write(text: string): void;
  options: PlatformOptions;
}

/** DetectResult says whether a platform is present and which variables it looked at. */
export interface DetectResult {
  detected: boolean;
  lookedFor: string[];
}

/** PlatformModule is one CI's entry: detect it, then create its instance. */
export interface PlatformModule {
  readonly name: PlatformName;
  detect(env: Env): DetectResult;
  create(ctx: PlatformContext): PlatformInstance;
}

/** CleanupResult lists the files cleanup removed and the revoke records the caller must execute. */
export interface CleanupResult {
  removed: string[];
  revoke: RevokeRecord[];
}

/** PlatformInstance is a Platform plus its private directory and cleanup. */
export interface PlatformInstance extends Platform {
  readonly privateDir: string;
  /** cleanup removes every file this platform recorded and returns the revoke records to execute. */
  cleanup(): Promise<CleanupResult>;
}
