/**
 * @federate/platforms: one folder per CI, each a token source (where the OIDC token comes from) and a
 * sink (how credentials reach later steps), plus detection. Composition roots pick one with
 * `detectPlatform(env)` and `create(ctx)` it.
 */
export * from './circleci/index.js';
export * from './cloudbuild/index.js';
export * from './detect.js';
export * from './file/index.js';
export * from './github/index.js';
export * from './gitlab/index.js';
export type { CleanupState, StateStore } from './shared/cleanup-state.js';
export { checkEnvName, DANGEROUS_ENV_NAMES, outputEnvName } from './shared/env-name.js';
export {
  dotenvLine,
  escapeCommandData,
  githubFileCommand,
  shellExport,
  shellQuote,
} from './shared/escape.js';
export type * from './types.js';
export { parseExchangesYaml } from './shared/exchanges-yaml.js';
export { MAX_RESPONSE_BYTES, nodeTransport, proxyTransport, transportFor } from './shared/transport.js';
export { execNoShell } from './shared/exec.js';
export { sleep } from './shared/sleep.js';
export { writeStderr, writeStdout } from './shared/stdout.js';
export { PrivateDir, writeFileAtomic } from './shared/private-dir.js';
