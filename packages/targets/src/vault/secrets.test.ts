import { describe, expect, it } from 'vitest';
import { keyEnvName, parseSecretMappings, secretEnvProblem } from './secrets.js';

describe('parseSecretMappings', () => {
  it.each([
    [
      'secret/data/ci/aws accessKey | AWS_KEY',
      [
        {
          kind: 'key',
          line: 1,
          path: 'secret/data/ci/aws',
          key: 'accessKey',
          env: 'AWS_KEY',
          output: 'AWS_KEY',
        },
      ],
    ],
    [
      'secret/data/ci/aws accessKey | AWS_KEY ; secret/data/ci/db password | DB_PASSWORD',
      [
        {
          kind: 'key',
          line: 1,
          path: 'secret/data/ci/aws',
          key: 'accessKey',
          env: 'AWS_KEY',
          output: 'AWS_KEY',
        },
        {
          kind: 'key',
          line: 1,
          path: 'secret/data/ci/db',
          key: 'password',
          env: 'DB_PASSWORD',
          output: 'DB_PASSWORD',
        },
      ],
    ],
    [
      'secret/data/ci/aws accessKey\n\n  /kv/ci/db   password | db-password  \r\n',
      [
        {
          kind: 'key',
          line: 1,
          path: 'secret/data/ci/aws',
          key: 'accessKey',
          env: 'ACCESSKEY',
          output: 'accessKey',
        },
        {
          kind: 'key',
          line: 3,
          path: 'kv/ci/db',
          key: 'password',
          env: 'db_password',
          output: 'db-password',
        },
      ],
    ],
    ['secret/data/ci/app | APP_', [{ kind: 'all', line: 1, path: 'secret/data/ci/app', prefix: 'APP_' }]],
    ['secret/data/ci/app * | APP_', [{ kind: 'all', line: 1, path: 'secret/data/ci/app', prefix: 'APP_' }]],
    ['secret/data/ci/app *', [{ kind: 'all', line: 1, path: 'secret/data/ci/app', prefix: '' }]],
    [
      'secret/data/ci/tls tls.crt | TLS_CERT',
      [
        {
          kind: 'key',
          line: 1,
          path: 'secret/data/ci/tls',
          key: 'tls.crt',
          env: 'TLS_CERT',
          output: 'TLS_CERT',
        },
      ],
    ],
    [';;\n ; \n', []],
  ])('parses %j', (text, expected) => {
    const { mappings, problems } = parseSecretMappings(text);
    expect(problems).toEqual([]);
    expect(mappings).toEqual(expected);
  });

  it.each([
    ['secret/data/ci/aws key | A | B', 1],
    ['secret/data/ci/aws key |', 1],
    ['secret/data/ci/aws key extra | NAME', 1],
    ['justmount key | NAME', 1],
    ['secret//ci key | NAME', 1],
    ['secret/../sys/raw key | NAME', 1],
    ['secret/data/ci/$(id) key | NAME', 1],
    ['secret/data/ci/aws key | 1BAD', 1],
    ['secret/data/ci/aws key | BAD NAME', 1],
    ['secret/data/ci/aws key | NAME=x', 1],
    ['secret/data/ci/aws key | PATH', 1],
    ['secret/data/ci/aws key | NODE_OPTIONS', 1],
    ['secret/data/ci/aws key | LD_PRELOAD', 1],
    ['secret/data/ci/aws key | GITHUB_ENV', 1],
    ['secret/data/ci/aws key | BASH_ENV', 1],
    ['secret/data/ci/aws key | VAULT_TOKEN', 1],
    ['secret/data/ci/aws key | vault-token', 1],
    ['secret/data/ci/aws 1key', 1],
    ['secret/data/ci/aws key | A ; secret/data/ci/b other | A', 1],
    ['secret/data/ci/app | APP-', 1],
    ['secret/data/ci/aws ok | OK\nsecret/data/ci/aws k`x` | X', 2],
    ['secret/data/ci/aws ok | OK\n\nsecret/data/ci/aws ok2 | OK', 3],
  ])('rejects %j on line %i', (text, line) => {
    const { problems } = parseSecretMappings(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(line);
  });

  it('reports every bad line, not just the first', () => {
    const { mappings, problems } = parseSecretMappings('a key | PATH\nsecret/data/x k | GOOD\nb | 9\n');
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
    expect(mappings).toHaveLength(1);
  });
});

describe('env names', () => {
  it.each([
    ['APP_', 'db-password', 'APP_DB_PASSWORD'],
    ['', 'tls.crt', 'TLS_CRT'],
    ['X_', 'ünïcode key', 'X__N_CODE_KEY'],
  ])('keyEnvName(%j, %j) = %j', (prefix, key, env) => {
    expect(keyEnvName(prefix, key)).toBe(env);
  });

  it.each([
    ['AWS_KEY', false],
    ['DYLD_INSERT_LIBRARIES', true],
    ['RUNNER_TEMP', true],
    ['Path', true],
    ['X\nY', true],
    ['', true],
  ])('secretEnvProblem(%j) refuses: %s', (name, refused) => {
    expect(secretEnvProblem(name) !== undefined).toBe(refused);
  });
});
