/**
 * token.ts: `federate token --audience <aud>`: print or write a fresh platform token. Used by Google
 * executable-sourced credentials and Azure token files so SDKs can refresh by themselves.
 */
import { ConfigError, decodeIdentity, SecretRegistry } from '@federate/core';
import type { ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit-codes.js';
import { writeFileAtomic } from '@federate/platforms';
import { createPlatform } from '../platform.js';
import { makeDeps, type Io } from '../runtime.js';

const FORMATS = ['raw', 'json', 'google-executable'] as const;

/** runToken is `federate token`. */
export async function runToken(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  const { format = 'raw', audience, ...rest } = args.inputs;
  if (!audience)
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_REQUIRED',
        input: 'audience',
        message: 'is required',
        hint: 'pass --audience with the audience the server trusts',
      },
    ]);
  if (!(FORMATS as readonly string[]).includes(format))
    throw new ConfigError([
      { code: 'ERR_CONFIG_ENUM', input: 'format', message: `must be one of ${FORMATS.join(', ')}` },
    ]);
  const deps = makeDeps(io, secrets, 'cli', rest['platform'] ?? 'auto');
  const platform = createPlatform(io, deps, secrets, { ...rest, ...(rest['output-file'] ? {} : {}) });
  const token = secrets.add(await platform.tokenSource.idToken(audience));
  const identity = decodeIdentity(token, platform.name);
  const exp = identity.expiresAt ? Math.floor(identity.expiresAt.getTime() / 1000) : undefined;
  let text: string;
  if (format === 'google-executable') {
    // https://google.aip.dev/auth/4117: the executable response for OIDC subject tokens.
    text = JSON.stringify({
      version: 1,
      success: true,
      token_type: 'urn:ietf:params:oauth:token-type:id_token',
      id_token: token,
      ...(exp ? { expiration_time: exp } : {}),
    });
  } else if (format === 'json') {
    text = JSON.stringify({ token, ...(exp ? { expires_at: exp } : {}) });
  } else text = token;
  const out = rest['output-file'];
  // Token files never end in a newline: SDKs send the file byte for byte.
  if (out) await writeFileAtomic('cli', out, text);
  else io.stdout(text);
  return EXIT_OK;
}
