/**
 * run-config.ts: the whole run's configuration, parsed once from raw inputs: either one target from
 * top-level inputs, or an `exchanges` list (already parsed from YAML at the edge) of several.
 */
import type { ConfigIssue } from './errors.js';
import type { Env, Target } from './model.js';
import { InputReader, type RawInputs, throwIfIssues } from './options.js';
import { closestName } from './spelling.js';
import { DEFAULT_DEADLINE_MS } from './http.js';

/** COMMON_INPUTS are read by the run, not by a target. */
export const COMMON_INPUTS = [
  'target',
  'id',
  'audience',
  'exchanges',
  'export-env',
  'outputs',
  'cleanup',
  'dry-run',
  'timeout',
] as const;

/** ExchangeConfig is one parsed exchange. */
export interface ExchangeConfig<Options = unknown> {
  /** id names the exchange in outputs and messages; defaults to the target name. */
  readonly id: string;
  readonly target: Target<Options>;
  readonly audience: string;
  readonly options: Options;
  readonly exportEnv: boolean;
}

/** RunConfig is everything a run needs to know from the user. */
export interface RunConfig {
  readonly exchanges: readonly ExchangeConfig[];
  readonly exportEnv: boolean;
  readonly outputs: boolean;
  readonly cleanup: boolean;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
}

/** ParseRunOptions are what the composition root knows: the targets it ships and the environment. */
export interface ParseRunOptions {
  readonly targets: Readonly<Record<string, Target<never>>>;
  readonly env: Env;
  /** exchanges is the parsed `exchanges` document (a list of maps), when the user gave one. */
  readonly exchanges?: unknown;
  /** platformAudience is the platform's own default audience (used only when a target has none). */
  readonly platformAudience?: string;
  /** fixedAudience is the audience of a platform token that cannot be re-minted (see Platform.fixedAudience). */
  readonly fixedAudience?: string;
  /**
   * strictInputs reports given inputs that no target reads: `true` for all of them, or a set naming
   * the ones the user typed (CLI flags), leaving inherited FEDERATE_* variables alone.
   */
  readonly strictInputs?: boolean | ReadonlySet<string>;
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;

function stringifyMap(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    // Orb and component habits use snake_case; inside we read kebab-case.
    const key = k.replace(/_/g, '-');
    if (v === null || v === undefined) continue;
    out[key] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function parseOne(
  reader: InputReader,
  opts: ParseRunOptions,
  defaults: { exportEnv: boolean },
  strict: boolean | ReadonlySet<string>,
): ExchangeConfig | undefined {
  const names = Object.keys(opts.targets);
  const targetName = reader.oneOf('target', names, {
    required: true,
    hint: `set target to one of ${names.join(', ')}`,
  });
  const id =
    reader.string('id', { pattern: ID, patternText: 'a short lowercase name (letters, digits, dashes)' }) ??
    targetName;
  const audienceInput = reader.string('audience');
  const exportEnv = reader.boolean('export-env', defaults.exportEnv);
  if (targetName === undefined) return undefined;
  const target = opts.targets[targetName] as Target<unknown>;
  const options = target.parse(reader, opts.env);
  if (strict !== false) {
    const common = new Set<string>(COMMON_INPUTS);
    const known = [...new Set([...reader.inputsRead(), ...COMMON_INPUTS])];
    for (const input of reader.unread()) {
      if (!common.has(input) && (strict === true || strict.has(input))) {
        const guess = closestName(input, known);
        reader.problem(
          input,
          'ERR_CONFIG_UNKNOWN_INPUT',
          `is not an option of target ${targetName}`,
          guess ? `did you mean ${guess}? Otherwise remove it` : 'remove it or check its spelling',
        );
      }
    }
  }
  const issuesBefore = reader.issues.length;
  // A target's default audience may depend on options that failed to parse; then leave it empty.
  // An empty target default ("no universal audience", e.g. okta-pa) lets the platform's default apply.
  const audience =
    audienceInput ??
    opts.fixedAudience ??
    ((issuesBefore === 0 ? target.audience(options) : undefined) || undefined) ??
    opts.platformAudience ??
    '';
  return { id: id ?? targetName, target, audience, options, exportEnv };
}

/** parseRunConfig reads every input; it throws one ConfigError listing every problem found. */
export function parseRunConfig(raw: RawInputs, opts: ParseRunOptions): RunConfig {
  const issues: ConfigIssue[] = [];
  const top = new InputReader(raw, { issues });
  const exportEnv = top.boolean('export-env', true);
  const outputs = top.boolean('outputs', true);
  const cleanup = top.boolean('cleanup', true);
  const dryRun = top.boolean('dry-run', false);
  const timeoutMs =
    top.duration('timeout', { min: 1000, max: 3_600_000, default: DEFAULT_DEADLINE_MS }) ??
    DEFAULT_DEADLINE_MS;
  const exchanges: ExchangeConfig[] = [];

  if (opts.exchanges !== undefined) {
    if (top.has('target'))
      top.problem(
        'target',
        'ERR_CONFIG_EXCLUSIVE',
        'cannot be used together with exchanges',
        'put every target in the exchanges list',
      );
    if (!Array.isArray(opts.exchanges) || opts.exchanges.length === 0) {
      top.problem(
        'exchanges',
        'ERR_CONFIG_INVALID',
        'must be a non-empty YAML list of maps, each with a target',
        'see the exchanges example in the README',
      );
    } else {
      opts.exchanges.forEach((item, i) => {
        const map = stringifyMap(item);
        const prefix = `exchanges[${i}].`;
        if (!map) {
          issues.push({
            code: 'ERR_CONFIG_INVALID',
            input: `exchanges[${i}]`,
            message: 'must be a map with a target key',
          });
          return;
        }
        const reader = new InputReader(map, { prefix, issues });
        const one = parseOne(reader, opts, { exportEnv }, true);
        if (one) exchanges.push(one);
      });
    }
  } else {
    const reader = new InputReader(raw, { issues });
    const one = parseOne(reader, opts, { exportEnv }, opts.strictInputs ?? false);
    if (one) exchanges.push(one);
  }

  const seen = new Map<string, number>();
  exchanges.forEach((e, i) => {
    if (seen.has(e.id))
      issues.push({
        code: 'ERR_CONFIG_INVALID',
        input: `exchanges[${i}].id`,
        message: `duplicates the id ${e.id}`,
        hint: 'give each exchange of the same target a distinct id',
      });
    seen.set(e.id, i);
    if (!e.audience && issues.length === 0)
      issues.push({
        code: 'ERR_CONFIG_REQUIRED',
        input: opts.exchanges === undefined ? 'audience' : `exchanges[${i}].audience`,
        message: 'is required for this target',
      });
  });
  throwIfIssues(issues);
  return { exchanges, exportEnv, outputs, cleanup, dryRun, timeoutMs };
}
