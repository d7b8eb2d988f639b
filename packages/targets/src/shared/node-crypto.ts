/**
 * node-crypto.ts: node:crypto, loaded on first use. Loading it builds Node's whole crypto stack
 * (6-9 ms of a cold start, bench/); a top-level import would charge every run of whatever file the
 * target is bundled into, for the two targets that need it.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
}
