/**
 * redact.ts: the secret registry. Every secret is registered the moment it exists; every line
 * Federate prints and every error message passes through `redact`. Platforms with a masking API
 * subscribe with `onSecret` so they are told too (GitHub's ::add-mask::).
 */

/** MIN_SECRET_LENGTH: shorter values cannot be masked without destroying logs; they are reported. */
export const MIN_SECRET_LENGTH = 4;
const REPLACEMENT = '***';
/** LONG_FORM: forms longer than this are matched by plain search rather than inside a regex. */
const LONG_FORM = 1024;
/** MAX_PATTERN: each alternation stays well under V8's regular-expression size limit. */
const MAX_PATTERN = 32 * 1024;
/**
 * PRECHECK_LIMIT: texts up to this length are searched form by form before the alternation is
 * built or run. Most lines hold no secret, so the alternation (tens of KB of pattern, rebuilt after
 * every new secret) is then never compiled: ~80 KB of allocation and ~0.5 ms of a cold run. Longer
 * texts (a child's output through `federate run`) go straight to the alternation, one pass.
 */
const PRECHECK_LIMIT = 4096;

/** compile groups the short forms, longest first, into alternations of bounded size. */
function compile(forms: string[]): RegExp[] {
  const escaped = forms
    .filter((f) => f.length <= LONG_FORM)
    .sort((a, b) => b.length - a.length)
    .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const patterns: RegExp[] = [];
  let group: string[] = [];
  let size = 0;
  for (const e of escaped) {
    if (size + e.length > MAX_PATTERN && group.length > 0) {
      patterns.push(new RegExp(group.join('|'), 'g'));
      group = [];
      size = 0;
    }
    group.push(e);
    size += e.length + 1;
  }
  if (group.length > 0) patterns.push(new RegExp(group.join('|'), 'g'));
  return patterns;
}

/**
 * base64 encodes with the native btoa over a binary string built 32 KiB at a time. (A table-driven
 * encoder in JavaScript allocated ~350 KB of one-character strings for a GitHub token's three
 * offsets: a garbage collection in every cold start. Core stays free of Node's Buffer.)
 */
function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    // apply, not spread: spreading iterates and allocates per byte.
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(binary);
}

/**
 * base64Forms returns the runs of base64 text that appear whenever `value` is embedded, at any byte
 * alignment, in a larger base64-encoded blob (basic auth headers, JSON files, docker configs).
 */
export function base64Forms(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const forms = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = base64(padded).replace(/=+$/, '');
    // Characters touched by the prefix or by the unknown suffix depend on surrounding bytes; drop them.
    const start = offset === 0 ? 0 : Math.ceil((offset * 8) / 6);
    const endBits = (offset + bytes.length) * 8;
    const end = Math.floor(endBits / 6);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_SECRET_LENGTH) {
      forms.add(core);
      forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  // The exact, padded encodings too (a whole value base64-encoded on its own).
  forms.add(base64(bytes));
  return [...forms];
}

/** encodedForms lists every form of `value` a user could see it in: lines, URL-, JSON- and base64-encoded. */
export function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  for (const line of value.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= MIN_SECRET_LENGTH) forms.add(t);
  }
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+')); // application/x-www-form-urlencoded
  forms.add(JSON.stringify(value).slice(1, -1));
  for (const f of base64Forms(value)) forms.add(f);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** SecretListener is told of each new secret form (a platform's masking API). */
export type SecretListener = (value: string) => void;

/** SecretRegistry holds every secret seen in this run and redacts them from text. */
export class SecretRegistry {
  readonly #forms = new Set<string>();
  readonly #raw = new Set<string>();
  readonly #listeners: SecretListener[] = [];
  /** #plain are the raw values and their lines: what a masker that encodes by itself needs. */
  readonly #plain = new Set<string>();
  readonly #plainListeners: SecretListener[] = [];
  #patterns: RegExp[] | undefined;
  #long: string[] = [];
  /** tooShort counts secrets that could not be masked because they are shorter than MIN_SECRET_LENGTH. */
  tooShort = 0;

  /** add registers a secret and all of its encoded forms; returns the value for chaining. */
  add(value: string): string {
    if (typeof value !== 'string') throw new TypeError('SecretRegistry.add expects a string');
    if (value.length === 0 || this.#raw.has(value)) return value;
    this.#raw.add(value);
    if (value.trim().length < MIN_SECRET_LENGTH) {
      this.tooShort++;
      return value;
    }
    for (const plain of [value, ...value.split(/\r?\n/).map((l) => l.trim())]) {
      if (plain.length < MIN_SECRET_LENGTH || this.#plain.has(plain)) continue;
      this.#plain.add(plain);
      for (const listener of this.#plainListeners) listener(plain);
    }
    for (const form of encodedForms(value)) {
      if (this.#forms.has(form)) continue;
      this.#forms.add(form);
      this.#patterns = undefined;
      if (form.length > LONG_FORM) this.#long = [...this.#long, form].sort((a, b) => b.length - a.length);
      for (const listener of this.#listeners) listener(form);
    }
    return value;
  }

  /**
   * onSecret subscribes a masking API; it is replayed every form registered so far. With
   * `plainOnly`, it hears only raw values and their lines: for maskers that add the encoded forms
   * themselves (the GitHub runner masks base64 at all three offsets, JSON- and URI-escaped forms of
   * every ::add-mask:: value), so the log is not flooded with dozens of mask commands per secret.
   */
  onSecret(listener: SecretListener, options: { plainOnly?: boolean } = {}): void {
    if (options.plainOnly) {
      this.#plainListeners.push(listener);
      for (const plain of this.#plain) listener(plain);
      return;
    }
    this.#listeners.push(listener);
    for (const form of this.#forms) listener(form);
  }

  /** redact replaces every registered form in `text` with ***, longest first. */
  redact(text: string): string {
    if (this.#forms.size === 0 || text.length === 0) return text;
    let out = text;
    // Very long secrets (a 64 KiB certificate) would overflow one regular expression: plain search.
    for (const form of this.#long) if (out.includes(form)) out = out.split(form).join(REPLACEMENT);
    if (out.length <= PRECHECK_LIMIT && !this.#holdsShortForm(out)) return out;
    this.#patterns ??= compile([...this.#forms]);
    for (const re of this.#patterns) out = out.replace(re, REPLACEMENT);
    return out;
  }

  /** #holdsShortForm tells whether any form the alternation covers occurs in `text`. */
  #holdsShortForm(text: string): boolean {
    for (const form of this.#forms) if (form.length <= LONG_FORM && text.includes(form)) return true;
    return false;
  }

  /** contains tells whether `text` holds any registered form (for leak checks). */
  contains(text: string): boolean {
    return this.redact(text) !== text;
  }

  /** values lists the raw secrets registered (for the leak scanner in tests). */
  values(): string[] {
    return [...this.#raw];
  }
}
