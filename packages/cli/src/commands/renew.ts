/**
 * renew.ts: `federate renew`: extend the Vault token an earlier `federate exchange --target vault
 * --export-token` exported (VAULT_TOKEN, VAULT_ADDR, VAULT_NAMESPACE) with
 * `POST /v1/auth/token/renew-self`. Vault renews only up to the role's token_max_ttl; past it only a
 * new login helps, which needs a fresh platform token, so the command then fails and says to run the
 * exchange again instead of logging in behind the user's back.
 * https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self
 */
import { isoTimestamp } from '@federate/core';
import { type ConfigIssue, ConfigError, ExchangeError, parseDuration, SecretRegistry } from '@federate/core';
import type { ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit-codes.js';
import { httpFor, type Io, makeDeps } from '../runtime.js';

const RELOGIN_HINT =
  'the token cannot be renewed any further: run `federate exchange --target vault …` again to log in with a fresh platform token';

interface RenewAnswer {
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
}

function parseAnswer(text: string): RenewAnswer | undefined {
  try {
    const body = JSON.parse(text) as {
      auth?: { lease_duration?: unknown; renewable?: unknown };
      warnings?: unknown;
    };
    const auth = body.auth;
    if (!auth || typeof auth.lease_duration !== 'number') return undefined;
    return {
      leaseDuration: auth.lease_duration,
      renewable: auth.renewable === true,
      warnings: Array.isArray(body.warnings) ? body.warnings.filter((w) => typeof w === 'string') : [],
    };
  } catch {
    return undefined;
  }
}

function vaultErrors(text: string): string {
  try {
    const errors = (JSON.parse(text) as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors.map((e) => String(e).trim()).join('; ');
  } catch {}
  return '';
}

/** runRenew is `federate renew`. */
export async function runRenew(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  const token = io.env['VAULT_TOKEN'];
  const addr = args.inputs['url'] ?? io.env['VAULT_ADDR'];
  const namespace = args.inputs['namespace'] ?? io.env['VAULT_NAMESPACE'];
  const issues: ConfigIssue[] = [];
  if (!token)
    issues.push({
      code: 'ERR_CONFIG_REQUIRED',
      input: 'VAULT_TOKEN',
      message: 'is not set: there is no Vault token to renew',
      hint: 'run `federate exchange --target vault --export-token …` first (it exports VAULT_TOKEN and VAULT_ADDR)',
    });
  let url: URL | undefined;
  if (!addr)
    issues.push({
      code: 'ERR_CONFIG_REQUIRED',
      input: 'url',
      message: 'is required (or VAULT_ADDR)',
    });
  else
    try {
      url = new URL(addr);
    } catch {
      issues.push({ code: 'ERR_CONFIG_URL', input: 'url', message: 'must be an absolute URL' });
    }
  const incrementText = args.inputs['increment'];
  const incrementMs = incrementText === undefined ? undefined : parseDuration(incrementText);
  if (incrementText !== undefined && (incrementMs === undefined || incrementMs < 1000))
    issues.push({
      code: 'ERR_CONFIG_DURATION',
      input: 'increment',
      message: 'must be a duration of at least 1s, like 30m or 1h',
    });
  if (issues.length || !token || !url) throw new ConfigError(issues);
  secrets.add(token);

  const deps = makeDeps(io, secrets, 'cli', 'none');
  const increment = incrementMs === undefined ? undefined : Math.floor(incrementMs / 1000);
  const res = await httpFor(deps).request({
    what: 'Vault token renew-self',
    url: new URL('v1/auth/token/renew-self', url.href.endsWith('/') ? url : `${url.href}/`),
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-vault-request': 'true',
      'x-vault-token': token,
      ...(namespace ? { 'x-vault-namespace': namespace } : {}),
    },
    // An empty body asks for the role's token_ttl again, as `vault token renew` does.
    body: JSON.stringify(increment === undefined ? {} : { increment: `${increment}s` }),
  });
  if (res.status !== 200) {
    const detail = secrets.redact(vaultErrors(res.text)).slice(0, 300);
    // 403: expired, revoked or past its max TTL already; 400: not renewable (batch) or at max TTL.
    throw new ExchangeError(
      'ERR_EXCHANGE_REJECTED',
      'vault',
      `Vault refused to renew the token (HTTP ${res.status}${detail ? `: ${detail}` : ''})`,
      { status: res.status, hint: RELOGIN_HINT },
    );
  }
  const answer = parseAnswer(res.text);
  if (!answer)
    throw new ExchangeError('ERR_EXCHANGE_BAD_RESPONSE', 'vault', 'Vault answered renew-self without auth');
  const expires = isoTimestamp(new Date(deps.now() + answer.leaseDuration * 1000));
  for (const w of answer.warnings) deps.log.warn(`Vault: ${secrets.redact(w).slice(0, 300)}`);
  if (increment !== undefined && answer.leaseDuration < increment)
    deps.log.warn(
      `the token was renewed for ${answer.leaseDuration}s only (asked ${increment}s): it reaches its max TTL at ${expires}; run \`federate exchange --target vault …\` again before then`,
    );
  deps.log.info(`federate renew: the Vault token now expires in ${answer.leaseDuration}s (${expires})`);
  return EXIT_OK;
}
