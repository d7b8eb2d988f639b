/**
 * exec.ts: the one way Federate runs another program (the `circleci` CLI, Okta's `sft`): an argv array
 * and no shell, so no value is ever parsed as shell text; secrets travel in the environment only.
 */
import type { ExecFunction } from '@federate/core';

/** execNoShell runs a program with an argv array (never a shell), secrets only in its environment. */
export const execNoShell: ExecFunction = (file, args, opts) =>
  new Promise((resolve) => {
    const child = (
      process.getBuiltinModule('node:child_process') as typeof import('node:child_process')
    ).execFile(
      file,
      [...args],
      {
        env: opts.env,
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 4 * 1024 * 1024,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 127
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
