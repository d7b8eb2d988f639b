/** shellQuote quotes one word for POSIX sh: single quotes, with each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * hclString writes a Terraform/HCL quoted string. Besides `\` and `"`, HCL templates treat `${` and
 * `%{` as interpolation and directive openers; doubling the sigil (`$${`, `%%{`) makes them literal.
 */
export function hclString(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const next = value[i + 1];
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if ((ch === '$' || ch === '%') && next === '{') out += ch + ch;
    else if (ch < ' ' || ch === '\u007f' || ch === '\u2028' || ch === '\u2029')
      out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `"${out}"`;
}

/** hclValue renders a JSON value as an HCL expression (for `jsonencode(...)` and map/list attributes). */
export function hclValue(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return hclString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${hclValue(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${hclString(k)} = ${hclValue(v, inner)}`).join('\n')}\n${indent}}`;
}

/** hclIdentifier derives a Terraform resource name from free text. */
export function hclIdentifier(value: string): string {
  const id = value
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[^a-z_]+/, '');
  return id === '' ? 'federate' : id.slice(0, 64);
}

/** celString writes a CEL single-quoted string literal. */
export function celString(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `'${out}'`;
}

/** regexEscape escapes a literal for an anchored RE2/JS pattern. */
export function regexEscape(value: string): string {
  return value.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** globToRe2 turns a `*`/`?` glob into an anchored RE2 pattern. */
export function globToRe2(glob: string): string {
  let out = '';
  for (const ch of glob) out += ch === '*' ? '.*' : ch === '?' ? '.' : regexEscape(ch);
  return `^${out}$`;
}
