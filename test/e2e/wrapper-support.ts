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
import { parseAllDocuments } from 'yaml';
import type { LeakScanner } from '../support/leak-scanner.js';

/** REPO is the monorepo root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** CLI_BUNDLE is the esbuild bundle every wrapper runs (`FEDERATE_CLI` in tests). */
export const CLI_BUNDLE = join(REPO, 'packages/cli/dist/federate.mjs');
/** NODE_BIN_DIR holds the Node 24 the tests (and the wrappers under test) run on. */
export const NODE_BIN_DIR = dirname(process.execPath);

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

/**
 * GCP_CLIENT is a later step's program: google-auth-library's Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, an external_account file) get an access token, and the
 * emulator's tokeninfo (GCP_TOKENINFO_URL) says whose it is. It prints that and hashes, never a token.
 */
const GCP_CLIENT = `
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(REPO, 'test/package.json'))});
const { GoogleAuth } = require('google-auth-library');
const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
const client = await auth.getClient();
const { token } = await client.getAccessToken();
const res = await fetch(process.env.GCP_TOKENINFO_URL, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ access_token: token }),
});
const info = await res.json();
const sha = (v) => createHash('sha256').update(v ?? '').digest('hex');
process.stdout.write(JSON.stringify({
  email: info.email ?? null,
  sub: info.sub ?? null,
  credentialType: client.constructor.name,
  project: process.env.GOOGLE_CLOUD_PROJECT ? await auth.getProjectId() : null,
  exportedTokenSha: process.env.CLOUDSDK_AUTH_ACCESS_TOKEN ? sha(process.env.CLOUDSDK_AUTH_ACCESS_TOKEN) : null,
}) + '\\n');
`;

/** GcpSeen is what GCP_CLIENT prints. */
export interface GcpSeen {
  email: string | null;
  sub: string | null;
  credentialType: string;
  project: string | null;
  exportedTokenSha: string | null;
}

/** writeClients writes the later-step programs into `dir` and returns their paths. */
export function writeClients(dir: string): { aws: string; vault: string; gcp: string } {
  const aws = join(dir, 'aws-client.mjs');
  const vault = join(dir, 'vault-client.mjs');
  const gcp = join(dir, 'gcp-client.mjs');
  writeFileSync(aws, AWS_CLIENT);
  writeFileSync(vault, VAULT_CLIENT);
  writeFileSync(gcp, GCP_CLIENT);
  return { aws, vault, gcp };
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

// ---- the orb and the GitLab component as their platforms read them ----

/** OrbParam is one orb command parameter. */
export interface OrbParam {
  type: string;
  default?: unknown;
  enum?: string[];
  description?: string;
}
/** OrbRunStep is a `run:` step of an orb command. */
export interface OrbRunStep {
  name?: string;
  command: string;
  environment?: Record<string, unknown>;
  when?: string;
}
/** OrbCommand is one packed orb command. */
export interface OrbCommand {
  description?: string;
  parameters?: Record<string, OrbParam>;
  steps: Array<Record<string, unknown> | string>;
}
/** PackedOrb is the orb as `circleci orb pack` produces it. */
export interface PackedOrb {
  commands: Record<string, OrbCommand>;
  executors: Record<string, { docker: Array<{ image: string }>; parameters?: Record<string, OrbParam> }>;
  examples: Record<string, { description: string; usage: Record<string, unknown> }>;
  [key: string]: unknown;
}

/** ORB_DIR is the orb's source tree (with its pack.mjs). */
export const ORB_DIR = join(REPO, 'orbs/federate');

/** packOrb packs the orb with its own pack.mjs. */
export async function packOrb(): Promise<{ orb: PackedOrb; yaml: string }> {
  const mod = (await import(join(ORB_DIR, 'pack.mjs'))) as {
    packOrb(src: string): { orb: PackedOrb; yaml: string };
  };
  return mod.packOrb(join(ORB_DIR, 'src'));
}

/** PARAM_REF finds `<< parameters.x >>` anywhere in a value. */
export const PARAM_REF = /<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>/g;
/** WHOLE_PARAM_REF matches a value that is exactly one parameter. */
export const WHOLE_PARAM_REF = /^\s*<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>\s*$/;

/** orbRunSteps returns a command's `run` steps (the orb has no other kind). */
export function orbRunSteps(cmd: OrbCommand): OrbRunStep[] {
  return cmd.steps.map((s) => {
    if (typeof s === 'string' || !s['run'] || typeof s['run'] !== 'object')
      throw new Error('expected run steps only');
    return s['run'] as OrbRunStep;
  });
}

/**
 * orbStepEnvironment builds a run step's environment as CircleCI does: `<< parameters.x >>` takes
 * the given value or the default; a whole-value boolean becomes 1/0 (circleci/circleci-docs#5304),
 * an embedded one true/false.
 */
export function orbStepEnvironment(
  step: OrbRunStep,
  defs: Record<string, OrbParam>,
  given: Record<string, string | boolean | number>,
): Record<string, string> {
  const value = (name: string): string | boolean | number => {
    const def = defs[name];
    if (!def) throw new Error(`step references undeclared parameter ${name}`);
    const v = given[name] ?? def.default;
    if (v === undefined) throw new Error(`parameter ${name} has no value and no default`);
    if (def.type === 'enum' && !def.enum?.includes(String(v)))
      throw new Error(`parameter ${name}: ${String(v)} not in enum`);
    if (def.type === 'env_var_name' && !/^[a-zA-Z][\w]*$/.test(String(v)))
      throw new Error(`parameter ${name}: not an environment variable name`);
    return v as string | boolean | number;
  };
  const env: Record<string, string> = {};
  for (const [k, raw] of Object.entries(step.environment ?? {})) {
    if (typeof raw !== 'string') {
      env[k] = raw === true ? '1' : raw === false ? '0' : String(raw ?? '');
      continue;
    }
    const whole = WHOLE_PARAM_REF.exec(raw);
    if (whole) {
      const v = value(whole[1] as string);
      env[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    } else {
      env[k] = raw.replace(PARAM_REF, (_, n: string) => String(value(n)));
    }
  }
  return env;
}

/** GitLabInput is one `spec:inputs` entry. */
export interface GitLabInput {
  type?: string;
  default?: string;
  options?: string[];
  regex?: string;
  description?: string;
}
/** GitLabTemplate is a component template: its inputs and its (hidden) jobs. */
export interface GitLabTemplate {
  inputs: Record<string, GitLabInput>;
  jobs: Record<
    string,
    {
      variables?: Record<string, string>;
      before_script?: string[];
      script?: string[];
      after_script?: string[];
    }
  >;
}

/** gitlabTemplate reads gitlab-templates/templates/<name>.yml (header, then body). */
export function gitlabTemplate(name: string): GitLabTemplate {
  const docs = parseAllDocuments(readText(join(REPO, 'gitlab-templates/templates', `${name}.yml`)));
  const header = docs[0]?.toJS() as { spec: { inputs: GitLabTemplate['inputs'] } };
  return { inputs: header.spec.inputs, jobs: docs[1]?.toJS() as GitLabTemplate['jobs'] };
}

/**
 * gitlabJobVariables interpolates `$[[ inputs.x ]]` into a job's variables (given values, else the
 * defaults), then expands $VAR / ${VAR} from `predefined` as GitLab does for job variables.
 */
export function gitlabJobVariables(
  t: GitLabTemplate,
  job: string,
  given: Record<string, string>,
  predefined: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.jobs[job]?.variables ?? {})) {
    const interpolated = String(v).replace(/\$\[\[\s*inputs\.([a-z_]+)\s*\]\]/g, (_, n: string) => {
      const value = given[n] ?? t.inputs[n]?.default;
      if (value === undefined) throw new Error(`input ${n} has no value`);
      return value;
    });
    out[k] = interpolated.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (all, n: string) => predefined[n] ?? all);
  }
  return out;
}
