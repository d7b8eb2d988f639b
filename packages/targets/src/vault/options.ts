/**
 * options.ts: the vault target's inputs (Vault and OpenBao speak the same JWT auth and KV APIs). The
 * address and namespace default to the variables every Vault client reads, VAULT_ADDR and
 * VAULT_NAMESPACE. Custom CA certificates are not an option: point NODE_EXTRA_CA_CERTS at the bundle.
 */
import { checkSecureUrl, type Env, type InputReader } from '@federate/core';
import { parseSecretMappings, type SecretMapping } from './secrets.js';

/** KvVersion says how secret paths are read: `auto` treats a path with a `/data/` segment as KV v2. */
export type KvVersion = 'auto' | '1' | '2';

/** VaultOptions are the vault target's parsed inputs. */
export interface VaultOptions {
  readonly url: URL;
  readonly role: string;
  /** mount is the JWT auth method's mount path (`jwt`, `gitlab`, `auth/ci` without `auth/`). */
  readonly mount: string;
  readonly namespace: string | undefined;
  readonly secrets: readonly SecretMapping[];
  readonly kvVersion: KvVersion;
  readonly exportToken: boolean;
  readonly revoke: boolean;
}

/**
 * DEFAULT_AUDIENCE is the token audience requested when the user names none. It is what
 * `federate trust` binds in generated roles (`bound_audiences: ["vault"]`); Vault has no default of
 * its own and vault-action leaves the platform's default (`https://github.com/<owner>`), which
 * differs per CI and so cannot be one role's binding.
 */
export const DEFAULT_AUDIENCE = 'vault';
/** DEFAULT_MOUNT is where `vault auth enable jwt` mounts the method. */
export const DEFAULT_MOUNT = 'jwt';

// vault-action's other methods need static credentials, which is what a token exchange replaces.
const NOT_JWT = new Set(['token', 'approle', 'github', 'kubernetes', 'ldap', 'userpass']);
const MOUNT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const ROLE = /^[A-Za-z0-9_.@-]{1,128}$/;
const NAMESPACE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/;

/** parse reads the vault target's inputs; every problem goes to the reader. */
export function parse(input: InputReader, env: Env): VaultOptions {
  let url: URL | undefined;
  if (input.has('url')) {
    url = input.url('url', { hint: 'the Vault address, e.g. https://vault.example.com:8200' });
  } else if (env['VAULT_ADDR']) {
    const checked = checkSecureUrl(env['VAULT_ADDR']);
    if (typeof checked === 'string')
      input.problem(
        'url',
        checked.startsWith('must use https') ? 'ERR_CONFIG_INSECURE_URL' : 'ERR_CONFIG_URL',
        `(from VAULT_ADDR) ${checked}`,
        'set url or fix VAULT_ADDR',
      );
    else url = checked;
  } else {
    input.problem('url', 'ERR_CONFIG_REQUIRED', 'is required', 'set url or VAULT_ADDR to the Vault address');
  }
  const role = input.required('role', {
    pattern: ROLE,
    patternText: 'a Vault role name (letters, digits, . _ @ -)',
    hint: 'the JWT auth role to log in with',
  });
  // vault-action's rule: the mount is `path`, else `method` (whose name is also the default mount).
  const pathInput = input.string('path');
  const methodInput = input.string('method');
  const mountInput = pathInput ?? methodInput;
  if (methodInput !== undefined && NOT_JWT.has(methodInput))
    input.problem(
      'method',
      'ERR_CONFIG_ENUM',
      `${methodInput} auth is not a token exchange; only JWT auth (the jwt or oidc method) is supported`,
      'set method to jwt, or path to the JWT auth mount',
    );
  const mount = (mountInput ?? DEFAULT_MOUNT).replace(/^\/+|\/+$/g, '').replace(/^auth\//, '');
  if (!MOUNT.test(mount))
    input.problem(
      pathInput === undefined ? 'method' : 'path',
      'ERR_CONFIG_PATTERN',
      'must be an auth mount path like jwt or ci/github',
    );
  const namespaceInput = input.string('namespace') ?? (env['VAULT_NAMESPACE'] || undefined);
  const namespace = namespaceInput?.replace(/^\/+|\/+$/g, '') || undefined;
  if (namespace !== undefined && !NAMESPACE.test(namespace))
    input.problem('namespace', 'ERR_CONFIG_PATTERN', 'must be a namespace path like admin or admin/team');
  const kvVersion = input.oneOf<KvVersion>('kv-version', ['auto', '1', '2'], { default: 'auto' }) ?? 'auto';
  const exportToken = input.boolean('export-token', true);
  const revoke = input.boolean('revoke', true);
  let secrets: SecretMapping[] = [];
  const raw = input.raw('secrets');
  if (raw !== undefined) {
    const parsed = parseSecretMappings(raw);
    for (const p of parsed.problems)
      input.problem(
        'secrets',
        'ERR_CONFIG_INVALID',
        `line ${p.line}: ${p.message}`,
        'one `<path> <key> | <NAME>` per line or `;`',
      );
    secrets = parsed.mappings;
  }
  if (secrets.length === 0 && !exportToken)
    input.problem(
      'export-token',
      'ERR_CONFIG_INVALID',
      'is false and no secrets are mapped, so the exchange would produce nothing',
      'map some secrets or export the token',
    );
  return {
    url: url ?? new URL('https://invalid.invalid'),
    role,
    mount,
    namespace,
    secrets,
    kvVersion,
    exportToken,
    revoke,
  };
}
