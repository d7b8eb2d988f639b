/**
 * options.ts: the okta-pa target's inputs. Okta Privileged Access documents workload authentication
 * only through its client CLI (seed 000 "Required client tooling"; protocols-and-peers §6.1):
 *
 *   export OPA_ADDR=<URL>; export SFT_TEAM=<team>
 *   OPA_TOKEN=$(sft workload authenticate --team <team> --connection <name> --jwt-env <VAR> --role-hint <role>)
 *
 * so the options are that command's flags plus where `sft` lives. There is no universal audience: the
 * workload connection's required claims decide it, so the user must give `audience`.
 */
import type { Env, InputReader } from '@federate/core';

/** OktaPaOptions are the okta-pa target's parsed inputs. */
export interface OktaPaOptions {
  readonly team: string;
  readonly connection: string;
  readonly roleHint: string | undefined;
  /** sftPath is `sft` (looked up on PATH) or a path to the client. */
  readonly sftPath: string;
  /** address is OPA_ADDR, the Okta Privileged Access URL, when the team is not on the default host. */
  readonly address: URL | undefined;
  readonly envName: string;
  readonly timeoutMs: number;
}

/** DEFAULT_ENV_NAME is the variable the OPA documentation assigns the token to. */
export const DEFAULT_ENV_NAME = 'OPA_TOKEN';
/** DEFAULT_SFT_TIMEOUT_MS bounds one `sft workload authenticate` run. */
export const DEFAULT_SFT_TIMEOUT_MS = 60_000;

// Names go into argv (never through a shell); a leading dash would be read as a flag.
const TEAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,199}$/;
const RESERVED_ENV = ['OPA_TEAM', 'SFT_TEAM', 'OPA_CONNECTION', 'OPA_ADDR', 'OPA_WORKLOAD_ROLE'];
const PROGRAM = /^[^-\s\0][^\0\n\r]{0,1023}$/;

/** parse reads the okta-pa target's inputs; every problem goes to the reader. */
export function parse(input: InputReader, _env: Env): OktaPaOptions {
  const team = input.required('team', {
    pattern: TEAM,
    patternText: 'an Okta Privileged Access team name (letters, digits, . _ -)',
    hint: 'the team name shown in the Okta Privileged Access admin console (SFT_TEAM)',
  });
  const connection = input.required('connection', {
    pattern: NAME,
    patternText: 'a workload connection name (not starting with -)',
    hint: 'the workload connection a security admin promoted to Active',
  });
  const roleHint = input.string('role-hint', {
    pattern: NAME,
    patternText: 'a workload role name (not starting with -)',
  });
  const sftPath =
    input.string('sft-path', {
      pattern: PROGRAM,
      patternText: 'a program name or path (not starting with -)',
    }) ?? 'sft';
  const address = input.url('address', {
    hint: 'your Okta Privileged Access URL, exported to sft as OPA_ADDR',
  });
  const envName = input.envName('env-name', DEFAULT_ENV_NAME, { own: RESERVED_ENV });
  const timeoutMs =
    input.duration('sft-timeout', { min: 1000, max: 600_000, default: DEFAULT_SFT_TIMEOUT_MS }) ??
    DEFAULT_SFT_TIMEOUT_MS;
  return { team, connection, roleHint, sftPath, address, envName, timeoutMs };
}
