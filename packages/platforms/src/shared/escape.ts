/**
 * escape.ts: the one implementation of every export format. Each function turns a name and a value
 * into text that the consumer (bash, a dotenv parser, the Actions runner) reads back byte for byte,
 * or refuses the value. Errors name the variable, never the value.
 */
import { FederateError } from '@federate/core';
import { randomHex } from './random.js';

function refuse(name: string, why: string, hint?: string): never {
  throw new FederateError(
    'ERR_PLATFORM_EXPORT',
    `cannot export ${name}: its value ${why}`,
    hint ? { hint } : {},
  );
}

/** shellQuote quotes a value for POSIX shells: single quotes, with each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * shellExport renders `export NAME='value'`. Inside single quotes nothing is special, so `$()`,
 * backticks, `"` and newlines survive `source`; only NUL cannot be held by a shell variable.
 */
export function shellExport(name: string, value: string): string {
  if (value.includes('\0')) refuse(name, 'contains a NUL byte, which no shell variable can hold');
  return `export ${name}=${shellQuote(value)}\n`;
}

/**
 * dotenvQuote renders a double-quoted dotenv value in the dialect python-dotenv and Docker Compose
 * read: backslash escapes for `\`, `"`, newline, carriage return and tab, and `$` escaped so the
 * reader never interpolates it.
 */
export function dotenvQuote(value: string): string {
  return `"${value.replace(/[\\"$\n\r\t]/g, (c) => DOTENV_ESCAPES[c] ?? c)}"`;
}

const DOTENV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  $: '\\$',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** dotenvLine renders `NAME="value"`. */
export function dotenvLine(name: string, value: string): string {
  if (value.includes('\0')) refuse(name, 'contains a NUL byte');
  return `${name}=${dotenvQuote(value)}\n`;
}

/** newHeredocDelimiter returns a delimiter no one can predict (the runner's own helper does the same). */
export function newHeredocDelimiter(): string {
  // The same 128 bits of randomness as the runner's `ghadelimiter_<uuid>`, as hex.
  return `ghadelimiter_${randomHex(16)}`;
}

/**
 * githubFileCommand renders one entry of GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE in the heredoc
 * form `NAME<<DELIM\nvalue\nDELIM\n`. The runner splits lines on `\n` (and `\r\n`), so a value that
 * contains the delimiter, or ends in `\r` (eaten with the line break), would not read back.
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#multiline-strings
 */
export function githubFileCommand(name: string, value: string, delimiter: string): string {
  if (name.includes(delimiter)) refuse(name, 'name contains the heredoc delimiter');
  if (value.includes(delimiter))
    refuse(name, 'contains the heredoc delimiter', 'this should be impossible; report it as a bug');
  if (value.endsWith('\r')) refuse(name, 'ends with a carriage return, which the runner would drop');
  if (value.includes('\0')) refuse(name, 'contains a NUL byte');
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** escapeCommandData escapes a workflow command's data part (`::add-mask::<data>`) like the toolkit. */
export function escapeCommandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** gitlabDotenvLine renders a `KEY=value` line for GitLab's dotenv report, or undefined when it cannot hold the value. */
export function gitlabDotenvLine(name: string, value: string): string | undefined {
  // The report has no quoting and no multi-line values; such a value cannot be carried, only skipped.
  if (/[\r\n\0]/.test(value)) return undefined;
  return `${name}=${value}\n`;
}
