/**
 * sink.ts: GitHub's sink speaks the runner's documented protocols directly: `::add-mask::` on stdout,
 * heredoc entries appended to the GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE files, markdown appended
 * to GITHUB_STEP_SUMMARY. @actions/core would do the same but bundles its HTTP client (~420 KB
 * minified), three times the Action's whole size budget.
 */
import {
  type ExportedVariable,
  MIN_SECRET_LENGTH,
  PlatformError,
  type RunSummary,
  renderSummaryMarkdown,
  type Sink,
  RESERVED_ENV_PREFIXES,
} from '@federate/core';
import type { CleanupState, StateStore } from '../shared/cleanup-state.js';
import { checkEnvName, checkOutputName } from '../shared/env-name.js';
import { escapeCommandData, githubFileCommand, newHeredocDelimiter } from '../shared/escape.js';
import { appendPrivateFile } from '../shared/private-dir.js';
import type { SinkBase } from '../shared/sink-base.js';
import type { PlatformContext } from '../types.js';
import { GITHUB_STATE_KEY, loadState } from './inputs.js';

/** GITHUB_RESERVED_PREFIXES are the names the runner keeps for itself. */
export const GITHUB_RESERVED_PREFIXES: readonly string[] = RESERVED_ENV_PREFIXES.github;

function fileFor(ctx: PlatformContext, variable: string, purpose: string): string {
  const path = ctx.env[variable];
  if (!path)
    throw new PlatformError('ERR_PLATFORM_EXPORT', 'github', `cannot ${purpose}: ${variable} is not set`, {
      hint: 'run Federate as a step of a GitHub Actions job (runner 2.297 or later)',
    });
  return path;
}

/** appendFileCommands appends heredoc entries to a runner file command (one write, one fresh delimiter). */
export async function appendFileCommands(
  ctx: PlatformContext,
  variable: string,
  purpose: string,
  entries: ReadonlyArray<{ name: string; value: string }>,
): Promise<void> {
  const path = fileFor(ctx, variable, purpose);
  const delimiter = newHeredocDelimiter();
  const text = entries.map((e) => githubFileCommand(e.name, e.value, delimiter)).join('');
  await appendPrivateFile('github', path, text);
}

/** githubStateStore saves the cleanup record to GITHUB_STATE; the post step reads it back from STATE_*. */
export function githubStateStore(ctx: PlatformContext): StateStore {
  let warned = false;
  return {
    async load() {
      return loadState(ctx.env);
    },
    async save(state: CleanupState) {
      if (!ctx.env['GITHUB_STATE']) {
        if (!warned) ctx.log.warn('GITHUB_STATE is not set: the post step will not be able to clean up');
        warned = true;
        return;
      }
      // Revoke records hold secrets; they were registered (and so masked) before they reach here.
      await appendFileCommands(ctx, 'GITHUB_STATE', 'save state for the post step', [
        { name: GITHUB_STATE_KEY, value: JSON.stringify(state) },
      ]);
    },
    async clear() {},
  };
}

/** githubSink masks through workflow commands and exports through the runner's files. */
export function githubSink(ctx: PlatformContext, base: SinkBase): Sink {
  const masked = new Set<string>();
  const emit = (value: string) => {
    if (masked.has(value)) return;
    masked.add(value);
    ctx.write(`::add-mask::${escapeCommandData(value)}\n`);
  };
  const mask = (value: string) => {
    if (value.trim().length < MIN_SECRET_LENGTH) return;
    emit(value);
    // The runner masks an escaped multi-line value as a whole and line by line; say each line too, in case it does not.
    if (/[\r\n]/.test(value))
      for (const line of value.split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= MIN_SECRET_LENGTH) emit(t);
      }
  };
  // Masking must not depend on the caller having subscribed us to the registry: secret values are
  // registered (which reaches `mask` through the subscription) and masked here directly as well.
  // The runner derives base64 (at all three offsets), JSON- and URI-escaped forms of every mask
  // itself (actions/runner ValueEncoders), so only raw values and their lines are sent.
  const maskSecret = (value: string) => {
    ctx.secrets.add(value);
    mask(value);
  };
  return {
    mask,
    masksEncodings: true,
    writeFile: (file) => base.writeFile(file),
    recordCleanup: (record) => base.recordCleanup(record),
    async exportEnv(vars: readonly ExportedVariable[]) {
      for (const v of vars) checkEnvName('github', v.name, GITHUB_RESERVED_PREFIXES);
      for (const v of vars) if (v.secret) maskSecret(v.value);
      await appendFileCommands(ctx, 'GITHUB_ENV', 'export environment variables', vars);
    },
    async setOutputs(outputs: readonly ExportedVariable[]) {
      for (const o of outputs) checkOutputName('github', o.name);
      for (const o of outputs) if (o.secret) maskSecret(o.value);
      await appendFileCommands(ctx, 'GITHUB_OUTPUT', 'set step outputs', outputs);
    },
    async writeSummary(summary: RunSummary) {
      ctx.write(`${base.summaryText(summary)}\n`);
      const path = ctx.env['GITHUB_STEP_SUMMARY'];
      if (path) await appendPrivateFile('github', path, ctx.secrets.redact(renderSummaryMarkdown(summary)));
    },
  };
}
