/**
 * exchanges-file.ts: the `exchanges` input is a YAML list, inline (wrappers pass it through a
 * variable) or a file path.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@federate/core';
import { parseExchangesYaml } from '@federate/platforms';

/** loadExchanges returns the parsed list, or undefined when the input is absent. */
export async function loadExchanges(value: string | undefined): Promise<unknown> {
  if (value === undefined || value.trim() === '') return undefined;
  const inline = /[\n:[]/.test(value) || value.trimStart().startsWith('-');
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      throw new ConfigError([
        {
          code: 'ERR_CONFIG_INVALID',
          input: 'exchanges',
          message: 'is neither inline YAML nor a readable file',
          hint: 'pass a path to a YAML file or the YAML list itself',
        },
      ]);
    }
  }
  return parseExchangesYaml(text);
}
