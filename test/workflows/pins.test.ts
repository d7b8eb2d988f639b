/**
 * pins.test.ts: every plugin runs exactly the CLI released with it. Each pin (orb scripts, GitLab
 * templates and README, the Cloud Build Dockerfile label and examples) must equal
 * packages/cli/package.json's version, and sync-pins.mjs (what the release's version PR runs) must
 * find every one of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../e2e/wrapper-support.js';
import { runProcess } from '../support/github-runner.js';

const cli = (JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;

function pinsIn(file: string, re: RegExp): string[] {
  return [...readFileSync(join(REPO, file), 'utf8').matchAll(re)].map((m) => m[1] as string);
}

describe('version pins', () => {
  const cases: Array<[string, RegExp]> = [
    ['orbs/federate/src/scripts/run-cli.sh', /federate_cli_version="([^"]+)"/g],
    ['gitlab-templates/templates/exchange.yml', /@federate\/cli@([0-9][^\s"']*)/g],
    ['gitlab-templates/templates/doctor.yml', /@federate\/cli@([0-9][^\s"']*)/g],
    ['packages/cloudbuild-step/Dockerfile', /org\.opencontainers\.image\.version="([^"]+)"/g],
  ];
  it.each(cases)('%s pins the CLI version', (file, re) => {
    const pins = pinsIn(file, re);
    expect(pins.length, file).toBeGreaterThan(0);
    for (const p of pins) expect(p, file).toBe(cli);
  });

  it('sync-pins.mjs --check agrees, and finds a pin in every plugin', async () => {
    const res = await runProcess(process.execPath, [join(REPO, 'scripts/sync-pins.mjs'), '--check']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const mod = (await import(join(REPO, 'scripts/sync-pins.mjs'))) as {
      findPins(): Array<{ file: string; version: string }>;
    };
    const found = new Set(mod.findPins().map((p) => p.file));
    for (const [file] of cases) expect(found, file).toContain(file);
  });

  it('the Cloud Build image build tags the image with the CLI version it checks', () => {
    const text = readFileSync(join(REPO, 'packages/cloudbuild-step/cloudbuild.yaml'), 'utf8');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitutions, not JavaScript.
    expect(text).toContain('--tag=${_REGISTRY}/federate:${_VERSION}');
    expect(text).toContain("require('./packages/cli/package.json').version");
  });
});
