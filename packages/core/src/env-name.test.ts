import { describe, expect, it } from 'vitest';
import { EVERY_CI_RESERVED_PREFIX, envNameProblem } from './env-name.js';
import { InputReader } from './options.js';

describe('envNameProblem', () => {
  it.each([
    ['FEDERATE_OAUTH_TOKEN', undefined],
    ['my_token', undefined],
    ['GH_TOKEN', undefined],
    ['AWS_ACCESS_KEY_ID', undefined],
    ['1TOKEN', 'pattern'],
    ['A-B', 'pattern'],
    ['', 'pattern'],
    ['A\nB', 'pattern'],
    ['PATH', 'dangerous'],
    ['Path', 'dangerous'], // Windows environments are case-insensitive
    ['NODE_OPTIONS', 'dangerous'],
    ['LD_PRELOAD', 'dangerous'],
    ['https_proxy', 'dangerous'],
    ['BASH_FUNC_x%%', 'pattern'],
    ['BASH_FUNC_X', 'dangerous'],
    ['GITHUB_TOKEN', 'reserved'],
    ['RUNNER_TEMP', 'reserved'],
    ['CI_JOB_TOKEN', 'reserved'],
    ['CIRCLE_TOKEN', 'reserved'],
  ])('%s → %s', (name, kind) => {
    expect(envNameProblem(name)?.kind).toBe(kind);
  });

  it('checks only the reserved prefixes it is given (a sink passes its own platform’s)', () => {
    expect(envNameProblem('CI_JOB_TOKEN', ['GITHUB_'])).toBeUndefined();
    expect(envNameProblem('GITHUB_X', ['GITHUB_'])).toMatchObject({ kind: 'reserved', prefix: 'GITHUB_' });
    expect(EVERY_CI_RESERVED_PREFIX).toEqual(expect.arrayContaining(['GITHUB_', 'CI_', 'CIRCLE_']));
  });
});

describe('InputReader.envName', () => {
  const read = (raw: Record<string, string>, own?: string[]) => {
    const input = new InputReader(raw);
    const value = input.envName('env-name', 'DEFAULT_NAME', own ? { own } : {});
    return { value, issues: input.issues };
  };

  it('returns the fallback when the input is absent, and a valid name as given', () => {
    expect(read({})).toEqual({ value: 'DEFAULT_NAME', issues: [] });
    expect(read({ 'env-name': 'MY_TOKEN' })).toEqual({ value: 'MY_TOKEN', issues: [] });
  });

  it('reports a bad name against the input, with the reason, before any request is made', () => {
    expect(read({ 'env-name': 'NODE_OPTIONS' }).issues).toEqual([
      expect.objectContaining({
        input: 'env-name',
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringContaining('changes how later programs start'),
      }),
    ]);
    expect(read({ 'env-name': 'GITHUB_TOKEN' }).issues[0]).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('GITHUB_*'),
    });
    expect(read({ 'env-name': '9lives' }).issues[0]).toMatchObject({ code: 'ERR_CONFIG_PATTERN' });
  });

  it("refuses the target's own names", () => {
    expect(read({ 'env-name': 'opa_team' }, ['OPA_TEAM']).issues[0]).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('exports itself'),
    });
  });
});
