import { parseRunConfig, type Target, jwtExpiry } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../shared/test-context.js';
import { oktaPaTarget } from './index.js';
import { authenticateCommand, JWT_ENV } from './request.js';
import { classifyStderr, parseSftResult, type SftCall, scrubStderr, sftFailure } from './response.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJlLXZhbHVl';

describe('okta-pa options', () => {
  it('defaults to sft on PATH, OPA_TOKEN and a 60 s timeout, with no default audience', () => {
    const o = parseOptions(oktaPaTarget, { team: 'acme', connection: 'github-deploy' });
    expect(o).toMatchObject({
      team: 'acme',
      connection: 'github-deploy',
      roleHint: undefined,
      sftPath: 'sft',
      address: undefined,
      envName: 'OPA_TOKEN',
      timeoutMs: 60_000,
    });
    expect(oktaPaTarget.audience(o)).toBe('');
  });

  it('reads every option', () => {
    const o = parseOptions(oktaPaTarget, {
      team: 'acme-prod',
      connection: 'GitHub deploy',
      'role-hint': 'deployer',
      'sft-path': '/opt/sft/bin/sft',
      address: 'https://acme.pam.okta.com',
      'env-name': 'MY_OPA',
      'sft-timeout': '2m',
    });
    expect(o).toMatchObject({
      connection: 'GitHub deploy',
      roleHint: 'deployer',
      sftPath: '/opt/sft/bin/sft',
      envName: 'MY_OPA',
      timeoutMs: 120_000,
    });
    expect(o.address?.host).toBe('acme.pam.okta.com');
    expect(oktaPaTarget.describe?.(o)).toContain('connection GitHub deploy');
  });

  it.each([
    [{ connection: 'c' }, 'ERR_CONFIG_REQUIRED'],
    [{ team: 'acme' }, 'ERR_CONFIG_REQUIRED'],
    [{ team: '--help', connection: 'c' }, 'ERR_CONFIG_PATTERN'],
    [{ team: 'acme', connection: '-x' }, 'ERR_CONFIG_PATTERN'],
    [{ team: 'acme', connection: 'c', 'role-hint': '--debug' }, 'ERR_CONFIG_PATTERN'],
    [{ team: 'acme', connection: 'c', 'sft-path': '-sft' }, 'ERR_CONFIG_PATTERN'],
    [{ team: 'acme', connection: 'c', address: 'http://acme.pam.okta.com' }, 'ERR_CONFIG_INSECURE_URL'],
    [{ team: 'acme', connection: 'c', 'env-name': 'OPA-TOKEN' }, 'ERR_CONFIG_PATTERN'],
    [{ team: 'acme', connection: 'c', 'env-name': 'SFT_TEAM' }, 'ERR_CONFIG_INVALID'],
    [{ team: 'acme', connection: 'c', 'sft-timeout': '11m' }, 'ERR_CONFIG_DURATION'],
  ])('rejects %j with %s', (raw, code) => {
    expect(() => parseOptions(oktaPaTarget, raw)).toThrow(expect.objectContaining({ code }));
  });
});

describe('okta-pa audience', () => {
  const targets = { 'okta-pa': oktaPaTarget as Target<never> };
  const raw = { target: 'okta-pa', team: 'acme', connection: 'gh' };

  it('is required: the run fails before any request without one', () => {
    expect(() => parseRunConfig(raw, { targets, env: {} })).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_REQUIRED',
        issues: [expect.objectContaining({ input: 'audience' })],
      }),
    );
  });

  it("takes the user's audience", () => {
    expect(parseRunConfig({ ...raw, audience: 'opa' }, { targets, env: {} }).exchanges[0]?.audience).toBe(
      'opa',
    );
  });
});

describe('okta-pa command', () => {
  const options = parseOptions(oktaPaTarget, {
    team: 'acme',
    connection: 'gh',
    'role-hint': 'deployer',
    address: 'https://acme.pam.okta.com/',
  });

  it('puts the JWT only in the environment, with a minimal environment', () => {
    const cmd = authenticateCommand(
      options,
      {
        PATH: '/usr/bin',
        HOME: '/home/ci',
        AWS_SECRET_ACCESS_KEY: 'leak',
        GITHUB_TOKEN: 'ghs_x',
        HTTPS_PROXY: 'http://p',
      },
      JWT,
    );
    expect(cmd.file).toBe('sft');
    expect(cmd.args).toEqual([
      'workload',
      'authenticate',
      '--team',
      'acme',
      '--connection',
      'gh',
      '--jwt-env',
      JWT_ENV,
      '--role-hint',
      'deployer',
    ]);
    expect(cmd.args.join(' ')).not.toContain(JWT);
    expect(cmd.env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/ci',
      HTTPS_PROXY: 'http://p',
      SFT_TEAM: 'acme',
      OPA_ADDR: 'https://acme.pam.okta.com',
      [JWT_ENV]: JWT,
    });
    expect(cmd.timeoutMs).toBe(60_000);
  });

  it('omits --role-hint when none is given and inherits OPA_ADDR from the job', () => {
    const o = parseOptions(oktaPaTarget, { team: 'acme', connection: 'gh' });
    const cmd = authenticateCommand(o, { OPA_ADDR: 'https://x.pam.okta.com' }, JWT);
    expect(cmd.args).not.toContain('--role-hint');
    expect(cmd.env['OPA_ADDR']).toBe('https://x.pam.okta.com');
  });
});

describe('okta-pa results', () => {
  const call: SftCall = { team: 'acme', connection: 'gh', roleHint: 'deployer', sftPath: 'sft' };
  const registered: string[] = [];
  const register = (s: string) => void registered.push(s);

  it('reads the token from stdout and registers it first', () => {
    expect(parseSftResult({ code: 0, stdout: 'opa_tok123\n', stderr: '' }, call, register)).toBe(
      'opa_tok123',
    );
    expect(registered).toContain('opa_tok123');
  });

  it.each([
    ['empty stdout', { code: 0, stdout: '\n', stderr: '' }],
    ['two lines', { code: 0, stdout: 'Update available\nopa_tok\n', stderr: '' }],
  ])('rejects %s as a bad answer', (_n, result) => {
    expect(() => parseSftResult(result, call, register)).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  it('refuses a token a Draft connection printed', () => {
    expect(() =>
      parseSftResult(
        { code: 0, stdout: 'opa_draft\n', stderr: 'Warning: workload connection "gh" is in Draft status\n' },
        call,
        register,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_EXCHANGE_POLICY', serverCode: 'ConnectionDraft' }));
    expect(registered).toContain('opa_draft');
  });

  it.each([
    [
      'Error: JWT validated, but workload connection "gh" is in Draft status',
      'ERR_EXCHANGE_POLICY',
      'ConnectionDraft',
    ],
    ['Error: request canceled: policy requires MFA', 'ERR_EXCHANGE_POLICY', 'InteractiveConstraint'],
    [
      'Error: request cancelled: an access request is required',
      'ERR_EXCHANGE_POLICY',
      'InteractiveConstraint',
    ],
    ['Error: workload connection "gh" is inactive', 'ERR_EXCHANGE_REJECTED', 'ConnectionInactive'],
    [
      'Error: workload connection "gh" not found in team "acme"',
      'ERR_EXCHANGE_REJECTED',
      'ConnectionNotFound',
    ],
    ['Error: team "acme" not found', 'ERR_EXCHANGE_REJECTED', 'TeamNotFound'],
    ['Error: no workload role "x" matches this workload', 'ERR_EXCHANGE_REJECTED', 'RoleNotMatched'],
    ['Error: JWT validation failed: claim "aud" does not match', 'ERR_EXCHANGE_REJECTED', 'InvalidJwt'],
    ['Error: unknown command "workload" for "sft"', 'ERR_EXCHANGE_FAILED', 'UnsupportedClient'],
    ['Error: 429 Too Many Requests', 'ERR_EXCHANGE_THROTTLED', 'Throttled'],
    ['Error: dial tcp: lookup acme.pam.okta.com: no such host', 'ERR_HTTP_NETWORK', 'Network'],
    ['Error: 503 Service Unavailable', 'ERR_EXCHANGE_SERVER', 'ServerError'],
    ['Error: something new went wrong', 'ERR_EXCHANGE_FAILED', undefined],
  ])('maps %s', (stderr, code, serverCode) => {
    const err = sftFailure({ code: 1, stdout: '', stderr }, call);
    expect(err).toMatchObject({ code, target: 'okta-pa' });
    expect(err.serverCode).toBe(serverCode);
    expect(err.hint).toBeTruthy();
    expect(classifyStderr(stderr)).toBe(serverCode);
  });

  it('tells a missing client from a timeout', () => {
    expect(sftFailure({ code: 127, stdout: '', stderr: '' }, call)).toMatchObject({
      code: 'ERR_EXCHANGE_FAILED',
      serverCode: 'SftNotFound',
    });
    expect(sftFailure({ code: 127, stdout: '', stderr: '' }, { ...call, timedOut: true })).toMatchObject({
      code: 'ERR_HTTP_TIMEOUT',
    });
  });

  it('keeps JWTs and stdout out of messages', () => {
    const err = sftFailure(
      { code: 1, stdout: 'opa_secret_stdout', stderr: `Error: JWT validation failed for ${JWT}\n` },
      call,
    );
    expect(err.message).not.toContain(JWT);
    expect(err.message).not.toContain('opa_secret_stdout');
    expect(scrubStderr(`a\n${JWT}\n`)).toBe('a | [token]');
  });

  it('reads exp only when the token is a JWT', () => {
    const exp = 2_000_000_000;
    const jwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.`;
    expect(jwtExpiry(jwt)?.getTime()).toBe(exp * 1000);
    expect(jwtExpiry('opa_opaque')).toBeUndefined();
    expect(jwtExpiry('a.b.c')).toBeUndefined();
  });
});
