import { describe, expect, it } from 'vitest';
import { AggregateExchangeError, ExchangeError } from './errors.js';
import { formatError } from './format-error.js';
import type { Credentials, Deps, Platform, RevokeRecord, RunSummary, Sink, Target } from './model.js';
import { fetchTransport } from './http.js';
import { federate } from './orchestrate.js';
import { SecretRegistry } from './redact.js';
import { parseRunConfig } from './run-config.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const NOW = 1_800_000_000_000;
function jwt(aud: string, expSec = NOW / 1000 + 600, n = 0) {
  return `${b64({ alg: 'RS256' })}.${b64({ iss: 'https://issuer.test', sub: 'repo:acme/app:ref:refs/heads/main', aud, exp: expSec, n })}.sig${n}`;
}

/** recordingSink logs every call in order so tests can assert mask-before-export. */
function recordingSink() {
  const events: string[] = [];
  const sink: Sink & { events: string[]; summary?: RunSummary } = {
    events,
    mask: (v) => events.push(`mask:${v}`),
    writeFile: async (f) => {
      events.push(`file:${f.name}`);
      return `/private/${f.name}`;
    },
    exportEnv: async (vars) => void events.push(`env:${vars.map((v) => v.name).join(',')}`),
    setOutputs: async (outs) => void events.push(`out:${outs.map((v) => v.name).join(',')}`),
    recordCleanup: async (r) => void events.push(`cleanup:${r.revoke.length}`),
    writeSummary: async (s) => {
      events.push('summary');
      sink.summary = s;
    },
  };
  return sink;
}

function platform(sink: Sink, tokens: { count: number; exp?: number }): Platform {
  return {
    name: 'github',
    sink,
    tokenSource: {
      idToken: async (aud) => {
        tokens.count++;
        return jwt(aud, tokens.exp, tokens.count);
      },
    },
  };
}

function deps(secrets = new SecretRegistry()): Deps {
  return {
    transport: fetchTransport((async () => new Response('')) as typeof fetch),
    env: {},
    now: () => NOW,
    sleep: async () => {},
    random: () => 0,
    log: { debug() {}, info() {}, warn() {} },
    secrets,
    userAgent: 'test',
  };
}

interface FakeOptions {
  secret: string;
  fail?: boolean;
}
const revoked: RevokeRecord[] = [];
function fakeTarget(name: string, env: string): Target<FakeOptions> {
  return {
    name,
    title: `Fake ${name}`,
    relevantClaims: ['sub'],
    parse: (input) => ({ secret: input.required('secret'), fail: input.boolean('fail', false) }),
    audience: () => `aud-${name}`,
    async exchange(ctx, o): Promise<Credentials> {
      expect(await ctx.token()).toContain('.');
      if (o.fail)
        throw new ExchangeError('ERR_EXCHANGE_REJECTED', name, 'the server said no', {
          status: 403,
          serverCode: 'AccessDenied',
        });
      return {
        target: name,
        principal: `principal-${name}`,
        expiresAt: new Date(NOW + 3_600_000),
        values: [
          { name: 'id', value: `id-${name}`, secret: false, env: `${env}_ID`, output: 'id' },
          { name: 'secret', value: o.secret, secret: true, env: `${env}_SECRET`, output: 'secret' },
        ],
        files: [{ name: `${name}/creds`, content: `secret=${o.secret}`, secret: true, env: [`${env}_FILE`] }],
        revoke: [{ target: name, data: { token: o.secret }, secretKeys: ['token'] }],
        notes: [],
      };
    },
    async revoke(_ctx, record) {
      revoked.push(record);
    },
  };
}

const targets = {
  alpha: fakeTarget('alpha', 'ALPHA'),
  beta: fakeTarget('beta', 'BETA'),
} as unknown as Record<string, Target<never>>;

describe('federate', () => {
  it('masks every secret before anything is written, then exports and summarizes', async () => {
    const sink = recordingSink();
    const config = parseRunConfig({ target: 'alpha', secret: 'alpha-secret-1' }, { targets, env: {} });
    const outcome = await federate({ platform: platform(sink, { count: 0 }), config, deps: deps() });
    const firstWrite = sink.events.findIndex((e) => /^(file|env|out|cleanup):/.test(e));
    const lastMask = sink.events.map((e) => e.startsWith('mask:')).lastIndexOf(true);
    expect(sink.events.some((e) => e === 'mask:alpha-secret-1')).toBe(true);
    expect(lastMask).toBeLessThan(firstWrite);
    expect(sink.events.slice(firstWrite)).toEqual([
      'cleanup:1',
      'file:alpha/creds',
      'env:ALPHA_FILE,ALPHA_ID,ALPHA_SECRET',
      'out:id,secret',
      'summary',
    ]);
    expect(outcome.summary.exchanges[0]).toMatchObject({
      ok: true,
      principal: 'principal-alpha',
      env: ['ALPHA_FILE', 'ALPHA_ID', 'ALPHA_SECRET'],
    });
    expect(JSON.stringify(outcome.summary)).not.toContain('alpha-secret-1');
  });

  it('fetches one token per distinct audience and runs exchanges concurrently', async () => {
    const sink = recordingSink();
    const tokens = { count: 0 };
    const config = parseRunConfig(
      {},
      {
        targets,
        env: {},
        exchanges: [
          { target: 'alpha', secret: 'alpha-secret-2' },
          { target: 'beta', secret: 'beta-secret-2', audience: 'aud-alpha' },
        ],
      },
    );
    const outcome = await federate({ platform: platform(sink, tokens), config, deps: deps() });
    expect(tokens.count).toBe(1);
    expect(outcome.summary.exchanges.map((e) => e.ok)).toEqual([true, true]);
  });

  it('exports nothing when one exchange fails, and revokes what the others obtained', async () => {
    const sink = recordingSink();
    revoked.length = 0;
    const config = parseRunConfig(
      {},
      {
        targets,
        env: {},
        exchanges: [
          { target: 'alpha', secret: 'alpha-secret-3' },
          { target: 'beta', secret: 'beta-secret-3', fail: true },
        ],
      },
    );
    const err = await federate({ platform: platform(sink, { count: 0 }), config, deps: deps() }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(AggregateExchangeError);
    expect(err.code).toBe('ERR_EXCHANGE_REJECTED');
    expect(sink.events.filter((e) => /^(file|env|out|cleanup):/.test(e))).toEqual([]);
    expect(revoked.map((r) => r.data['token'])).toEqual(['alpha-secret-3']);
    expect(sink.summary?.exchanges.map((e) => e.ok)).toEqual([false, false]);
    // The failure names the claims trust conditions test, never the token.
    const inner = (err as AggregateExchangeError).errors[0] as ExchangeError;
    expect(inner.claims).toMatchObject({ sub: 'repo:acme/app:ref:refs/heads/main' });
    const text = formatError(err, new SecretRegistry());
    expect(text).toContain('AccessDenied');
    expect(text).not.toMatch(/\.sig\d/);
  });

  it('refuses two exchanges exporting the same variable', async () => {
    const sink = recordingSink();
    const config = parseRunConfig(
      {},
      {
        targets,
        env: {},
        exchanges: [
          { target: 'alpha', id: 'one', secret: 'alpha-secret-4' },
          { target: 'alpha', id: 'two', secret: 'alpha-secret-5' },
        ],
      },
    );
    await expect(
      federate({ platform: platform(sink, { count: 0 }), config, deps: deps() }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_ENV_COLLISION' });
    expect(sink.events.filter((e) => e.startsWith('env:'))).toEqual([]);
  });

  it('prefixes outputs by id when a target appears twice and export-env is off for one', async () => {
    const sink = recordingSink();
    const config = parseRunConfig(
      {},
      {
        targets,
        env: {},
        exchanges: [
          { target: 'alpha', id: 'one', secret: 'alpha-secret-6' },
          { target: 'alpha', id: 'two', secret: 'alpha-secret-7', export_env: false },
        ],
      },
    );
    await federate({ platform: platform(sink, { count: 0 }), config, deps: deps() });
    expect(sink.events).toContain('out:one-id,one-secret,two-id,two-secret');
  });

  it('dry run fetches the token but exchanges and exports nothing', async () => {
    const sink = recordingSink();
    const config = parseRunConfig(
      { target: 'alpha', secret: 'alpha-secret-8', 'dry-run': 'true' },
      { targets, env: {} },
    );
    const outcome = await federate({ platform: platform(sink, { count: 0 }), config, deps: deps() });
    expect(outcome.summary.dryRun).toBe(true);
    expect(outcome.summary.identity?.subject).toBe('repo:acme/app:ref:refs/heads/main');
    expect(sink.events.filter((e) => /^(file|env|out):/.test(e))).toEqual([]);
  });

  it('refreshes a token that is within 60 s of expiry', async () => {
    const sink = recordingSink();
    const tokens = { count: 0, exp: NOW / 1000 + 30 };
    const config = parseRunConfig({ target: 'alpha', secret: 'alpha-secret-9' }, { targets, env: {} });
    await federate({ platform: platform(sink, tokens), config, deps: deps() });
    expect(tokens.count).toBe(2);
  });

  it('rejects a token whose audience differs from the one asked for', async () => {
    const sink = recordingSink();
    const p: Platform = { name: 'gitlab', sink, tokenSource: { idToken: async () => jwt('something-else') } };
    const config = parseRunConfig({ target: 'alpha', secret: 'alpha-secret-10' }, { targets, env: {} });
    await expect(federate({ platform: p, config, deps: deps() })).rejects.toMatchObject({
      code: 'ERR_PLATFORM_AUDIENCE_MISMATCH',
    });
  });

  it('reports config problems of every exchange at once', () => {
    try {
      parseRunConfig(
        {},
        {
          targets,
          env: {},
          exchanges: [
            { target: 'nope' },
            { target: 'alpha', typo: 'x' },
            { target: 'beta', secret: 's', fail: 'maybe' },
          ],
        },
      );
      expect.unreachable();
    } catch (e) {
      expect(
        (e as { issues: Array<{ input: string; code: string }> }).issues.map((i) => [i.input, i.code]),
      ).toEqual([
        ['exchanges[0].target', 'ERR_CONFIG_ENUM'],
        ['exchanges[1].secret', 'ERR_CONFIG_REQUIRED'],
        ['exchanges[1].typo', 'ERR_CONFIG_UNKNOWN_INPUT'],
        ['exchanges[2].fail', 'ERR_CONFIG_BOOLEAN'],
      ]);
    }
  });
});

describe('an unknown input in an exchanges list', () => {
  it('names the option it most likely meant, or none when nothing is close', () => {
    try {
      parseRunConfig(
        {},
        {
          targets,
          env: {},
          exchanges: [
            { target: 'alpha', secert: 'x' },
            { target: 'alpha', id: 'second', secret: 's', zzz: '1' },
          ],
        },
      );
      expect.unreachable();
    } catch (e) {
      const issues = (e as { issues: Array<{ input: string; code: string; hint?: string }> }).issues;
      expect(
        issues.filter((i) => i.code === 'ERR_CONFIG_UNKNOWN_INPUT').map((i) => [i.input, i.code, i.hint]),
      ).toEqual([
        ['exchanges[0].secert', 'ERR_CONFIG_UNKNOWN_INPUT', 'did you mean secret? Otherwise remove it'],
        ['exchanges[1].zzz', 'ERR_CONFIG_UNKNOWN_INPUT', 'remove it or check its spelling'],
      ]);
    }
  });
});

describe('targets that use no platform token', () => {
  it('never ask the platform for one', async () => {
    const sink = recordingSink();
    const tokens = { count: 0 };
    const keyOnly = {
      ...fakeTarget('alpha', 'ALPHA'),
      usesPlatformToken: () => false,
      exchange: fakeTarget('alpha', 'ALPHA').exchange,
    };
    keyOnly.exchange = async (ctx, o) => {
      await expect(ctx.token()).rejects.toThrow(TypeError);
      return {
        target: 'alpha',
        principal: 'p',
        expiresAt: undefined,
        values: [{ name: 's', value: o.secret, secret: true, env: 'S' }],
        files: [],
        revoke: [],
        notes: [],
      };
    };
    const config = parseRunConfig(
      { target: 'alpha', secret: 'key-only-secret' },
      { targets: { alpha: keyOnly } as unknown as Record<string, Target<never>>, env: {} },
    );
    const outcome = await federate({ platform: platform(sink, tokens), config, deps: deps() });
    expect(tokens.count).toBe(0);
    expect(outcome.summary.identity).toBeUndefined();
    expect(sink.events).toContain('env:S');
  });
});

describe('revocation after a failed run', () => {
  it('still reaches the server when the run failed at its deadline', async () => {
    const sink = recordingSink();
    let t = NOW;
    const calls: string[] = [];
    const d: Deps = {
      ...deps(),
      // Every clock read moves time on: the run's deadline is long gone by the time it fails.
      now: () => (t += 20_000),
      transport: fetchTransport((async (url: URL | string) => {
        calls.push(String(url));
        return new Response('', { status: 204 });
      }) as typeof fetch),
    };
    const alpha = fakeTarget('alpha', 'ALPHA');
    const withHttpRevoke = {
      ...alpha,
      async revoke(ctx: {
        http: { request(r: { what: string; url: string; method: 'POST' }): Promise<unknown> };
      }) {
        await ctx.http.request({
          what: 'revoke',
          url: 'https://revoke.example/v1/auth/token/revoke-self',
          method: 'POST',
        });
      },
    };
    const targets2 = { alpha: withHttpRevoke, beta: fakeTarget('beta', 'BETA') } as unknown as Record<
      string,
      Target<never>
    >;
    const config = parseRunConfig(
      { timeout: '30s' },
      {
        targets: targets2,
        env: {},
        exchanges: [
          { target: 'alpha', secret: 'alpha-secret-11' },
          { target: 'beta', secret: 'beta-secret-11', fail: true },
        ],
      },
    );
    await expect(
      federate({ platform: platform(sink, { count: 0, exp: NOW / 1000 + 100_000 }), config, deps: d }),
    ).rejects.toBeInstanceOf(AggregateExchangeError);
    expect(calls).toEqual(['https://revoke.example/v1/auth/token/revoke-self']);
  });
});

describe('errors a target throws', () => {
  it('are scrubbed of every registered secret, in message and hint, before anyone sees them', async () => {
    const sink = recordingSink();
    const echoing = {
      ...fakeTarget('alpha', 'ALPHA'),
      async exchange(ctx: { secrets: SecretRegistry }, o: FakeOptions): Promise<Credentials> {
        ctx.secrets.add(o.secret);
        throw new ExchangeError('ERR_EXCHANGE_REJECTED', 'alpha', `server said: key ${o.secret} is wrong`, {
          hint: `rotate ${o.secret}`,
        });
      },
    };
    const config = parseRunConfig(
      { target: 'alpha', secret: 'echoed-api-key-1' },
      { targets: { alpha: echoing } as unknown as Record<string, Target<never>>, env: {} },
    );
    const err = (await federate({ platform: platform(sink, { count: 0 }), config, deps: deps() }).catch(
      (e) => e,
    )) as AggregateExchangeError;
    const inner = err.errors[0] as ExchangeError;
    expect(inner.message).toBe('server said: key *** is wrong');
    expect(inner.hint).toBe('rotate ***');
  });
});
