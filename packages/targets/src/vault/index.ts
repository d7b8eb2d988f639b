/**
 * vault: Vault / OpenBao JWT auth. Log in with the platform token at `auth/<mount>/login`, read the
 * mapped KV secrets with the client token, export them (every value and every line of it masked),
 * and export or revoke the token. A token that read secrets but is not exported is revoked at once;
 * an exported one is revoked at cleanup. Batch tokens cannot be revoked and simply expire.
 */
import {
  type CredentialValue,
  type Credentials,
  type ExchangeContext,
  FederateError,
  type HttpClient,
  type RevokeContext,
  type RevokeRecord,
  type Target,
} from '@federate/core';
import { DEFAULT_AUDIENCE, parse, type VaultOptions } from './options.js';
import {
  loginRequest,
  readRequest,
  resolveSecretPath,
  revokeSelfRequest,
  type VaultEndpoint,
} from './request.js';
import { parseLogin, parseSecret, secretText, TARGET, vaultError } from './response.js';
import { keyEnvName, secretEnvProblem } from './secrets.js';

export {
  DEFAULT_AUDIENCE,
  type KvVersion,
  parse as parseVaultOptions,
  type VaultOptions,
} from './options.js';
export { parseSecretMappings, type SecretMapping } from './secrets.js';

function endpointOf(options: VaultOptions): VaultEndpoint {
  return { url: options.url, namespace: options.namespace };
}

async function revokeToken(http: HttpClient, ep: VaultEndpoint, token: string): Promise<'revoked' | 'gone'> {
  const res = await http.request(revokeSelfRequest(ep, token));
  if (res.status === 204 || res.status === 200) return 'revoked';
  // A token Vault no longer accepts (expired, already revoked) is as good as revoked.
  if (res.status === 403) return 'gone';
  throw vaultError(res, { op: 'revoke' });
}

async function readSecrets(
  ctx: ExchangeContext,
  options: VaultOptions,
  token: string,
): Promise<CredentialValue[]> {
  const ep = endpointOf(options);
  const cache = new Map<string, Record<string, unknown>>();
  const values: CredentialValue[] = [];
  const taken = new Map<string, string>();
  const claim = (env: string, where: string) => {
    const other = taken.get(env.toUpperCase());
    if (other !== undefined)
      throw new FederateError('ERR_CONFIG_ENV_COLLISION', `${where} and ${other} would both export ${env}`, {
        hint: 'map the keys explicitly with `<path> <key> | <NAME>`',
      });
    taken.set(env.toUpperCase(), where);
  };
  for (const mapping of options.secrets) {
    const { apiPath, version } = resolveSecretPath(mapping.path, options.kvVersion);
    let secret = cache.get(apiPath);
    if (!secret) {
      const res = await ctx.http.request(readRequest(ep, token, apiPath));
      if (res.status !== 200) throw vaultError(res, { op: 'read', path: apiPath });
      secret = parseSecret(res, apiPath, version);
      // Register every value the moment it exists, before any check below can fail and print.
      for (const v of Object.values(secret)) ctx.secrets.add(secretText(v));
      cache.set(apiPath, secret);
    }
    if (mapping.kind === 'key') {
      if (!Object.hasOwn(secret, mapping.key)) {
        const keys = Object.keys(secret).slice(0, 20);
        throw new FederateError(
          'ERR_EXCHANGE_FAILED',
          `the secret at ${apiPath} has no key "${mapping.key}" (secrets line ${mapping.line})`,
          {
            hint: keys.length > 0 ? `its keys are: ${keys.join(', ')}` : 'the secret has no keys',
          },
        );
      }
      claim(mapping.env, `secrets line ${mapping.line}`);
      values.push({
        name: `${apiPath}#${mapping.key}`,
        value: secretText(secret[mapping.key]),
        secret: true,
        env: mapping.env,
        output: mapping.output,
      });
      continue;
    }
    for (const [key, raw] of Object.entries(secret)) {
      const env = keyEnvName(mapping.prefix, key);
      const problem = secretEnvProblem(env);
      if (problem)
        throw new FederateError(
          'ERR_CONFIG_INVALID',
          `secrets line ${mapping.line}: key "${clipKey(key)}" of ${apiPath} cannot be exported: ${problem}`,
          { hint: 'give the whole-secret mapping a prefix (`| APP_`), or map keys one by one' },
        );
      claim(env, `secrets line ${mapping.line} (key ${clipKey(key)})`);
      values.push({ name: `${apiPath}#${key}`, value: secretText(raw), secret: true, env, output: env });
    }
  }
  return values;
}

function clipKey(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

/** vaultTarget logs in to Vault / OpenBao with JWT auth and exports the token and mapped KV secrets. */
export const vaultTarget: Target<VaultOptions> = {
  name: 'vault',
  title: 'Vault',
  relevantClaims: [
    'sub',
    'aud',
    'iss',
    'repository',
    'repository_owner',
    'ref',
    'ref_type',
    'environment',
    'job_workflow_ref',
    'project_path',
    'namespace_path',
  ],
  parse,
  audience: () => DEFAULT_AUDIENCE,
  describe(options) {
    const ns = options.namespace ? `, namespace ${options.namespace}` : '';
    return `Vault ${options.url.host}, role ${options.role} at auth/${options.mount}${ns}, ${options.secrets.length} secret mapping(s)`;
  },

  async exchange(ctx, options) {
    const ep = endpointOf(options);
    const jwt = await ctx.token();
    const res = await ctx.http.request(loginRequest(ep, options.mount, options.role, jwt));
    if (res.status !== 200) throw vaultError(res, { op: 'login', mount: options.mount, role: options.role });
    const login = parseLogin(res);
    ctx.secrets.add(login.token);
    const revocable = login.tokenType !== 'batch';

    let values: CredentialValue[];
    try {
      values = await readSecrets(ctx, options, login.token);
    } catch (error) {
      // Nothing will be exported, so nothing would revoke the token later: do it now.
      if (options.revoke && revocable)
        await revokeToken(ctx.http, ep, login.token).catch((e: unknown) =>
          ctx.log.warn(
            `could not revoke the Vault token after a failed read: ${e instanceof FederateError ? e.code : 'error'}`,
          ),
        );
      throw error;
    }

    const notes: string[] = [];
    if (login.policies.length > 0) notes.push(`policies: ${login.policies.join(', ')}`);
    const revoke: RevokeRecord[] = [];
    const record: RevokeRecord = {
      target: TARGET,
      data: {
        url: options.url.href,
        token: login.token,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      },
      secretKeys: ['token'],
    };
    if (options.exportToken) {
      values.unshift(
        { name: 'addr', value: options.url.href.replace(/\/$/, ''), secret: false, env: 'VAULT_ADDR' },
        {
          name: 'token',
          value: login.token,
          secret: true,
          env: 'VAULT_TOKEN',
          output: 'vault-token',
        },
        ...(options.namespace
          ? [{ name: 'namespace', value: options.namespace, secret: false, env: 'VAULT_NAMESPACE' }]
          : []),
      );
      if (options.revoke && revocable) revoke.push(record);
    } else if (options.revoke && revocable) {
      try {
        await revokeToken(ctx.http, ep, login.token);
        notes.push('the Vault token was revoked after reading the secrets');
      } catch (e) {
        ctx.log.warn(
          `could not revoke the Vault token now (${e instanceof FederateError ? e.code : 'error'}); cleanup will retry`,
        );
        revoke.push(record);
      }
    }
    if (!revocable) notes.push('batch token: Vault cannot revoke it; it expires with its TTL');

    return {
      target: TARGET,
      principal: `role ${options.role} at auth/${options.mount}${login.entityId ? ` (entity ${login.entityId})` : ''}`,
      expiresAt: login.leaseDuration > 0 ? new Date(ctx.now() + login.leaseDuration * 1000) : undefined,
      values,
      files: [],
      revoke,
      notes,
    } satisfies Credentials;
  },

  async revoke(ctx: RevokeContext, record: RevokeRecord) {
    const token = record.data['token'];
    const url = record.data['url'];
    if (!token || !url)
      throw new FederateError('ERR_CLEANUP_FAILED', 'the Vault revoke record is incomplete');
    ctx.secrets.add(token);
    const outcome = await revokeToken(
      ctx.http,
      { url: new URL(url), namespace: record.data['namespace'] },
      token,
    );
    ctx.log.debug(outcome === 'revoked' ? 'Vault token revoked' : 'Vault token was already invalid');
  },
};
