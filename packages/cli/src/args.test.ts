import { describe, expect, it } from 'vitest';
import { envInputs, parseArgs, UsageError } from './args.js';

describe('parseArgs', () => {
  it('reads commands, values, = values, booleans and negations', () => {
    const a = parseArgs([
      'exchange',
      '--target',
      'aws',
      '--role-arn=arn:aws:iam::1:role/x',
      '--dry-run',
      '--no-cleanup',
      '--export-env',
      'false',
    ]);
    expect(a.command).toBe('exchange');
    expect(a.flags).toEqual({
      target: 'aws',
      'role-arn': 'arn:aws:iam::1:role/x',
      'dry-run': 'true',
      cleanup: 'false',
      'export-env': 'false',
    });
  });

  it('keeps everything after -- for federate run', () => {
    const a = parseArgs(['run', '--target', 'aws', '--', 'aws', 's3', 'ls', '--recursive']);
    expect(a.rest).toEqual(['aws', 's3', 'ls', '--recursive']);
    expect(a.flags).toEqual({ target: 'aws' });
  });

  it('overlays flags on FEDERATE_* variables and ignores empty and reserved ones', () => {
    const env = {
      FEDERATE_ROLE_ARN: 'from-env',
      FEDERATE_REGION: '',
      FEDERATE_CLI: '/x',
      FEDERATE_TARGET: 'aws',
      OTHER: 'x',
    };
    const a = parseArgs(['exchange', '--role-arn', 'from-flag'], env);
    expect(a.inputs).toEqual({ 'role-arn': 'from-flag', target: 'aws' });
    expect(envInputs(env)).toEqual({ 'role-arn': 'from-env', target: 'aws' });
  });

  it.each([
    [['exchange', '--role-arn'], /needs a value/],
    [['exchange', '-x'], /unknown option/],
    [['exchange', '--target', 'a', '--target', 'b'], /given twice/],
    [['exchange', '--$(touch x)', 'v'], /unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('passes hostile values through untouched (they are data, never shell)', () => {
    const hostile = `$(touch /tmp/pwned) \`id\` "'\n::set-env name=X::y`;
    expect(parseArgs(['exchange', '--session-name', hostile]).flags['session-name']).toBe(hostile);
  });
});
