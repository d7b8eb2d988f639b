/**
 * sft.ts: a stand-in for the Okta Privileged Access client, `sft`, which is not published on npm or
 * Debian (protocols-and-peers §6.1), so there is no real peer to test against. `writeFakeSft` writes a
 * plain `#!/usr/bin/env node` script named `sft` into a directory; put that directory first on PATH.
 *
 * It emulates `sft workload authenticate` (alias `sft wl auth`) as the OPA documentation describes it:
 * flags --team (or SFT_TEAM), --connection, --jwt-env, --role-hint; the JWT read from the variable
 * --jwt-env names; the OPA token printed on stdout. Workload connections are Draft, Active or
 * inactive and check the JWT's claims with the documented operators Equals / Starts with / Exists
 * (no signature check: the stand-in has no network). Draft connections validate the JWT but issue no
 * usable token; roles whose policy has interactive constraints (MFA, access requests, checkouts) are
 * cancelled. Messages and exit codes are not documented: the stand-in's are modelled on the client's
 * Cobra-style CLI (`Error: …` on stderr, exit 1; exit 0 with only the token on stdout).
 *
 * Every run appends one JSON line to the log: argv, the names of every variable it received, the
 * values of the non-secret ones it reads (SFT_TEAM, OPA_ADDR), the SHA-256 of the JWT (never the
 * JWT), whether the JWT appeared in argv, the outcome and the token it issued.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** FakeSftClaimRule is one required claim of a workload connection (documented operators). */
export interface FakeSftClaimRule {
  readonly claim: string;
  readonly op: 'equals' | 'startsWith' | 'exists';
  readonly value?: string;
}

/** FakeSftRole is a workload role; `constraint` makes its policy interactive, which cancels requests. */
export interface FakeSftRole {
  readonly constraint?: 'mfa' | 'access-request' | 'checkout';
}

/** FakeSftConnection is one workload connection. */
export interface FakeSftConnection {
  readonly status: 'active' | 'draft' | 'inactive';
  /** audience, when set, must be one of the JWT's `aud` values. */
  readonly audience?: string;
  readonly issuer?: string;
  readonly claims?: readonly FakeSftClaimRule[];
  /** roles the connection's workloads may match; absent = any role hint is accepted. */
  readonly roles?: Readonly<Record<string, FakeSftRole>>;
}

/** FakeSftForced makes the next runs answer exactly this (team-independent faults, odd clients). */
export interface FakeSftForced {
  readonly exit: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

/** FakeSftConfig is the stand-in's world; `configure` replaces it between runs. */
export interface FakeSftConfig {
  readonly teams: Readonly<
    Record<string, { readonly connections: Readonly<Record<string, FakeSftConnection>> }>
  >;
  /** token is printed on success; default a fresh random opaque token per run. */
  readonly token?: string;
  /** draft decides how a Draft connection answers: an error (default) or an unusable token plus a warning. */
  readonly draft?: 'error' | 'token';
  /** old emulates a client without workload support (unknown command). */
  readonly old?: boolean;
  readonly forced?: FakeSftForced;
}

/** FakeSftCall is one logged run. */
export interface FakeSftCall {
  readonly argv: string[];
  readonly envKeys: string[];
  readonly env: Record<string, string>;
  readonly jwtEnv: string | undefined;
  readonly jwtSha256: string | undefined;
  /** jwtInArgv is true when the JWT's value (or anything JWT-shaped) was on the command line. */
  readonly jwtInArgv: boolean;
  readonly exit: number;
  readonly issued: string | undefined;
}

/** FakeSft is a written stand-in. */
export interface FakeSft {
  /** path is the script's absolute path (pass as sft-path, or put `dir` on PATH). */
  readonly path: string;
  readonly dir: string;
  readonly logFile: string;
  configure(config: FakeSftConfig): void;
  calls(): FakeSftCall[];
}

const SCRIPT = String.raw`
(async () => {
  const fs = await import('node:fs');
  const crypto = await import('node:crypto');
  const config = JSON.parse(fs.readFileSync(CONFIG_FILE, 'utf8'));
  const argv = process.argv.slice(2);
  const record = {
    argv,
    envKeys: Object.keys(process.env).sort(),
    env: {},
    jwtEnv: undefined,
    jwtSha256: undefined,
    jwtInArgv: argv.some((a) => /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/.test(a)),
    exit: 0,
    issued: undefined,
  };
  for (const name of ['SFT_TEAM', 'OPA_ADDR']) if (process.env[name] !== undefined) record.env[name] = process.env[name];
  const finish = (exit, stdout, stderr) => {
    record.exit = exit;
    fs.appendFileSync(LOG_FILE, JSON.stringify(record) + '\n');
    if (stdout) process.stdout.write(stdout);
    if (stderr) process.stderr.write(stderr);
    process.exitCode = exit;
  };
  const fail = (message) => finish(1, '', 'Error: ' + message + '\n');

  const flags = {};
  const rest = [];
  const known = ['team', 'connection', 'jwt-env', 'role-hint'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { rest.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) return fail('unknown flag: --' + name);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) return fail('flag needs an argument: --' + name);
    flags[name] = value;
  }
  if (flags['jwt-env']) {
    record.jwtEnv = flags['jwt-env'];
    const jwt = process.env[flags['jwt-env']];
    if (jwt) {
      record.jwtSha256 = crypto.createHash('sha256').update(jwt).digest('hex');
      if (argv.some((a) => a.includes(jwt))) record.jwtInArgv = true;
    }
  }
  if (config.forced) return finish(config.forced.exit, config.forced.stdout ?? '', config.forced.stderr ?? '');
  const cmd = rest.join(' ');
  if (config.old || !(cmd === 'workload authenticate' || cmd === 'wl auth'))
    return fail('unknown command "' + (rest[0] ?? '') + '" for "sft"');
  if (record.jwtInArgv) return finish(2, '', 'Error: a JWT must be passed with --jwt-env, not on the command line\n');
  const teamName = flags['team'] ?? process.env['SFT_TEAM'];
  if (!teamName) return fail('required flag(s) "team" not set');
  if (!flags['connection']) return fail('required flag(s) "connection" not set');
  if (!flags['jwt-env']) return fail('required flag(s) "jwt-env" not set');
  const team = config.teams[teamName];
  if (!team) return fail('team "' + teamName + '" not found');
  const connName = flags['connection'];
  const conn = team.connections[connName];
  if (!conn) return fail('workload connection "' + connName + '" not found in team "' + teamName + '"');
  if (conn.status === 'inactive') return fail('workload connection "' + connName + '" is inactive');

  const jwt = process.env[flags['jwt-env']];
  if (!jwt) return fail('environment variable ' + flags['jwt-env'] + ' is empty: expected a JWT');
  let claims;
  try {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw new Error('parts');
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return fail('JWT validation failed: the token is not a well-formed JWT');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === 'number' && claims.exp < now) return fail('JWT validation failed: the token is expired');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (conn.audience !== undefined && !aud.includes(conn.audience))
    return fail('JWT validation failed: claim "aud" does not match the connection');
  if (conn.issuer !== undefined && claims.iss !== conn.issuer)
    return fail('JWT validation failed: claim "iss" does not match the connection');
  for (const rule of conn.claims ?? []) {
    const v = claims[rule.claim];
    const text = typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v);
    const ok =
      rule.op === 'exists' ? text !== undefined
      : rule.op === 'equals' ? text === rule.value
      : text !== undefined && text.startsWith(rule.value);
    if (!ok) return fail('JWT validation failed: claim "' + rule.claim + '" does not satisfy ' + rule.op);
  }
  const token = config.token ?? 'opa_' + crypto.randomBytes(24).toString('base64url');
  if (conn.status === 'draft') {
    if (config.draft === 'token') {
      record.issued = token;
      return finish(0, token + '\n', 'Warning: workload connection "' + connName + '" is in Draft status; its tokens cannot access resources\n');
    }
    return fail('JWT validated, but workload connection "' + connName + '" is in Draft status and issues no access token');
  }
  const roleName = flags['role-hint'];
  if (roleName !== undefined && conn.roles) {
    const role = conn.roles[roleName];
    if (!role) return fail('no workload role "' + roleName + '" matches this workload');
    if (role.constraint === 'mfa')
      return fail('request canceled: the policy for workload role "' + roleName + '" requires MFA, which a workload cannot complete');
    if (role.constraint === 'access-request')
      return fail('request canceled: the policy for workload role "' + roleName + '" requires an access request');
    if (role.constraint === 'checkout')
      return fail('request canceled: the policy for workload role "' + roleName + '" requires a resource checkout');
  }
  record.issued = token;
  return finish(0, token + '\n', '');
})().catch((e) => {
  process.stderr.write('Error: internal: ' + (e && e.message) + '\n');
  process.exitCode = 70;
});
`;

/** writeFakeSft writes the stand-in `sft` (and its config) into `dir` and returns handles to it. */
export function writeFakeSft(dir: string, config: FakeSftConfig): FakeSft {
  const path = join(dir, 'sft');
  const configFile = join(dir, 'sft-fake-config.json');
  const logFile = join(dir, 'sft-fake-log.jsonl');
  const header = `#!/usr/bin/env node\n'use strict';\nconst CONFIG_FILE = ${JSON.stringify(configFile)};\nconst LOG_FILE = ${JSON.stringify(logFile)};\n`;
  writeFileSync(path, header + SCRIPT, { mode: 0o755 });
  chmodSync(path, 0o755);
  const configure = (next: FakeSftConfig) => writeFileSync(configFile, JSON.stringify(next));
  configure(config);
  return {
    path,
    dir,
    logFile,
    configure,
    calls: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l) as FakeSftCall)
        : [],
  };
}
