import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore } from '../keys.js';
import { type FakeSft, writeFakeSft } from './sft.js';

let dir: string;
let sft: FakeSft;
const keys = createKeyStore();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fake-sft-'));
  sft = writeFakeSft(dir, {
    teams: {
      acme: {
        connections: { gh: { status: 'active', audience: 'opa', claims: [{ claim: 'sub', op: 'exists' }] } },
      },
    },
    token: 'opa_fixed',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      sft.path,
      args,
      { env: { PATH: dirname(process.execPath), ...env }, encoding: 'utf8' },
      (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('stand-in sft', () => {
  it('authenticates with the JWT from --jwt-env (alias wl auth, team from SFT_TEAM) and logs a digest', async () => {
    const jwt = await keys.sign({ sub: 'x', aud: 'opa' });
    const r = await run(['wl', 'auth', '--connection=gh', '--jwt-env', 'MY_JWT'], {
      MY_JWT: jwt,
      SFT_TEAM: 'acme',
    });
    expect(r).toEqual({ code: 0, stdout: 'opa_fixed\n', stderr: '' });
    const call = sft.calls().at(-1);
    expect(call).toMatchObject({
      jwtEnv: 'MY_JWT',
      jwtSha256: createHash('sha256').update(jwt).digest('hex'),
      jwtInArgv: false,
      env: { SFT_TEAM: 'acme' },
      exit: 0,
      issued: 'opa_fixed',
    });
    expect(JSON.stringify(sft.calls())).not.toContain(jwt);
  });

  it('flags a JWT on the command line and refuses it', async () => {
    const jwt = await keys.sign({ sub: 'x', aud: 'opa' });
    const r = await run(
      ['workload', 'authenticate', '--team', 'acme', '--connection', 'gh', '--jwt-env', jwt],
      {},
    );
    expect(r.code).toBe(2);
    expect(sft.calls().at(-1)?.jwtInArgv).toBe(true);
  });

  it.each([
    [
      ['workload', 'authenticate', '--team', 'acme', '--connection', 'gh', '--jwt-env', 'J', '--bogus'],
      /unknown flag/,
    ],
    [['workload', 'authenticate', '--team', 'acme', '--jwt-env', 'J'], /required flag/],
    [
      ['workload', 'authenticate', '--team', 'acme', '--connection', 'gh', '--jwt-env', 'EMPTY'],
      /expected a JWT/,
    ],
    [['ssh', 'host'], /unknown command/],
  ])('fails %j with a Cobra-style error', async (args, message) => {
    const r = await run(args, { J: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: /);
    expect(r.stderr).toMatch(message);
  });
});
