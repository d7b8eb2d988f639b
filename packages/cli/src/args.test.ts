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
    [['run', '--role-arn', '--', 'aws', 's3', 'ls'], /option --role-arn needs a value/],
    [['exchange', '-x'], /unknown option/],
    [['exchange', '--target', 'a', '--target', 'b'], /given twice/],
    [['exchange', '--$(touch x)', 'v'], /unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('says a value is missing when an option is followed by another known option (an empty variable)', () => {
    const known = () => new Set(['role-arn', 'region']);
    expect(() => parseArgs(['exchange', '--role-arn', '--region', 'eu-west-1'], {}, known)).toThrow(
      'option --role-arn needs a value, but the next argument is the option --region: is the variable meant to give --role-arn its value empty?',
    );
    // A value that merely starts with -- is still a value when it names no option.
    expect(
      parseArgs(['exchange', '--role-arn', '--not-an-option'], {}, () => new Set(['role-arn'])).flags,
    ).toEqual({
      'role-arn': '--not-an-option',
    });
  });

  it('names an option shaped like a name, and describes anything else without echoing it', () => {
    expect(() => parseArgs(['exchange', '--Role_Arn=x'])).toThrow('unknown option "--Role_Arn"');
    expect(() => parseArgs(['exchange', '--bad.name=v'])).toThrow(
      'unknown option (not shown: it is not shaped like an option name)',
    );
    expect(() => parseArgs(['exchange', '-eyJhbGciOiJSUzI1NiJ9.e30.sig'])).toThrow(
      'unknown option (not shown: it is not shaped like an option name)',
    );
    expect(() => parseArgs(['exchange', '-x'])).toThrow('unknown option "-x"');
    expect(() => parseArgs(['exchange', '--Client-Secret=s3cr3t'])).toThrow(
      'unknown option "--Client-Secret"',
    );
  });

  it('passes hostile values through untouched (they are data, never shell)', () => {
    const hostile = `$(touch /tmp/pwned) \`id\` "'\n::set-env name=X::y`;
    expect(parseArgs(['exchange', '--session-name', hostile]).flags['session-name']).toBe(hostile);
  });
});

describe('parseArgs suggestions', () => {
  const accepted = new Set(['role-arn', 'region', 'target']);

  it('parseArgs names the guess and the command whose help to read', () => {
    const known = () => accepted;
    let error: unknown;
    try {
      parseArgs(['exchange', '--rol-arn', 'x'], {}, known);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'unknown option --rol-arn for federate exchange (did you mean --role-arn?)',
    );
    expect((error as UsageError).command).toBe('exchange');
    const long = `--${'a'.repeat(41)}`;
    expect(() => parseArgs(['exchange', long, 'x'], {}, known)).toThrow(
      'unknown option (not shown: it is not shaped like an option name) for federate exchange',
    );
  });
});
