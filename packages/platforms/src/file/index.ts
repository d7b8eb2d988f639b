/**
 * file/: any other environment (a laptop, Kubernetes, SPIFFE, a CI we do not know). The token comes
 * from a file re-read on every use (projected service-account tokens and JWT-SVIDs rotate) or from a
 * variable; exports are written as one document in the chosen format, to a 0600 file or to stdout for
 * `eval "$(federate …)"`. When the document goes to stdout the summary goes to the log (stderr) so the
 * document stays parseable.
 */
import { readFileSync } from 'node:fs';
import { PlatformError, type ExportedVariable, type Sink, type TokenSource } from '@federate/core';
import { checkEnvName, outputEnvName } from '../shared/env-name.js';
import { dotenvLine, githubFileCommand, newHeredocDelimiter, shellExport } from '../shared/escape.js';
import { PrivateDir, writeFileAtomic } from '../shared/private-dir.js';
import { fileStateStore, SinkBase } from '../shared/sink-base.js';
import { checkToken, tokenAudience } from '../shared/token.js';
import { tempDirFrom } from '../shared/temp-dir.js';
import type { OutputFormat, PlatformContext, PlatformInstance, PlatformModule } from '../types.js';

/** DEFAULT_FILE_TOKEN_VARIABLE is the variable read when no token file is given. */
export const DEFAULT_FILE_TOKEN_VARIABLE = 'FEDERATE_ID_TOKEN';
/** FILE_TOKEN_FILE_VARIABLE names a token file when the caller passes no tokenFile option. */
export const FILE_TOKEN_FILE_VARIABLE = 'FEDERATE_TOKEN_FILE';

/** fileTokenSource reads the token file (again on every call) or the token variable. */
export function fileTokenSource(ctx: PlatformContext): TokenSource {
  const path = ctx.options.tokenFile || ctx.env[FILE_TOKEN_FILE_VARIABLE];
  const variable = ctx.options.tokenVariable || DEFAULT_FILE_TOKEN_VARIABLE;
  const hint =
    'request the token for the audience the target expects, or set `audience` to the token’s audience';
  return {
    async idToken(audience) {
      let token: string | undefined;
      let source: string;
      if (path) {
        source = `the token file ${path}`;
        try {
          // Follows symlinks on purpose: Kubernetes projects tokens through ..data links.
          token = readFileSync(path, 'utf8').trimEnd();
        } catch (error) {
          throw new PlatformError('ERR_PLATFORM_TOKEN_UNAVAILABLE', 'file', `cannot read ${source}`, {
            cause: error,
            hint: 'check the path and that this process may read it',
          });
        }
      } else {
        source = `the variable ${variable}`;
        token = ctx.env[variable]?.trim();
      }
      if (!token)
        throw new PlatformError('ERR_PLATFORM_TOKEN_UNAVAILABLE', 'file', `${source} is empty or not set`, {
          hint: `put the OIDC token in ${variable}, or pass a token file`,
        });
      ctx.secrets.add(token);
      checkToken('file', token, audience, ctx.now(), source, hint);
      return token;
    },
  };
}

/** renderDocument renders every export in one format; `github` is GITHUB_ENV's heredoc form. */
export function renderDocument(format: OutputFormat, vars: readonly ExportedVariable[]): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(Object.fromEntries(vars.map((v) => [v.name, v.value])))}\n`;
    case 'dotenv':
      return vars.map((v) => dotenvLine(v.name, v.value)).join('');
    case 'github': {
      const delimiter = newHeredocDelimiter();
      return vars.map((v) => githubFileCommand(v.name, v.value, delimiter)).join('');
    }
    default:
      return vars.map((v) => shellExport(v.name, v.value)).join('');
  }
}

function fileSink(ctx: PlatformContext, base: SinkBase): Sink {
  const format: OutputFormat = ctx.options.format ?? 'shell';
  const vars = new Map<string, ExportedVariable>();
  return {
    // No log masker to tell; the document itself is the only place values go.
    mask() {},
    writeFile: (file) => base.writeFile(file),
    recordCleanup: (record) => base.recordCleanup(record),
    async exportEnv(list) {
      for (const v of list) checkEnvName('file', v.name);
      for (const v of list) vars.set(v.name, v);
    },
    async setOutputs(outputs) {
      // Outputs become variables (`aws-account-id` → AWS_ACCOUNT_ID) unless an env export already has the name.
      const mapped = outputs.map((o) => ({ ...o, name: outputEnvName(o.name) }));
      for (const v of mapped) checkEnvName('file', v.name);
      for (const v of mapped) if (!vars.has(v.name)) vars.set(v.name, v);
    },
    // The document is written once, with the summary, so a JSON document stays one object.
    async writeSummary(summary) {
      const text = base.summaryText(summary);
      // `-` is stdout, asked for explicitly (the CLI refuses to print credentials by default).
      const out = ctx.options.outputFile === '-' ? undefined : ctx.options.outputFile;
      if (vars.size > 0) {
        const document = renderDocument(format, [...vars.values()]);
        if (out) await writeFileAtomic('file', out, document);
        else ctx.write(document);
      }
      if (out) ctx.write(`${text}\n`);
      else for (const line of text.split('\n')) ctx.log.info(line);
    },
  };
}

/** readTokenQuietly peeks at the configured token (file or variable) without failing: only its audience is read. */
function readTokenQuietly(ctx: PlatformContext): string | undefined {
  const path = ctx.options.tokenFile || ctx.env[FILE_TOKEN_FILE_VARIABLE];
  try {
    if (path) return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return ctx.env[ctx.options.tokenVariable || DEFAULT_FILE_TOKEN_VARIABLE];
}

/** file is the platform for tokens from a file or variable, with exports written as a document. */
export const file: PlatformModule = {
  name: 'file',
  detect(env) {
    const detected = Boolean(env[FILE_TOKEN_FILE_VARIABLE] || env[DEFAULT_FILE_TOKEN_VARIABLE]);
    return { detected, lookedFor: [FILE_TOKEN_FILE_VARIABLE, DEFAULT_FILE_TOKEN_VARIABLE] };
  },
  create(ctx): PlatformInstance {
    const dir = ctx.options.privateDir
      ? new PrivateDir('file', ctx.options.privateDir, { exclusive: false })
      : PrivateDir.random('file', tempDirFrom(ctx.env, 'TMPDIR'), 'federate-');
    const base = new SinkBase('file', ctx, dir, fileStateStore(dir));
    const fixed = tokenAudience(readTokenQuietly(ctx));
    return {
      name: 'file',
      // A token file is minted elsewhere for one audience: ask for that one unless told otherwise.
      ...(fixed ? { fixedAudience: fixed } : {}),
      tokenSource: fileTokenSource(ctx),
      sink: fileSink(ctx, base),
      privateDir: dir.path,
      cleanup: () => base.cleanup(),
    };
  },
};
