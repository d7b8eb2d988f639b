/**
 * options.ts: inputs are parsed once, at the edge, purely. Raw strings come in (action inputs, orb
 * parameters, component inputs, CLI flags, FEDERATE_* variables, a YAML exchanges list); a typed value
 * comes out, or every problem at once, each naming the input and what would fix it.
 */
import { ConfigError, type ConfigIssue, type ErrorCode } from './errors.js';
import { parseDuration } from './duration.js';
import { envNameProblem } from './env-name.js';
import { checkSecureUrl } from './url.js';

/** RawInputs are kebab-case input names to raw strings; empty strings count as absent. */
export type RawInputs = Readonly<Record<string, string | undefined>>;

interface FieldOptions {
  /** hint is appended to every problem with this input. */
  hint?: string;
}

/** InputReader reads typed values out of raw inputs and collects every problem instead of throwing. */
export class InputReader {
  readonly #raw: RawInputs;
  readonly #prefix: string;
  readonly #issues: ConfigIssue[];
  readonly #read = new Set<string>();

  constructor(raw: RawInputs, opts: { prefix?: string; issues?: ConfigIssue[] } = {}) {
    this.#raw = raw;
    this.#prefix = opts.prefix ?? '';
    this.#issues = opts.issues ?? [];
  }

  /** issues is the shared list of problems found so far. */
  get issues(): ConfigIssue[] {
    return this.#issues;
  }

  /** name renders an input's name as the user sees it (with the exchanges[i]. prefix). */
  name(input: string): string {
    return `${this.#prefix}${input}`;
  }

  /** problem records an issue with one input. */
  problem(input: string, code: ErrorCode, message: string, hint?: string): undefined {
    this.#issues.push(
      hint === undefined
        ? { code, input: this.name(input), message }
        : { code, input: this.name(input), message, hint },
    );
    return undefined;
  }

  /** has tells whether an input was given (non-empty). */
  has(input: string): boolean {
    return this.#get(input) !== undefined;
  }

  #get(input: string): string | undefined {
    this.#read.add(input);
    const v = this.#raw[input];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  /** raw returns the input untrimmed (for multi-line values like secret mappings and policies). */
  raw(input: string): string | undefined {
    this.#read.add(input);
    const v = this.#raw[input];
    return v === undefined || v.trim() === '' ? undefined : v;
  }

  /** string reads a plain string. */
  string(
    input: string,
    opts: FieldOptions & { required?: boolean; pattern?: RegExp; patternText?: string } = {},
  ): string | undefined {
    const v = this.#get(input);
    if (v === undefined) {
      if (opts.required) this.problem(input, 'ERR_CONFIG_REQUIRED', 'is required', opts.hint);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      return this.problem(
        input,
        'ERR_CONFIG_PATTERN',
        `must be ${opts.patternText ?? `like ${opts.pattern.source}`}`,
        opts.hint,
      );
    }
    return v;
  }

  /** required is string() with required: true, typed as present (callers check issues before use). */
  required(input: string, opts: FieldOptions & { pattern?: RegExp; patternText?: string } = {}): string {
    return this.string(input, { ...opts, required: true }) ?? '';
  }

  /**
   * envName reads the name a value will be exported as, with the policy every sink applies later
   * (core's envNameProblem, every CI platform's reserved names included), so a bad name fails before
   * any request. `own` lists names the target exports itself, which this one must not overwrite.
   */
  envName(input: string, fallback: string, opts: FieldOptions & { own?: readonly string[] } = {}): string {
    const v = this.#get(input);
    if (v === undefined) return fallback;
    const problem = envNameProblem(v);
    if (problem?.kind === 'pattern')
      this.problem(
        input,
        'ERR_CONFIG_PATTERN',
        'must be a variable name: letters, digits and underscores, not starting with a digit',
        opts.hint,
      );
    else if (problem)
      this.problem(
        input,
        'ERR_CONFIG_INVALID',
        `must not be ${v}: ${problem.reason}`,
        'choose another variable name',
      );
    else if (opts.own?.includes(v.toUpperCase()))
      this.problem(input, 'ERR_CONFIG_INVALID', `must not be ${v}, which this target exports itself`);
    else return v;
    return fallback;
  }

  /** boolean accepts exactly true/false (any case), like @actions/core getBooleanInput. */
  boolean(input: string, defaultValue: boolean, opts: FieldOptions = {}): boolean {
    const v = this.#get(input);
    if (v === undefined) return defaultValue;
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    this.problem(input, 'ERR_CONFIG_BOOLEAN', 'must be true or false', opts.hint);
    return defaultValue;
  }

  /** duration reads `900`, `15m`, `1h` into milliseconds within [min, max]. */
  duration(
    input: string,
    opts: FieldOptions & { min?: number; max?: number; default?: number } = {},
  ): number | undefined {
    const v = this.#get(input);
    if (v === undefined) return opts.default;
    const ms = parseDuration(v);
    if (ms === undefined)
      return this.problem(input, 'ERR_CONFIG_DURATION', 'must be a duration like 900, 15m or 1h', opts.hint);
    if ((opts.min !== undefined && ms < opts.min) || (opts.max !== undefined && ms > opts.max)) {
      const range = `${(opts.min ?? 0) / 1000}s to ${opts.max === undefined ? 'any' : `${opts.max / 1000}s`}`;
      return this.problem(input, 'ERR_CONFIG_DURATION', `must be between ${range}`, opts.hint);
    }
    return ms;
  }

  /** integer reads a whole number within [min, max]. */
  integer(
    input: string,
    opts: FieldOptions & { min?: number; max?: number; default?: number } = {},
  ): number | undefined {
    const v = this.#get(input);
    if (v === undefined) return opts.default;
    if (!/^-?\d+$/.test(v))
      return this.problem(input, 'ERR_CONFIG_NUMBER', 'must be a whole number', opts.hint);
    const n = Number(v);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
      return this.problem(
        input,
        'ERR_CONFIG_NUMBER',
        `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}`,
        opts.hint,
      );
    return n;
  }

  /** oneOf reads an enumerated value. */
  oneOf<T extends string>(
    input: string,
    values: readonly T[],
    opts: FieldOptions & { default?: T; required?: boolean } = {},
  ): T | undefined {
    const v = this.#get(input);
    if (v === undefined) {
      if (opts.required)
        this.problem(input, 'ERR_CONFIG_REQUIRED', `is required: one of ${values.join(', ')}`, opts.hint);
      return opts.default;
    }
    if (!(values as readonly string[]).includes(v))
      return this.problem(input, 'ERR_CONFIG_ENUM', `must be one of ${values.join(', ')}`, opts.hint);
    return v as T;
  }

  /** list reads a comma- or newline-separated list, trimmed, without empties. */
  list(input: string): string[] {
    const v = this.raw(input);
    if (v === undefined) return [];
    return v
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  /** url reads an https:// URL (http:// only on loopback). */
  url(
    input: string,
    opts: FieldOptions & { required?: boolean; allowMetadata?: boolean } = {},
  ): URL | undefined {
    const v = this.string(input, opts);
    if (v === undefined) return undefined;
    const checked = checkSecureUrl(
      v,
      opts.allowMetadata === undefined ? {} : { allowMetadata: opts.allowMetadata },
    );
    if (typeof checked === 'string') {
      const code = checked.startsWith('must use https') ? 'ERR_CONFIG_INSECURE_URL' : 'ERR_CONFIG_URL';
      return this.problem(input, code, checked, opts.hint);
    }
    return checked;
  }

  /** json reads a JSON document (session policies, claim maps). */
  json(input: string, opts: FieldOptions = {}): unknown {
    const v = this.raw(input);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v);
    } catch {
      return this.problem(input, 'ERR_CONFIG_JSON', 'must be valid JSON', opts.hint);
    }
  }

  /** exclusive records a problem when more than one of `inputs` is given. */
  exclusive(inputs: readonly string[], hint?: string): void {
    const given = inputs.filter((i) => this.has(i));
    if (given.length > 1)
      this.problem(
        given[1] as string,
        'ERR_CONFIG_EXCLUSIVE',
        `cannot be used together with ${given.filter((_, i) => i !== 1).join(', ')}`,
        hint,
      );
  }

  /** inputsRead lists every input name this reader was asked for, given or not (for docs and parity checks). */
  inputsRead(): string[] {
    return [...this.#read];
  }

  /** unread lists inputs that were given but never read (typos in an exchanges list). */
  unread(): string[] {
    return Object.keys(this.#raw).filter(
      (k) => !this.#read.has(k) && this.#raw[k] !== undefined && this.#raw[k]?.trim() !== '',
    );
  }
}

/** throwIfIssues raises one ConfigError carrying every problem, or does nothing. */
export function throwIfIssues(issues: readonly ConfigIssue[]): void {
  if (issues.length > 0) throw new ConfigError(issues);
}

/** AWS_ARN matches `arn:<partition>:<service>:<region>:<account>:<resource>`. */
const ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$/;

/** ParsedArn is an ARN split into its parts. */
export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** parseArn splits an AWS ARN, or returns undefined. */
export function parseArn(text: string): ParsedArn | undefined {
  const m = ARN.exec(text);
  if (!m) return undefined;
  return {
    partition: m[1] as string,
    service: m[2] as string,
    region: m[3] as string,
    account: m[4] ?? '',
    resource: m[5] as string,
  };
}
