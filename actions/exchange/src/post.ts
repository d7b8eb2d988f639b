/**
 * post.ts: the Action's post step. Removes exactly the files main recorded and revokes the
 * server-side tokens it recorded (Vault, octo-sts). Never fails the job over cleanup: it warns.
 */
import {
  createFetch,
  createHttpClient,
  type Deps,
  revokeRecorded,
  SecretRegistry,
  userAgent,
} from '@federate/core';
import { github, transportFor } from '@federate/platforms';
import { loadTargets } from '@federate/targets/lazy';
import { githubLogger } from './log.js';

async function run(): Promise<void> {
  const env = process.env;
  const secrets = new SecretRegistry();
  const log = githubLogger(env, secrets);
  const deps: Deps = {
    fetch: createFetch(env, globalThis.fetch),
    // node:http on the hot path (fetch's own undici costs ~20 ms at start); npm undici only for proxies.
    transport: transportFor(env),
    env,
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: Math.random,
    log,
    secrets,
    userAgent: userAgent('action-post', 'github', process.version),
  };
  try {
    const platform = github.create({
      env,
      http: createHttpClient({
        fetch: deps.fetch,
        now: deps.now,
        sleep: deps.sleep,
        random: deps.random,
        userAgent: deps.userAgent,
        log,
      }),
      secrets,
      log,
      now: deps.now,
      write: (t) => void process.stdout.write(t),
      options: {},
    });
    const { removed, revoke } = await platform.cleanup();
    const errors = await revokeRecorded(revoke, await loadTargets(revoke.map((r) => r.target)), deps);
    log.info(
      `Federate cleanup: removed ${removed.length} file(s), revoked ${revoke.length - errors.length} of ${revoke.length} token(s)`,
    );
    for (const e of errors) log.warn(`${e.code}: ${e.message}`);
  } catch (error) {
    log.warn(`Federate cleanup could not finish: ${(error as { code?: string }).code ?? 'unexpected error'}`);
  }
}

void run();
