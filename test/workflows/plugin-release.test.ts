/**
 * plugin-release.test.ts: the plugins' own release configs validate offline: the orb's orb-tools
 * pipeline (config.yml + test-deploy.yml) against the CircleCI config schema subset, and the Cloud
 * Build image build against the Cloud Build schema subset.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSchema, REPO } from '../e2e/wrapper-support.js';

type Doc = Record<string, unknown> & {
  workflows: Record<string, { jobs: Array<Record<string, Record<string, unknown>>> }>;
};
const load = (p: string) => parse(readFileSync(join(REPO, p), 'utf8')) as Doc;

/** jobsOf flattens a workflow's job entries into [name, params]. */
function jobsOf(doc: Doc): Array<[string, Record<string, unknown>]> {
  return Object.values(doc.workflows).flatMap((w) =>
    w.jobs.map((j) => Object.entries(j)[0] as [string, Record<string, unknown>]),
  );
}

describe('orb release pipeline (orb-tools conventions)', () => {
  const validate = compileSchema('circleci-orb.schema.json', '/definitions/config');

  it('config.yml is a setup workflow that lints, packs, reviews, shellchecks, publishes dev and continues', () => {
    const doc = load('orbs/federate/.circleci/config.yml');
    // The schema subset has no `setup` key (dynamic configuration); check it here and validate the rest.
    expect(doc['setup']).toBe(true);
    const { setup: _setup, ...rest } = doc;
    expect(validate(rest)).toEqual([]);
    const jobs = new Map(jobsOf(doc));
    for (const j of ['orb-tools/lint', 'orb-tools/pack', 'orb-tools/review', 'shellcheck/check'])
      expect(jobs.has(j), j).toBe(true);
    expect(jobs.get('orb-tools/publish')?.['pub_type']).toBe('dev');
    const next = String(jobs.get('orb-tools/continue')?.['config_path']);
    expect(existsSync(join(REPO, next))).toBe(true);
  });

  it('test-deploy.yml tests the dev orb and publishes production only on vX.Y.Z tags', () => {
    const doc = load('orbs/federate/.circleci/test-deploy.yml');
    expect(validate(doc)).toEqual([]);
    const publish = new Map(jobsOf(doc)).get('orb-tools/publish') as {
      pub_type: string;
      requires: string[];
      filters: { tags: { only: string }; branches: { ignore: string } };
    };
    expect(publish.pub_type).toBe('production');
    expect(publish.requires).toContain('dry-run');
    expect(publish.filters.tags.only).toBe('/^v[0-9]+\\.[0-9]+\\.[0-9]+$/');
    expect(publish.filters.branches.ignore).toBe('/.*/');
  });
});

describe('Cloud Build image build', () => {
  it('validates and pushes exactly the image it builds', () => {
    const doc = parse(readFileSync(join(REPO, 'packages/cloudbuild-step/cloudbuild.yaml'), 'utf8')) as {
      images: string[];
      steps: Array<{ id: string; args?: string[] }>;
    };
    expect(compileSchema('cloudbuild.schema.json')(doc)).toEqual([]);
    const build = doc.steps.find((s) => s.id === 'image');
    const tag = build?.args?.find((a) => a.startsWith('--tag='))?.slice('--tag='.length);
    expect(doc.images).toEqual([tag]);
    expect(build?.args).toContain('--file=packages/cloudbuild-step/Dockerfile');
  });
});

describe('release gating', () => {
  it('publishes plugins only when the release job actually published a version', () => {
    const wf = parse(readFileSync(join(REPO, '.github', 'workflows', 'release.yml'), 'utf8')) as {
      jobs: Record<string, { needs?: string | string[]; if?: string; outputs?: Record<string, string> }>;
    };
    expect(wf.jobs['release']?.outputs?.['published']).toContain('steps.changesets.outputs.published');
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (name === 'release') continue;
      const needs = ([] as string[]).concat(job.needs ?? []);
      if (needs.includes('release'))
        expect(job.if, name).toContain("needs.release.outputs.published == 'true'");
    }
  });
});
