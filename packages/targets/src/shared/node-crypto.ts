/**
 * node-crypto.ts: node:crypto, loaded on first use. Loading it builds Node's whole crypto stack
 * (6-9 ms of a cold start, bench/); the CLI is one file, so a top-level import would charge every
 * command, `federate --version` included, for the two targets that need it.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
}
