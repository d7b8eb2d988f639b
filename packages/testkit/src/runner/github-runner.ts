/**
 * github-runner.ts: runs an action's bundle the way the GitHub runner does: a separate Node process
 * per step, INPUT_* variables (declared defaults included), real GITHUB_ENV / GITHUB_OUTPUT /
 * GITHUB_STATE / GITHUB_STEP_SUMMARY files, and the runner's parsing of them. Used by Federate's own
 * tests and demo, and by anyone testing an action offline.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** parseFileCommands reads GITHUB_ENV/OUTPUT/STATE as the runner does (NAME=value or heredoc). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delim) value.push(lines[i++] as string);
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      out[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`malformed file command line: ${line.slice(0, 40)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** StepResult is what one step left behind. */
export interface StepResult {
  status: number | null;
  stdout: string;
  stderr: string;
  env: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

/** Job is one job's runner state: RUNNER_TEMP, the workspace and the accumulated env and state. */
export class Job {
  readonly temp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
  readonly workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
  readonly fileCommands = mkdtempSync(join(tmpdir(), 'file-commands-'));
  env: Record<string, string> = {};
  state: Record<string, string> = {};
  #n = 0;

  /** node is the binary steps run with (the runner uses Node 24 for `runs.using: node24`). */
  constructor(
    readonly baseEnv: Record<string, string>,
    readonly node: string = process.execPath,
  ) {}

  /** runAction runs the action's `main` (or `post`) like the runner, with `with:` inputs. */
  runAction(
    actionDir: string,
    which: 'main' | 'post',
    inputs: Record<string, string>,
    extraEnv: Record<string, string> = {},
  ): Promise<StepResult> {
    const manifest = parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as {
      runs: Record<string, string>;
      inputs: Record<string, { default?: string }>;
    };
    const inputEnv: Record<string, string> = {};
    for (const [name, spec] of Object.entries(manifest.inputs)) {
      inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = inputs[name] ?? spec.default ?? '';
    }
    for (const name of Object.keys(inputs))
      if (!(name in manifest.inputs)) throw new Error(`input ${name} is not declared in action.yml`);
    const stateEnv =
      which === 'post'
        ? Object.fromEntries(Object.entries(this.state).map(([k, v]) => [`STATE_${k}`, v]))
        : {};
    return this.#run(
      join(actionDir, manifest.runs[which] as string),
      { ...inputEnv, ...stateEnv, ...extraEnv },
      which === 'main',
    );
  }

  /** runScript runs a later step: a Node script with the job's exported env. */
  runScript(script: string, extraEnv: Record<string, string> = {}): Promise<StepResult> {
    const file = join(this.fileCommands, `step-${++this.#n}.mjs`);
    writeFileSync(file, script);
    return this.#run(file, extraEnv, false);
  }

  async #run(file: string, extraEnv: Record<string, string>, keepState: boolean): Promise<StepResult> {
    const n = ++this.#n;
    const files = {
      GITHUB_ENV: join(this.fileCommands, `env-${n}`),
      GITHUB_OUTPUT: join(this.fileCommands, `output-${n}`),
      GITHUB_STATE: join(this.fileCommands, `state-${n}`),
      GITHUB_STEP_SUMMARY: join(this.fileCommands, `summary-${n}`),
      GITHUB_PATH: join(this.fileCommands, `path-${n}`),
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    mkdirSync(this.temp, { recursive: true });
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      ...this.baseEnv,
      RUNNER_TEMP: this.temp,
      GITHUB_WORKSPACE: this.workspace,
      ...this.env,
      ...files,
      ...extraEnv,
    };
    // Asynchronous on purpose: the emulators live in this process and must keep answering.
    const r = await runProcess(this.node, [file], { cwd: this.workspace, env });
    const read = (p: string) => readFileSync(p, 'utf8');
    const result: StepResult = {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      env: parseFileCommands(read(files.GITHUB_ENV)),
      outputs: parseFileCommands(read(files.GITHUB_OUTPUT)),
      state: parseFileCommands(read(files.GITHUB_STATE)),
      summary: read(files.GITHUB_STEP_SUMMARY),
    };
    Object.assign(this.env, result.env);
    if (keepState) Object.assign(this.state, result.state);
    return result;
  }
}

/** maskedValues lists what a step registered with ::add-mask::, and where in stdout. */
export function maskedValues(stdout: string): Array<{ value: string; index: number }> {
  const out: Array<{ value: string; index: number }> = [];
  let index = 0;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('::add-mask::'))
      out.push({
        value: line
          .slice('::add-mask::'.length)
          .replace(/%0A/g, '\n')
          .replace(/%0D/g, '\r')
          .replace(/%25/g, '%'),
        index,
      });
    index += line.length + 1;
  }
  return out;
}

/** withoutMaskCommands removes ::add-mask:: lines: what is left is what a user can read. */
export function withoutMaskCommands(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

/** ProcessResult is a finished child process. */
export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** runProcess runs a program without a shell and collects its output, never blocking the event loop. */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
