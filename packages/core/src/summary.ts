/**
 * summary.ts: one secret-free summary, rendered as text (logs, CLI) or markdown (GitHub step summary).
 * Every sink renders the same RunSummary, so every platform reports the same facts.
 */
import { oneLine } from './errors.js';
import type { RunSummary } from './model.js';

const escapeMd = (s: string) => s.replace(/[\\|`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');

/** renderSummaryText renders the summary for a terminal or a CI log, every value on one line. */
export function renderSummaryText(raw: RunSummary): string {
  const summary = sanitize(raw);
  const lines: string[] = [];
  if (summary.identity) {
    const id = summary.identity;
    lines.push(
      `identity: ${id.subject} (issuer ${id.issuer}, audience ${id.audience.join(', ')}${id.expiresAt ? `, expires ${id.expiresAt}` : ''})`,
    );
  }
  for (const e of summary.exchanges) {
    if (!e.ok) {
      lines.push(`✗ ${e.id}: ${e.error?.code ?? 'failed'}: ${e.error?.message ?? ''}`);
      if (e.error?.hint) lines.push(`  hint: ${e.error.hint}`);
      continue;
    }
    const head = summary.dryRun
      ? `○ ${e.id} (dry run, audience ${e.audience})`
      : `✓ ${e.id}: ${e.principal ?? e.title}`;
    lines.push(head + (e.expiresAt ? `, expires ${e.expiresAt}` : ''));
    if (e.env.length) lines.push(`  env: ${e.env.join(', ')}`);
    if (e.outputs.length) lines.push(`  outputs: ${e.outputs.join(', ')}`);
    if (e.files.length) lines.push(`  files: ${e.files.join(', ')}`);
    for (const n of e.notes) lines.push(`  note: ${n}`);
  }
  return lines.join('\n');
}

/**
 * sanitize puts every user- or server-influenced value on one line, so a value can neither forge a
 * log line nor start a workflow command (`::set-env`) at the beginning of one.
 */
function sanitize(s: RunSummary): RunSummary {
  const v = (x: string) => oneLine(x, 2000);
  return {
    ...s,
    identity: s.identity && {
      ...s.identity,
      issuer: v(s.identity.issuer),
      subject: v(s.identity.subject),
      audience: s.identity.audience.map(v),
      claims: Object.fromEntries(Object.entries(s.identity.claims).map(([k, x]) => [v(k), v(x)])),
    },
    exchanges: s.exchanges.map((e) => ({
      ...e,
      id: v(e.id),
      title: v(e.title),
      audience: v(e.audience),
      ...(e.principal === undefined ? {} : { principal: v(e.principal) }),
      env: e.env.map(v),
      outputs: e.outputs.map(v),
      files: e.files.map(v),
      notes: e.notes.map(v),
      ...(e.error
        ? {
            error: {
              code: e.error.code,
              message: v(e.error.message),
              ...(e.error.hint ? { hint: v(e.error.hint) } : {}),
            },
          }
        : {}),
    })),
  };
}

/** renderSummaryMarkdown renders the summary as a GitHub step summary. */
export function renderSummaryMarkdown(raw: RunSummary): string {
  const summary = sanitize(raw);
  const out: string[] = [`### Federate${summary.dryRun ? ' (dry run)' : ''}`, ''];
  if (summary.identity) {
    out.push('| claim | value |', '| --- | --- |');
    for (const [k, v] of Object.entries(summary.identity.claims))
      out.push(`| \`${escapeMd(k)}\` | ${escapeMd(v)} |`);
    if (summary.identity.expiresAt) out.push(`| expires | ${escapeMd(summary.identity.expiresAt)} |`);
    out.push('');
  }
  out.push('| exchange | result | principal | expires | exported |', '| --- | --- | --- | --- | --- |');
  for (const e of summary.exchanges) {
    const exported = [...e.env, ...e.outputs.map((o) => `output ${o}`)].map(escapeMd).join(', ');
    const result = e.ok ? (summary.dryRun ? 'dry run' : 'ok') : `failed: \`${e.error?.code ?? ''}\``;
    out.push(
      `| ${escapeMd(e.id)} (${escapeMd(e.title)}) | ${result} | ${escapeMd(e.principal ?? '')} | ${escapeMd(e.expiresAt ?? '')} | ${exported} |`,
    );
  }
  for (const e of summary.exchanges) {
    if (e.error)
      out.push(
        '',
        `**${escapeMd(e.id)}**: ${escapeMd(e.error.message)}${e.error.hint ? `<br>hint: ${escapeMd(e.error.hint)}` : ''}`,
      );
  }
  return `${out.join('\n')}\n`;
}
