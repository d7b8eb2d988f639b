/**
 * main.ts: the Action's main step. Thin: read inputs through the GitHub platform, run the core,
 * fail the step once with a layered, secret-free message. Everything else lives in the packages.
 */
import { appendFileSync } from 'node:fs';
import { federate, formatError, parseRunConfig } from '@federate/core';
import { escapeCommandData, parseExchangesYaml, readGitHubInputs, writeStdout } from '@federate/platforms';
import { loadTargets, targetNamesIn } from '@federate/targets/lazy';
import { actionRuntime, inputNames } from './runtime.js';

async function run(): Promise<number> {
  const { deps, platform, http } = actionRuntime('main');
  const { env, secrets, log } = deps;
  try {
    const inputs = readGitHubInputs(env, inputNames(env));
    const exchanges = inputs['exchanges'] ? await parseExchangesYaml(inputs['exchanges']) : undefined;
    // Only the targets this step names are loaded (dist/targets/<name>.js): the common path stays small.
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
      // Dry run is the doctor: claims with each cloud's condition keys, and the server's checks. A
      // failed check fails the step, so a self-test catches a broken trust set-up.
      const trust = await import('@federate/trust');
      let failed = false;
      for (const [audience, identity] of outcome.identities) {
        const report = await trust.doctorReport(identity.token, {
          now: deps.now,
          fetch: trust.httpFetchLike(http),
          expectedAudience: audience,
        });
        log.info(trust.renderText(report));
        if (env['GITHUB_STEP_SUMMARY'])
          appendFileSync(env['GITHUB_STEP_SUMMARY'], secrets.redact(trust.renderMarkdown(report)));
        failed ||= trust.checksFailed(report);
      }
      if (failed) {
        writeStdout(
          '::error title=Federate::dry run: the token failed a verification check (see the report above)\n',
        );
        return 1;
      }
    }
    return 0;
  } catch (error) {
    // One failure line for the step (::error:: annotates the run), redacted like everything else.
    const text = formatError(error, secrets);
    writeStdout(`::error title=Federate::${escapeCommandData(text)}\n`);
    return 1;
  }
}

run().then((code) => {
  process.exitCode = code;
});
