/**
 * exchanges-file.ts: the `exchanges` input is a YAML list, inline (wrappers pass it through a
 * variable) or a file path. The YAML parser is loaded only when the input is used.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@federate/core';

/** loadExchanges returns the parsed list, or undefined when the input is absent. */
export async function loadExchanges(value: string | undefined): Promise<unknown> {
  if (value === undefined || value.trim() === '') return undefined;
  const inline = /[\n:[]/.test(value) || value.trimStart().startsWith('-');
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      throw new ConfigError([{ code: 'ERR_CONFIG_INVALID', input: 'exchanges', message: 'is neither inline YAML nor a readable file', hint: 'pass a path to a YAML file or the YAML list itself' }]);
    }
  }
  const { parse } = await import('yaml');
  try {
    // Plain YAML 1.2 core schema: no custom tags, so a hostile document cannot construct anything.
    return parse(text, { schema: 'core', maxAliasCount: 0 });
  } catch {
    throw new ConfigError([{ code: 'ERR_CONFIG_INVALID', input: 'exchanges', message: 'is not valid YAML', hint: 'check the indentation of the list items' }]);
  }
}
