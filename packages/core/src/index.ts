/**
 * @federate/core: the model, config parsing, errors, HTTP helper, redaction and orchestration.
 * Pure: callers pass env, fetch, clock, sleep and randomness in.
 */
export * from './duration.js';
export * from './env-name.js';
export * from './errors.js';
export * from './file-refs.js';
export * from './format-error.js';
export * from './http.js';
export * from './identity.js';
export type * from './model.js';
export * from './options.js';
export * from './orchestrate.js';
export * from './redact.js';
export * from './run-config.js';
export * from './spelling.js';
export * from './summary.js';
export * from './timestamp.js';
export * from './url.js';
export * from './version.js';
