/**
 * main.ts: the Action's main step. Thin: read inputs through the GitHub platform, run the core,
 * fail the step once with a layered, secret-free message. Everything else lives in the packages.
 */
import {
  createFetch,
  createHttpClient,
  type Deps,
  formatError,
  federate,
  parseRunConfig,
  SecretRegistry,
  userAgent,
} from '@federate/core';
import { github, parseExchangesYaml, readGitHubInputs, transportFor } from '@federate/platforms';
import { TARGETS } from '@federate/targets';
import { githubLogger, inputNames } from './log.js';

async function run(): Promise<number> {
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
    userAgent: userAgent('action', 'github', process.version),
  };
  try {
    const inputs = readGitHubInputs(env, inputNames(env));
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
    const exchanges = inputs['exchanges'] ? await parseExchangesYaml(inputs['exchanges']) : undefined;
    const config = parseRunConfig(inputs, {
      targets: TARGETS,
      env,
      // Empty inputs are absent, so any non-empty input no target reads is a typo worth failing on.
      strictInputs: true,
      ...(exchanges === undefined ? {} : { exchanges }),
    });
    await federate({ platform, config, deps });
    return 0;
  } catch (error) {
    // One failure line for the step (::error:: annotates the run), redacted like everything else.
    const text = formatError(error, secrets);
    process.stdout.write(
      `::error title=Federate::${text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`,
    );
    return 1;
  }
}

run().then((code) => {
  process.exitCode = code;
});
