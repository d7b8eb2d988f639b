/**
 * main.ts: the Action's main step. Thin: read inputs through the GitHub platform, run the core,
 * fail the step once with a layered, secret-free message. Everything else lives in the packages.
 */
import { appendFileSync } from 'node:fs';
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
import { execNoShell, github, parseExchangesYaml, readGitHubInputs, transportFor } from '@federate/platforms';
import { loadTargets, targetNamesIn } from '@federate/targets/lazy';
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
    // Targets that drive a vendor CLI (okta-pa's `sft`) run it without a shell.
    exec: execNoShell,
  };
  const http = createHttpClient({ ...deps, log });
  try {
    const inputs = readGitHubInputs(env, inputNames(env));
    const platform = github.create({
      env,
      http,
      secrets,
      log,
      now: deps.now,
      write: (t) => void process.stdout.write(t),
      options: {},
    });
    const exchanges = inputs['exchanges'] ? await parseExchangesYaml(inputs['exchanges']) : undefined;
    // Only the targets this step names are loaded (one chunk each): the common path stays small.
    const targets = await loadTargets(targetNamesIn(inputs['target'], exchanges));
    const config = parseRunConfig(inputs, {
      targets,
      env,
      // Empty inputs are absent, so any non-empty input no target reads is a typo worth failing on.
      strictInputs: true,
      ...(exchanges === undefined ? {} : { exchanges }),
    });
    const outcome = await federate({ platform, config, deps });
    if (config.dryRun) {
      // Dry run is the doctor: claims with each cloud's condition keys, and the server's checks.
      const trust = await import('@federate/trust');
      for (const [audience, identity] of outcome.identities) {
        const report = await trust.doctorReport(identity.token, {
          now: deps.now,
          fetch: trust.httpFetchLike(http),
          expectedAudience: audience,
        });
        log.info(trust.renderText(report));
        if (env['GITHUB_STEP_SUMMARY'])
          appendFileSync(env['GITHUB_STEP_SUMMARY'], secrets.redact(trust.renderMarkdown(report)));
      }
    }
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
