/**
 * test-context.ts: an ExchangeContext for target tests: the real core HTTP helper on Node's fetch
 * (loopback servers), a real secret registry, a logger that keeps raw lines for leak assertions.
 * Used only by tests.
 */
import {
  createHttpClient,
  decodeIdentity,
  type Env,
  type ExchangeContext,
  InputReader,
  type RawInputs,
  SecretRegistry,
  type Target,
  throwIfIssues,
} from '@federate/core';

/** TestContext is an ExchangeContext plus what tests inspect. */
export interface TestContext extends ExchangeContext {
  readonly lines: string[];
  tokensFetched: number;
}

/** testContext builds a context around a token (or a function minting one, for refresh tests). */
export function testContext(opts: {
  token: string | (() => Promise<string>);
  env?: Env;
  now?: () => number;
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
}): TestContext {
  const secrets = new SecretRegistry();
  const lines: string[] = [];
  const mint = typeof opts.token === 'string' ? async () => opts.token as string : opts.token;
  const now = opts.now ?? Date.now;
  // Lines are kept as the target wrote them, unredacted: a leak check on them must fail when a target
  // logs a secret, even one the registry knows (production redacts again, as a second line of defence).
  const log = {
    debug: (m: string) => void lines.push(m),
    info: (m: string) => void lines.push(m),
    warn: (m: string) => void lines.push(m),
  };
  const first = typeof opts.token === 'string' ? opts.token : undefined;
  const ctx: TestContext = {
    identity: first ? decodeIdentity(first) : decodeIdentity('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.'),
    lines,
    tokensFetched: 0,
    async token() {
      ctx.tokensFetched++;
      const t = await mint();
      secrets.add(t);
      return t;
    },
    http: createHttpClient({
      fetch: globalThis.fetch,
      now,
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
      random: Math.random,
      userAgent: 'federate-test',
      log,
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
      ...(opts.attemptTimeoutMs ? { attemptTimeoutMs: opts.attemptTimeoutMs } : {}),
      ...(opts.deadlineMs ? { deadlineMs: opts.deadlineMs } : {}),
    }),
    env: opts.env ?? {},
    secrets,
    log,
    now,
  };
  if (first) secrets.add(first);
  return ctx;
}

/** parseOptions runs a target's parser on raw inputs and throws the ConfigError it would. */
export function parseOptions<O>(target: Target<O>, raw: RawInputs, env: Env = {}): O {
  const reader = new InputReader(raw);
  const options = target.parse(reader, env);
  throwIfIssues(reader.issues);
  return options;
}
