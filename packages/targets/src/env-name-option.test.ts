/**
 * env-name-option.test.ts: every target that lets the user name the exported variable checks that
 * name while parsing options (core's envNameProblem, the policy the sinks apply at export), so a
 * dangerous or reserved name fails with the input named, before any request is made.
 */
import { InputReader } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { TARGETS } from './index.js';

function inputsOf(name: string): string[] {
  const reader = new InputReader({});
  (TARGETS[name] as { parse(r: InputReader, env: object): unknown }).parse(reader, {});
  return reader.inputsRead();
}

const withEnvName = Object.keys(TARGETS).filter((t) => inputsOf(t).includes('env-name'));

describe('env-name is checked when options are parsed', () => {
  it('is an option of the targets that export one token under a chosen name', () => {
    expect(withEnvName.sort()).toEqual(['oauth', 'octo-sts', 'okta-pa']);
  });

  describe.each(withEnvName)('%s', (target) => {
    const issuesFor = (envName: string) => {
      const reader = new InputReader({ 'env-name': envName });
      (TARGETS[target] as { parse(r: InputReader, env: object): unknown }).parse(reader, {});
      return reader.issues.filter((i) => i.input === 'env-name');
    };

    it.each([
      ['NODE_OPTIONS', 'ERR_CONFIG_INVALID', 'changes how later programs start'],
      ['LD_PRELOAD', 'ERR_CONFIG_INVALID', 'changes how later programs start'],
      ['HTTPS_PROXY', 'ERR_CONFIG_INVALID', 'changes how later programs start'],
      ['GITHUB_PATH', 'ERR_CONFIG_INVALID', 'GITHUB_*'],
      ['CI_JOB_TOKEN', 'ERR_CONFIG_INVALID', 'CI_*'],
      ['1X', 'ERR_CONFIG_PATTERN', 'variable name'],
    ])('refuses %s', (name, code, text) => {
      expect(issuesFor(name)).toEqual([
        expect.objectContaining({ code, message: expect.stringContaining(text) }),
      ]);
    });

    it('accepts an ordinary name', () => {
      expect(issuesFor('DEPLOY_TOKEN')).toEqual([]);
    });
  });
});
