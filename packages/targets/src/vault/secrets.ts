/**
 * secrets.ts: the `secrets` mapping, in hashicorp/vault-action's syntax, parsed strictly. Entries are
 * separated by newlines or `;`:
 *
 *   secret/data/ci/aws accessKey | AWS_KEY      one key, exported as AWS_KEY (output AWS_KEY)
 *   secret/data/ci/aws accessKey                one key, exported as ACCESSKEY (output accessKey)
 *   secret/data/ci/app | APP_                   every key of the secret, as APP_<KEY>
 *   secret/data/ci/app * | APP_                 the same, vault-action's wildcard spelling
 *   secret/data/ci/app *                        every key, as <KEY>
 *
 * vault-action's JSONata selectors are not supported: a key names one top-level field. Names that
 * would let a secret steer later steps (PATH, NODE_OPTIONS, LD_PRELOAD, GITHUB_ENV, …) are refused.
 */
import { envNameProblem } from '@federate/core';

/** KeyMapping exports one key of one secret. */
export interface KeyMapping {
  readonly kind: 'key';
  /** line is the 1-based line of the `secrets` input the entry is on (for messages). */
  readonly line: number;
  readonly path: string;
  readonly key: string;
  readonly env: string;
  readonly output: string;
}

/** AllMapping exports every key of one secret, each as `prefix + KEY`. */
export interface AllMapping {
  readonly kind: 'all';
  readonly line: number;
  readonly path: string;
  readonly prefix: string;
}

/** SecretMapping is one parsed entry of the `secrets` input. */
export type SecretMapping = KeyMapping | AllMapping;

/** MappingProblem is one invalid entry, with its line. */
export interface MappingProblem {
  readonly line: number;
  readonly message: string;
}

/** RESERVED_ENV are the variables the vault target itself exports. */
export const RESERVED_ENV = ['VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_NAMESPACE'] as const;

const PATH_SEGMENT = /^[A-Za-z0-9_.@:+=-]+$/;
const KEY = /^[A-Za-z0-9_.@:+=/-]+$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** envNameOf turns a mapping name into its environment variable (dashes become underscores). */
export function envNameOf(name: string): string {
  return name.replace(/-/g, '_');
}

/** keyEnvName derives a variable name from a secret's key: uppercased, other characters as `_`. */
export function keyEnvName(prefix: string, key: string): string {
  return `${prefix}${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** secretEnvProblem says why a secret may not be exported as `env` (core's policy, plus vault's own names). */
export function secretEnvProblem(env: string): string | undefined {
  const problem = envNameProblem(env);
  if (problem?.kind === 'pattern') return `${env} is not a valid variable name`;
  if (problem) return `${env} cannot be used: ${problem.reason}; pick another name`;
  const upper = env.toUpperCase();
  if ((RESERVED_ENV as readonly string[]).includes(upper))
    return `${env} is exported by the vault target itself`;
  // A secret's value must not reconfigure a later Federate run (FEDERATE_PLATFORM, FEDERATE_ID_TOKEN, …).
  if (upper.startsWith('FEDERATE_'))
    return `${env} cannot be used: FEDERATE_* names configure Federate; pick another name`;
  return undefined;
}

function pathProblem(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.length < 2) return `path "${path}" must be <mount>/<path>`;
  for (const s of segments) {
    if (s === '') return `path "${path}" has an empty segment`;
    if (s === '.' || s === '..') return `path "${path}" must not contain . or .. segments`;
    if (!PATH_SEGMENT.test(s)) return `path "${path}" has characters Vault paths do not use`;
  }
  return undefined;
}

function parseEntry(text: string, line: number): SecretMapping | string {
  const bars = text.split('|');
  if (bars.length > 2) return 'has more than one "|"';
  const left = (bars[0] ?? '').trim();
  const name = bars.length === 2 ? (bars[1] ?? '').trim() : undefined;
  if (name === '') return 'has nothing after "|"; write the variable name there';
  const words = left.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return 'has no path';
  if (words.length > 2) return 'must be `<path> <key> | <NAME>` (the key cannot contain spaces)';
  const path = (words[0] as string).replace(/^\/+/, '');
  const problem = pathProblem(path);
  if (problem) return problem;
  const key = words[1];
  if (key === undefined || key === '*') {
    const prefix = name ?? '';
    if (prefix !== '' && !PREFIX.test(prefix))
      return `prefix "${prefix}" must be letters, digits and _ and start with a letter or _`;
    return { kind: 'all', line, path, prefix };
  }
  if (!KEY.test(key)) return `key "${key}" has characters that are not supported`;
  let output: string;
  let env: string;
  if (name === undefined) {
    output = key.replace(/[^A-Za-z0-9_-]/g, '_');
    env = keyEnvName('', key);
    if (!/^[A-Za-z_]/.test(env)) return `key "${key}" does not start a valid variable name; add "| NAME"`;
  } else {
    if (!NAME.test(name))
      return `name "${name}" must be letters, digits, _ and -, starting with a letter or _`;
    output = name;
    env = envNameOf(name);
  }
  const envProblem = secretEnvProblem(env);
  if (envProblem) return envProblem;
  return { kind: 'key', line, path, key, env, output };
}

/** parseSecretMappings reads the whole `secrets` input; every bad entry is reported with its line. */
export function parseSecretMappings(text: string): {
  mappings: SecretMapping[];
  problems: MappingProblem[];
} {
  const mappings: SecretMapping[] = [];
  const problems: MappingProblem[] = [];
  const seenEnv = new Map<string, number>();
  const seenOutput = new Map<string, number>();
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = index + 1;
    for (const part of raw.split(';')) {
      const entry = part.trim();
      if (entry === '') continue;
      const parsed = parseEntry(entry, line);
      if (typeof parsed === 'string') {
        problems.push({ line, message: parsed });
        continue;
      }
      if (parsed.kind === 'key') {
        const envLine = seenEnv.get(parsed.env.toUpperCase());
        const outLine = seenOutput.get(parsed.output);
        if (envLine !== undefined || outLine !== undefined) {
          problems.push({
            line,
            message: `${parsed.env} is already mapped on line ${envLine ?? outLine}`,
          });
          continue;
        }
        seenEnv.set(parsed.env.toUpperCase(), line);
        seenOutput.set(parsed.output, line);
      }
      mappings.push(parsed);
    }
  });
  return { mappings, problems };
}
