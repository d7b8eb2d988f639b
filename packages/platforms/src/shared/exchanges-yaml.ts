/**
 * exchanges-yaml.ts: the `exchanges` input is a YAML list. Every edge (the action, the CLI) parses it
 * here, loading the YAML parser only when the input is used so single-target runs never pay for it.
 */
import { ConfigError } from '@federate/core';

/** parseExchangesYaml parses the document, or throws ERR_CONFIG_INVALID naming the input. */
export async function parseExchangesYaml(text: string): Promise<unknown> {
  const mod = (await import('yaml')) as unknown as {
    parse?: typeof import('yaml').parse;
    default?: { parse: typeof import('yaml').parse };
  };
  // The bundler may hand back the CommonJS build: its functions then hang off `default`.
  const parse = mod.parse ?? mod.default?.parse;
  if (!parse) throw new TypeError('the yaml package exposes no parse()');
  try {
    // The core schema only, no aliases: a hostile document can neither construct objects nor explode.
    return parse(text, { schema: 'core', maxAliasCount: 0 });
  } catch {
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_INVALID',
        input: 'exchanges',
        message: 'is not valid YAML',
        hint: 'check the indentation of the list items (two spaces under each "- target:")',
      },
    ]);
  }
}
