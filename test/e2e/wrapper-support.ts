/**
 * wrapper-support.ts: what the orb, GitLab component and Cloud Build step tests share: the CLI
 * bundle they run, spawning processes the way a CI runner does (a clean environment, captured
 * output, argv recorded for the leak scanner), temporary workspaces, schema validation, and small
 * "later step" clients that use the exported credentials with the real AWS SDK and node-vault.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { LeakScanner } from '../support/leak-scanner.js';

/** REPO is the monorepo root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** CLI_BUNDLE is the esbuild bundle every wrapper runs (`FEDERATE_CLI` in tests). */
export const CLI_BUNDLE = join(REPO, 'packages/cli/dist/federate.mjs');
/** NODE_BIN_DIR holds the Node 24 the tests (and the wrappers under test) run on. */
export const NODE_BIN_DIR = dirname(process.execPath);

/** bundleMissing explains why the CLI bundle cannot be used, or is undefined when it can. */
export function bundleMissing(): string | undefined {
  return existsSync(CLI_BUNDLE)
    ? undefined
    : `CLI bundle not built: run \`cd packages/cli && node ../../scripts/bundle.mjs src/bin.ts dist/federate.mjs\``;
}

/** Workspace is a temporary directory removed by `dispose`. */
export interface Workspace {
  root: string;
  path(...parts: string[]): string;
  dispose(): void;
}

/** workspace creates a fresh temporary directory (realpath, so prefix checks hold). */
export function workspace(prefix: string): Workspace {
  const root = realpathSync(mkdtempSync(join(tmpdir(), `federate-${prefix}-`)));
  return {
    root,
    path: (...parts) => join(root, ...parts),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** baseEnv is a runner-like environment: no inherited CI variables, Node 24 first on PATH. */
export function baseEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: [NODE_BIN_DIR, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: home,
    LANG: 'C.UTF-8',
    // The AWS SDK and CLI must never find the developer's own configuration.
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** RunResult is one finished process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** run spawns `cmd args` without a shell and collects its output; the argv is scanned for secrets. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { env: Record<string, string>; cwd?: string; scanner?: LeakScanner; timeoutMs?: number },
): Promise<RunResult> {
  opts.scanner?.scanArgv(cmd, [cmd, ...args]);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (opts.scanner)
        opts.scanner.scanText(`stdout of ${cmd}`, stdout).scanText(`stderr of ${cmd}`, stderr);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** onPath tells whether an executable is on the test process's PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** compileSchema loads one of test/schemas/*.json with ajv (draft-07, all errors, formats); `pointer` picks a definition. */
export function compileSchema(file: string, pointer = '') {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    allowUnionTypes: true,
  });
  // ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
    a: Ajv,
  ) => void;
  addFormats(ajv);
  const schema = JSON.parse(readText(join(REPO, 'test/schemas', file))) as { $id: string };
  ajv.addSchema(schema);
  const validate = ajv.getSchema(`${schema.$id}${pointer ? `#${pointer}` : ''}`);
  if (!validate) throw new Error(`no schema at ${file}#${pointer}`);
  return (doc: unknown): string[] =>
    validate(doc)
      ? []
      : (validate.errors ?? []).map(
          (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
        );
}

/** readText reads a UTF-8 file. */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * AWS_CLIENT is a later step's program: the real AWS SDK for JavaScript, credentials from its
 * default chain (environment, or AWS_SHARED_CREDENTIALS_FILE + AWS_PROFILE), the endpoint from
 * AWS_ENDPOINT_URL_STS. It prints the caller identity as JSON.
 */
const AWS_CLIENT = `
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(REPO, 'test/package.json'))});
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const client = new STSClient({ region: process.env.AWS_REGION || 'us-east-1' });
const out = await client.send(new GetCallerIdentityCommand({}));
process.stdout.write(JSON.stringify({ Account: out.Account, Arn: out.Arn, UserId: out.UserId }) + '\\n');
`;

/**
 * VAULT_CLIENT is a later step's program: node-vault with VAULT_ADDR and VAULT_TOKEN from the
 * environment; it looks the token up and prints its policies and whether DB_PASSWORD was exported
 * with the value the test stored (compared by hash, so the value itself is never printed).
 */
const VAULT_CLIENT = `
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(REPO, 'test/package.json'))});
const vault = require('node-vault')({ endpoint: process.env.VAULT_ADDR, token: process.env.VAULT_TOKEN });
const self = await vault.tokenLookupSelf();
const sha = (v) => createHash('sha256').update(v ?? '').digest('hex');
process.stdout.write(JSON.stringify({ policies: self.data.policies, dbPasswordSha: sha(process.env.DB_PASSWORD) }) + '\\n');
`;

/** writeClients writes the later-step programs into `dir` and returns their paths. */
export function writeClients(dir: string): { aws: string; vault: string } {
  const aws = join(dir, 'aws-client.mjs');
  const vault = join(dir, 'vault-client.mjs');
  writeFileSync(aws, AWS_CLIENT);
  writeFileSync(vault, VAULT_CLIENT);
  return { aws, vault };
}

/** HOSTILE is text that would run code if any wrapper spliced it into shell text. */
export function hostile(marker: string): string {
  return `x $(touch ${marker}) \`touch ${marker}\` "dq" 'sq' ; touch ${marker} # \\ end`;
}

/** HOSTILE_MULTILINE adds a newline to the hostile text. */
export function hostileMultiline(marker: string): string {
  return `${hostile(marker)}\ntouch ${marker}\n`;
}

/** modeOf returns the permission bits of a path. */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** listFiles lists every regular file under `dir` (recursively). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}
