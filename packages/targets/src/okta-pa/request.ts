/**
 * request.ts: the pure builder for the one `sft` run. The platform token travels only in the child's
 * environment, named by `--jwt-env` (the flag exists precisely so the JWT stays out of argv, where
 * `ps` and process accounting would show it). The child gets a minimal environment: the JWT, the two
 * variables the OPA documentation exports (OPA_ADDR, SFT_TEAM), and what a program needs to run and
 * reach the network (PATH, HOME, proxies). Nothing else from the job, so no other secret leaks in.
 */
import type { Env } from '@federate/core';
import type { OktaPaOptions } from './options.js';

/** JWT_ENV is the variable the platform token is handed to `sft` in. */
export const JWT_ENV = 'FEDERATE_OPA_JWT';

/** PASSED_ENV lists the job's variables the child inherits (when set). */
export const PASSED_ENV = [
  'PATH',
  'HOME',
  'USERPROFILE',
  'SYSTEMROOT',
  'TMPDIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'SSL_CERT_FILE',
] as const;

/** SftCommand is one program run: file, argv (no secrets) and environment. */
export interface SftCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
}

/** authenticateCommand builds `sft workload authenticate …` with the JWT in the environment only. */
export function authenticateCommand(options: OktaPaOptions, jobEnv: Env, jwt: string): SftCommand {
  const args = [
    'workload',
    'authenticate',
    '--team',
    options.team,
    '--connection',
    options.connection,
    '--jwt-env',
    JWT_ENV,
  ];
  if (options.roleHint !== undefined) args.push('--role-hint', options.roleHint);
  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const v = jobEnv[name];
    if (v !== undefined && v !== '') env[name] = v;
  }
  env['SFT_TEAM'] = options.team;
  const address = options.address ? options.address.href.replace(/\/$/, '') : jobEnv['OPA_ADDR'];
  if (address) env['OPA_ADDR'] = address;
  env[JWT_ENV] = jwt;
  return { file: options.sftPath, args, env, timeoutMs: options.timeoutMs };
}
