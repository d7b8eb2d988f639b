import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEnvName, outputEnvName } from './env-name.js';
import {
  dotenvLine,
  escapeCommandData,
  githubFileCommand,
  newHeredocDelimiter,
  shellExport,
  shellQuote,
} from './escape.js';
import { HOSTILE_VALUES, parseDotenv, parseRunnerFile, sourceWithBash, withTempDir } from './testing.js';

// Values a shell variable can hold: any string without NUL.
const shellValue = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !s.includes('\0'));

describe('shellExport', () => {
  it('round-trips hostile values through bash byte for byte', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'env.sh');
      const names = HOSTILE_VALUES.map((_, i) => `V_${i}`);
      await writeFile(file, HOSTILE_VALUES.map((v, i) => shellExport(`V_${i}`, v)).join(''));
      const got = await sourceWithBash(file, names);
      HOSTILE_VALUES.forEach((v, i) => {
        expect(got[`V_${i}`]).toBe(v);
      });
    });
  });

  it('round-trips arbitrary generated values through bash (property)', async () => {
    const values = fc.sample(shellValue, { numRuns: 300, seed: 42 });
    await withTempDir(async (dir) => {
      const file = join(dir, 'env.sh');
      await writeFile(file, values.map((v, i) => shellExport(`P_${i}`, v)).join(''));
      const got = await sourceWithBash(
        file,
        values.map((_, i) => `P_${i}`),
      );
      values.forEach((v, i) => {
        expect(got[`P_${i}`]).toBe(v);
      });
    });
  });

  it('quotes so that the text between quotes never ends early (property)', () => {
    fc.assert(
      fc.property(shellValue, (v) => {
        const q = shellQuote(v);
        // Every quote in the body is part of an escape sequence '\''.
        const body = q.slice(1, -1).replaceAll(`'\\''`, '');
        expect(body.includes("'")).toBe(false);
      }),
    );
  });

  it('refuses NUL', () => {
    expect(() => shellExport('A', 'a\0b')).toThrow(expect.objectContaining({ code: 'ERR_PLATFORM_EXPORT' }));
  });
});

describe('dotenvLine', () => {
  it('round-trips any value through the dotenv reader (property)', () => {
    fc.assert(
      fc.property(shellValue, (v) => {
        expect(parseDotenv(dotenvLine('NAME', v))['NAME']).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips hostile values and stays on one line', () => {
    for (const v of HOSTILE_VALUES) {
      const line = dotenvLine('NAME', v);
      expect(line.slice(0, -1).includes('\n')).toBe(false);
      expect(parseDotenv(line)['NAME']).toBe(v);
    }
  });

  it('escapes $ so readers that interpolate do not', () => {
    const braced = '$' + '{HOME}';
    expect(dotenvLine('A', braced)).toBe(`A="\\${braced}"\n`);
  });
});

describe('githubFileCommand', () => {
  const runnerValue = shellValue.filter((v) => !v.endsWith('\r'));

  it('round-trips through the runner heredoc parser (property)', () => {
    fc.assert(
      fc.property(fc.array(runnerValue, { maxLength: 5 }), (values) => {
        const delimiter = newHeredocDelimiter();
        const text = values.map((v, i) => githubFileCommand(`N_${i}`, v, delimiter)).join('');
        expect(parseRunnerFile(text)).toEqual(values.map((v, i) => ({ name: `N_${i}`, value: v })));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips hostile values, including workflow commands and fake delimiters', () => {
    const delimiter = newHeredocDelimiter();
    const text = HOSTILE_VALUES.map((v, i) => githubFileCommand(`H_${i}`, v, delimiter)).join('');
    expect(parseRunnerFile(text)).toEqual(HOSTILE_VALUES.map((v, i) => ({ name: `H_${i}`, value: v })));
  });

  it('refuses a value containing the delimiter, or ending in a carriage return', () => {
    const delimiter = newHeredocDelimiter();
    expect(() => githubFileCommand('A', `x\n${delimiter}\ny`, delimiter)).toThrow(
      expect.objectContaining({ code: 'ERR_PLATFORM_EXPORT' }),
    );
    expect(() => githubFileCommand('A', 'x\r', delimiter)).toThrow(
      expect.objectContaining({ code: 'ERR_PLATFORM_EXPORT' }),
    );
  });

  it('uses a fresh unpredictable delimiter each time', () => {
    expect(newHeredocDelimiter()).not.toBe(newHeredocDelimiter());
  });
});

describe('escapeCommandData', () => {
  it('keeps a workflow command on one line (property)', () => {
    fc.assert(
      fc.property(shellValue, (v) => {
        const e = escapeCommandData(v);
        expect(/[\r\n]/.test(e)).toBe(false);
        expect(decodeURIComponent(e.replace(/%(?!25|0D|0A)/g, '%25'))).toBe(v);
      }),
    );
  });
});

describe('checkEnvName', () => {
  it.each([
    'NODE_OPTIONS',
    'LD_PRELOAD',
    'ld_preload',
    'DYLD_INSERT_LIBRARIES',
    'PATH',
    'Path',
    'BASH_ENV',
    'BASH_FUNC_x%%',
    'GITHUB_ENV',
    'RUNNER_TEMP',
    '1ABC',
    'A-B',
    'A=B',
    '',
    'A B',
  ])('refuses %j on GitHub', (name) => {
    expect(() => checkEnvName('github', name, ['GITHUB_', 'RUNNER_', 'ACTIONS_'])).toThrow(
      expect.objectContaining({ code: 'ERR_PLATFORM_EXPORT' }),
    );
  });

  it.each(['AWS_ACCESS_KEY_ID', 'GOOGLE_APPLICATION_CREDENTIALS', 'VAULT_TOKEN', '_X1'])(
    'accepts %s',
    (name) => {
      expect(() => checkEnvName('github', name, ['GITHUB_'])).not.toThrow();
    },
  );

  it('reserves a prefix only where the platform says so', () => {
    expect(() => checkEnvName('gitlab', 'GITHUB_TOKEN', ['CI_', 'GITLAB_'])).not.toThrow();
    expect(() => checkEnvName('github', 'GITHUB_TOKEN', ['GITHUB_'])).toThrow();
  });

  it('maps output names to variables', () => {
    expect(outputEnvName('aws-account-id')).toBe('AWS_ACCOUNT_ID');
  });
});
