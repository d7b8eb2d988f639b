/**
 * orchestrate.ts: the run. Fetch each distinct audience's token once, run every exchange
 * concurrently, register every secret (so the platform masks it) before anything is written, then
 * export only when all exchanges succeeded: a failed run leaves nothing half-exported, and tokens
 * that other exchanges already obtained are revoked again.
 */
import {
  AggregateExchangeError,
  ExchangeError,
  FederateError,
  PlatformError,
  toFederateError,
} from './errors.js';
import { resolveFileRefs } from './file-refs.js';
import { isoTimestamp } from './timestamp.js';
import { createHttpClient, type HttpClient } from './http.js';
import { decodeIdentity, identityClaims } from './identity.js';
import type {
  Credentials,
  Deps,
  ExchangeContext,
  ExchangeSummary,
  ExportedVariable,
  Identity,
  Platform,
  RevokeRecord,
  RunSummary,
  Target,
} from './model.js';
import type { ExchangeConfig, RunConfig } from './run-config.js';

/** REFRESH_MARGIN_MS: a platform token this close to expiry is fetched again before use. */
export const REFRESH_MARGIN_MS = 60_000;

/** RunOutcome is a successful run's secret-free summary plus the credentials (for `federate run`). */
export interface RunOutcome {
  readonly summary: RunSummary;
  readonly credentials: ReadonlyMap<string, Credentials>;
  /** env is every exported variable (values included; callers must treat secret ones as secret). */
  readonly env: readonly ExportedVariable[];
  /** identities are the platform tokens used, by audience (tokens are secrets: registered already). */
  readonly identities: ReadonlyMap<string, Identity>;
}

/** FederateArgs are one run's inputs. */
export interface FederateArgs {
  readonly platform: Platform;
  readonly config: RunConfig;
  readonly deps: Deps;
}

/** TokenCache fetches one token per audience and refreshes it when close to expiry. */
class TokenCache {
  readonly #platform: Platform;
  readonly #deps: Deps;
  readonly #entries = new Map<string, Promise<Identity>>();

  constructor(platform: Platform, deps: Deps) {
    this.#platform = platform;
    this.#deps = deps;
  }

  async #fetch(audience: string): Promise<Identity> {
    const token = await this.#platform.tokenSource.idToken(audience);
    this.#deps.secrets.add(token);
    const identity = decodeIdentity(token, this.#platform.name);
    if (identity.audience.length > 0 && !identity.audience.includes(audience)) {
      throw new PlatformError(
        'ERR_PLATFORM_AUDIENCE_MISMATCH',
        this.#platform.name,
        `the ${this.#platform.name} token's audience is ${identity.audience.join(', ')}, but this exchange needs ${audience}`,
        {
          hint:
            this.#platform.name === 'gitlab'
              ? 'set the id_tokens aud in the job to the audience the target expects'
              : 'set `audience` to what the server trusts',
        },
      );
    }
    if (identity.expiresAt && identity.expiresAt.getTime() <= this.#deps.now()) {
      throw new PlatformError(
        'ERR_PLATFORM_TOKEN_EXPIRED',
        this.#platform.name,
        `the ${this.#platform.name} token expired at ${isoTimestamp(identity.expiresAt)}`,
        {
          hint: 'the platform issues tokens at job start on some CIs; re-run the job, or request the token later in the job',
        },
      );
    }
    return identity;
  }

  get(audience: string): Promise<Identity> {
    let entry = this.#entries.get(audience);
    if (!entry) {
      entry = this.#fetch(audience);
      this.#entries.set(audience, entry);
    }
    return entry;
  }

  /** fresh returns the cached token, or a new one when it is within REFRESH_MARGIN_MS of expiry. */
  async fresh(audience: string): Promise<Identity> {
    const current = await this.get(audience);
    const exp = current.expiresAt?.getTime();
    if (exp === undefined || exp - this.#deps.now() > REFRESH_MARGIN_MS) return current;
    this.#deps.log.debug(`the platform token for ${audience} is close to expiry; fetching a new one`);
    const next = this.#fetch(audience);
    this.#entries.set(audience, next);
    try {
      return await next;
    } catch (error) {
      // A platform that cannot mint again (GitLab id_tokens) keeps the old one while it is still valid.
      if (exp > this.#deps.now()) {
        this.#entries.set(audience, Promise.resolve(current));
        return current;
      }
      throw error;
    }
  }
}

/**
 * scrubbed redacts an error a target threw: a server may echo what it was sent (a client secret, an
 * API key) into its error text, and the error object itself must never hold a secret.
 */
function scrubbed(fe: FederateError, secrets: Deps['secrets']): FederateError {
  fe.message = secrets.redact(fe.message);
  // `hint` is read-only to callers; the run that created the error may still clean it.
  if (fe.hint) (fe as { hint: string }).hint = secrets.redact(fe.hint);
  return fe;
}

/** noIdentity stands in for the platform token of an exchange that does not use one. */
function noIdentity(platform: Platform['name']): Identity {
  return {
    token: '',
    platform,
    issuer: '',
    subject: '',
    audience: [],
    issuedAt: undefined,
    expiresAt: undefined,
    repository: undefined,
    ref: undefined,
    sha: undefined,
    runId: undefined,
    jobId: undefined,
    actor: undefined,
    environment: undefined,
    claims: {},
  };
}

/** httpClientFor builds the HTTP helper from a run's dependencies (one place, for every caller). */
export function httpClientFor(deps: Deps, limits: { deadlineMs: number; deadlineAt?: number }): HttpClient {
  return createHttpClient({
    transport: deps.transport,
    now: deps.now,
    sleep: deps.sleep,
    random: deps.random,
    userAgent: deps.userAgent,
    log: deps.log,
    ...limits,
  });
}

function httpFor(deps: Deps, config: RunConfig): HttpClient {
  return httpClientFor(deps, { deadlineAt: deps.now() + config.timeoutMs, deadlineMs: config.timeoutMs });
}

function registerSecrets(deps: Deps, creds: Credentials): void {
  for (const v of creds.values) if (v.secret) deps.secrets.add(v.value);
  for (const f of creds.files) if (f.secret) deps.secrets.add(f.content);
  for (const r of creds.revoke)
    for (const k of r.secretKeys) if (r.data[k]) deps.secrets.add(r.data[k] as string);
}

function outputName(exchange: ExchangeConfig, sameTarget: number, output: string): string {
  return sameTarget > 1 || exchange.id !== exchange.target.name ? `${exchange.id}-${output}` : output;
}

async function revokeAll(
  args: FederateArgs,
  http: HttpClient,
  records: readonly RevokeRecord[],
  targets: ReadonlyMap<string, Target<never>>,
): Promise<void> {
  for (const record of records) {
    const target = targets.get(record.target);
    if (!target?.revoke) continue;
    try {
      await target.revoke(
        { http, env: args.deps.env, log: args.deps.log, secrets: args.deps.secrets },
        record,
      );
    } catch (error) {
      args.deps.log.warn(
        `could not revoke a ${record.target} token after the run failed: ${toFederateError(error, 'revoking').code}`,
      );
    }
  }
}

function summarize(args: FederateArgs, identity: Identity | undefined, rows: ExchangeSummary[]): RunSummary {
  // The summary is an audit record printed everywhere: redact it whole, in case a server put a
  // secret into a field we report (a principal, a note).
  return redactDeep(args.deps.secrets, {
    platform: args.platform.name,
    dryRun: args.config.dryRun,
    identity: identity && {
      issuer: identity.issuer,
      subject: identity.subject,
      audience: identity.audience,
      ...(identity.expiresAt ? { expiresAt: isoTimestamp(identity.expiresAt) } : {}),
      claims: identityClaims(identity),
    },
    exchanges: rows,
  });
}

/** redactDeep returns a copy of a JSON-like value with every string redacted. */
function redactDeep<T>(secrets: Deps['secrets'], value: T): T {
  if (typeof value === 'string') return secrets.redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(secrets, v)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(secrets, v)])) as T;
  return value;
}

function errorRow(e: ExchangeConfig, error: FederateError): ExchangeSummary {
  return {
    id: e.id,
    target: e.target.name,
    title: e.target.title,
    audience: e.audience,
    ok: false,
    env: [],
    outputs: [],
    files: [],
    notes: [],
    error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
  };
}

/** federate runs every configured exchange on one platform and exports the result through its sink. */
export async function federate(args: FederateArgs): Promise<RunOutcome> {
  const { platform, config, deps } = args;
  const sink = platform.sink;
  // Mask first: every secret form registered from now on reaches the platform's masker at once.
  deps.secrets.onSecret((form) => sink.mask(form), { plainOnly: sink.masksEncodings === true });
  const http = httpFor(deps, config);
  const tokens = new TokenCache(platform, deps);
  const targets = new Map<string, Target<never>>(
    config.exchanges.map((e) => [e.target.name, e.target as Target<never>]),
  );
  const log = deps.log;

  const identities = new Map<string, Identity>();
  const results = await Promise.allSettled(
    config.exchanges.map(async (exchange) => {
      let identity: Identity;
      const needsToken = exchange.target.usesPlatformToken?.(exchange.options as never) ?? true;
      if (!needsToken) {
        identity = noIdentity(platform.name);
      } else {
        try {
          identity = await tokens.get(exchange.audience);
        } catch (error) {
          throw toFederateError(error, `getting the ${platform.name} token`);
        }
        identities.set(exchange.audience, identity);
      }
      if (config.dryRun) return undefined;
      if (config.exchanges.length > 1) log.info(`${exchange.id}: exchanging at ${exchange.target.title}…`);
      const ctx: ExchangeContext = {
        identity,
        token: async () => {
          if (!needsToken)
            throw new TypeError(`${exchange.target.name} said it uses no platform token, then asked for one`);
          return (await tokens.fresh(exchange.audience)).token;
        },
        http,
        env: deps.env,
        secrets: deps.secrets,
        log,
        now: deps.now,
        ...(deps.exec ? { exec: deps.exec } : {}),
      };
      try {
        const creds = await exchange.target.exchange(ctx, exchange.options as never);
        registerSecrets(deps, creds);
        return creds;
      } catch (error) {
        const fe = scrubbed(toFederateError(error, `exchanging at ${exchange.target.title}`), deps.secrets);
        if (fe instanceof ExchangeError && fe.claims === undefined) {
          fe.claims = identityClaims(identity, exchange.target.relevantClaims ?? []);
        }
        throw fe;
      }
    }),
  );

  const failures: Array<{ exchange: ExchangeConfig; error: FederateError }> = [];
  const succeeded = new Map<string, Credentials>();
  results.forEach((r, i) => {
    const exchange = config.exchanges[i] as ExchangeConfig;
    if (r.status === 'rejected')
      failures.push({ exchange, error: toFederateError(r.reason, 'running an exchange') });
    else if (r.value) succeeded.set(exchange.id, r.value);
  });

  // Names two exchanges would both export are a configuration error, caught before anything is written.
  if (failures.length === 0) {
    const owner = new Map<string, string>();
    const clashes = new Map<string, { exchange: ExchangeConfig; other: string; names: string[] }>();
    for (const exchange of config.exchanges) {
      const creds = succeeded.get(exchange.id);
      if (!creds || !(config.exportEnv && exchange.exportEnv)) continue;
      const names = [
        ...creds.values.flatMap((v) => (v.env ? [v.env] : [])),
        ...creds.files.flatMap((f) => f.env ?? []),
      ];
      for (const name of names) {
        const other = owner.get(name);
        if (other && other !== exchange.id) {
          const key = `${other}\u0000${exchange.id}`;
          const clash = clashes.get(key) ?? { exchange, other, names: [] };
          clash.names.push(name);
          clashes.set(key, clash);
        }
        owner.set(name, exchange.id);
      }
    }
    for (const { exchange, other, names } of clashes.values()) {
      failures.push({
        exchange,
        error: new FederateError(
          'ERR_CONFIG_ENV_COLLISION',
          `exchanges ${other} and ${exchange.id} would both export ${names.join(', ')}`,
          {
            hint: 'set export-env: false on one of them and read its outputs instead',
          },
        ),
      });
    }
  }

  if (failures.length > 0) {
    // A fresh client: the run's may be past its deadline (that may be why it failed), and tokens
    // already obtained must still be revoked.
    await revokeAll(
      args,
      httpClientFor(deps, { deadlineMs: 30_000 }),
      [...succeeded.values()].flatMap((c) => c.revoke),
      targets,
    );
    const rows = config.exchanges.map((e) => {
      const failed = failures.find((f) => f.exchange === e);
      return failed
        ? errorRow(e, failed.error)
        : {
            ...errorRow(
              e,
              new FederateError('ERR_EXCHANGE_FAILED', 'not exported because another exchange failed'),
            ),
            ok: false,
          };
    });
    try {
      await sink.writeSummary(summarize(args, identities.values().next().value, rows));
    } catch {
      // The failure itself is what the user needs to see; a summary that cannot be written must not hide it.
    }
    throw new AggregateExchangeError(failures.map((f) => f.error));
  }

  const rows: ExchangeSummary[] = [];
  const allEnv: ExportedVariable[] = [];
  const allOutputs: ExportedVariable[] = [];
  const perRow: Array<{
    exchange: ExchangeConfig;
    creds: Credentials | undefined;
    env: ExportedVariable[];
    outputs: ExportedVariable[];
    files: string[];
  }> = [];

  if (!config.dryRun && config.cleanup) {
    const revoke = [...succeeded.values()].flatMap((c) => c.revoke);
    if (revoke.length > 0) await sink.recordCleanup({ files: [], revoke });
  }

  for (const exchange of config.exchanges) {
    const creds = succeeded.get(exchange.id);
    const env: ExportedVariable[] = [];
    const outputs: ExportedVariable[] = [];
    const files: string[] = [];
    if (creds) {
      const sameTarget = config.exchanges.filter((e) => e.target.name === exchange.target.name).length;
      const written: Record<string, string> = {};
      for (const file of creds.files) {
        const path = await sink.writeFile({ ...file, content: resolveFileRefs(file.content, written) });
        written[file.name] = path;
        files.push(path);
        for (const name of file.env ?? []) env.push({ name, value: path, secret: false });
        if (file.output)
          outputs.push({ name: outputName(exchange, sameTarget, file.output), value: path, secret: false });
      }
      for (const v of creds.values) {
        if (v.env) env.push({ name: v.env, value: v.value, secret: v.secret });
        if (v.output)
          outputs.push({
            name: outputName(exchange, sameTarget, v.output),
            value: v.value,
            secret: v.secret,
          });
      }
    }
    perRow.push({ exchange, creds, env, outputs, files });
    if (config.exportEnv && exchange.exportEnv) allEnv.push(...env);
    if (config.outputs) allOutputs.push(...outputs);
  }

  if (allEnv.length > 0) await sink.exportEnv(allEnv);
  if (allOutputs.length > 0) await sink.setOutputs(allOutputs);

  for (const { exchange, creds, env, outputs, files } of perRow) {
    rows.push({
      id: exchange.id,
      target: exchange.target.name,
      title: exchange.target.title,
      audience: exchange.audience,
      ok: true,
      ...(creds ? { principal: creds.principal } : {}),
      ...(creds?.expiresAt ? { expiresAt: isoTimestamp(creds.expiresAt) } : {}),
      env: config.exportEnv && exchange.exportEnv ? env.map((v) => v.name) : [],
      outputs: config.outputs ? outputs.map((v) => v.name) : [],
      files,
      notes: creds?.notes ?? [],
    });
  }
  const summary = summarize(args, identities.values().next().value, rows);
  await sink.writeSummary(summary);
  return { summary, credentials: succeeded, env: allEnv, identities };
}

/** cleanup revokes what a run recorded (files are removed by the platform, which wrote them). */
export async function revokeRecorded(
  records: readonly RevokeRecord[],
  targets: Readonly<Record<string, Target<never>>>,
  deps: Deps,
): Promise<FederateError[]> {
  const http = httpClientFor(deps, { deadlineMs: 30_000 });
  const errors: FederateError[] = [];
  for (const record of records) {
    for (const k of record.secretKeys) if (record.data[k]) deps.secrets.add(record.data[k] as string);
    const target = targets[record.target];
    if (!target?.revoke) continue;
    try {
      await target.revoke({ http, env: deps.env, log: deps.log, secrets: deps.secrets }, record);
    } catch (error) {
      const fe = toFederateError(error, `revoking a ${record.target} token`);
      errors.push(
        new FederateError('ERR_CLEANUP_FAILED', `could not revoke a ${record.target} token: ${fe.message}`, {
          cause: fe,
        }),
      );
    }
  }
  return errors;
}
