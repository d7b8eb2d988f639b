import type { TokenInspection } from './inspect.js';
import type { AwsEvaluation } from './policy/aws.js';
import type { ExpectationResult } from './policy/expect.js';
import type { GcpEvaluation } from './policy/gcp-cel.js';
import type { VaultEvaluation } from './policy/vault.js';
import type { TokenCheck } from './verify-token.js';

/** DoctorReport is what `federate doctor` found; every part is optional. It never holds the token. */
export interface DoctorReport {
  inspection?: TokenInspection;
  checks?: TokenCheck[];
  aws?: AwsEvaluation;
  gcp?: GcpEvaluation;
  vault?: VaultEvaluation;
  expectations?: ExpectationResult;
}

/** RenderOptions control text output; colour is off unless asked for. */
export interface RenderOptions {
  color?: boolean;
  /** showClaims adds the full claim set (off by default: claims can name people). */
  showClaims?: boolean;
}

type Status = 'pass' | 'fail' | 'skip';
const ANSI: Record<Status, string> = { pass: '\u001b[32m', fail: '\u001b[31m', skip: '\u001b[33m' };
const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

interface Row {
  status: Status;
  name: string;
  detail: string;
}
interface Section {
  title: string;
  verdict?: string;
  rows: Row[];
}

const st = (ok: boolean, skipped?: boolean): Status => (skipped ? 'skip' : ok ? 'pass' : 'fail');

// Untrusted strings (claims, policy values) must not smuggle terminal escapes into the output.
function clean(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function sections(r: DoctorReport, o: RenderOptions): Section[] {
  const out: Section[] = [];
  const i = r.inspection;
  if (i) {
    const rows: Row[] = [
      { status: 'pass', name: 'platform', detail: i.platform },
      { status: 'pass', name: 'issuer', detail: i.issuer ?? '(none)' },
      { status: 'pass', name: 'subject', detail: i.subject ?? '(none)' },
      { status: 'pass', name: 'audience', detail: i.audience.join(', ') || '(none)' },
      {
        status: 'pass',
        name: 'header',
        detail: `alg ${i.header.alg ?? '?'}, kid ${i.header.kid ?? '(none)'}, typ ${i.header.typ ?? '(none)'}`,
      },
    ];
    if (i.expiresAt) {
      const left = i.lifetimeRemainingSec ?? 0;
      rows.push({
        status: left > 0 ? 'pass' : 'fail',
        name: 'expires',
        detail: `${i.expiresAt.iso} (${left > 0 ? `in ${left} s` : `${-left} s ago`})`,
      });
    }
    rows.push({ status: 'pass', name: 'aws principal', detail: i.conditionKeys.aws.principal });
    for (const k of i.conditionKeys.aws.keys) {
      if (k.testable) rows.push({ status: 'pass', name: 'aws key', detail: k.key });
    }
    if (o.showClaims)
      for (const [k, v] of Object.entries(i.claims))
        rows.push({ status: 'pass', name: `claim ${k}`, detail: JSON.stringify(v) });
    out.push({ title: 'Token', rows });
  }
  if (r.checks) {
    const ok = r.checks.every((c) => c.ok || c.skipped);
    out.push({
      title: 'Verification',
      verdict: r.checks.some((c) => !c.ok && !c.skipped) ? 'fail' : ok ? 'pass' : 'fail',
      rows: r.checks.map((c) => ({
        status: st(c.ok, c.skipped),
        name: c.name,
        detail: c.code ? `${c.detail} [${c.code}]` : c.detail,
      })),
    });
  }
  if (r.aws) {
    out.push({
      title: 'AWS trust policy',
      verdict: r.aws.decision,
      rows: r.aws.statements.flatMap((s) =>
        s.reasons.map((reason) => ({
          status: (reason.endsWith('→ no match') || !s.matched
            ? reason.endsWith('→ match')
              ? 'pass'
              : 'fail'
            : 'pass') as Status,
          name: `${s.effect} #${s.index}`,
          detail: reason,
        })),
      ),
    });
  }
  if (r.gcp)
    out.push({
      title: 'GCP workload identity provider',
      verdict: r.gcp.decision,
      rows: r.gcp.checks.map((c) => ({ status: st(c.ok), name: c.name, detail: c.detail })),
    });
  if (r.vault)
    out.push({
      title: 'Vault JWT role',
      verdict: r.vault.decision,
      rows: r.vault.checks.map((c) => ({ status: st(c.ok), name: c.name, detail: c.detail })),
    });
  if (r.expectations) {
    out.push({
      title: 'Expectations',
      verdict: r.expectations.decision,
      rows: r.expectations.checks.map((c) => ({ status: st(c.ok), name: c.claim, detail: c.detail })),
    });
  }
  return out;
}

/** renderText renders a doctor report as aligned plain-text tables; ANSI colour only with `color: true`. */
export function renderText(report: DoctorReport, options: RenderOptions = {}): string {
  const lines: string[] = [];
  for (const s of sections(report, options)) {
    lines.push(`${s.title}${s.verdict ? `: ${s.verdict.toUpperCase()}` : ''}`);
    const width = Math.max(4, ...s.rows.map((r) => r.name.length));
    for (const r of s.rows) {
      const label = options.color ? `${ANSI[r.status]}${LABEL[r.status]}\u001b[0m` : LABEL[r.status];
      lines.push(`  ${label}  ${clean(r.name).padEnd(width)}  ${clean(r.detail)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** renderJson renders a doctor report as stable JSON (claims included only with `showClaims`). */
export function renderJson(report: DoctorReport, options: RenderOptions = {}): string {
  const copy: DoctorReport = { ...report };
  if (copy.inspection && !options.showClaims) {
    const { claims: _claims, ...rest } = copy.inspection;
    copy.inspection = rest as TokenInspection;
  }
  return `${JSON.stringify(copy, null, 2)}\n`;
}

function mdCell(s: string): string {
  return clean(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, '<br>');
}

/** renderMarkdown renders a doctor report for a GitHub step summary (escaped tables, no HTML from claims). */
export function renderMarkdown(report: DoctorReport, options: RenderOptions = {}): string {
  const icon: Record<Status, string> = { pass: '✅', fail: '❌', skip: '⏭️' };
  const out: string[] = [];
  for (const s of sections(report, options)) {
    out.push(
      `### ${mdCell(s.title)}${s.verdict ? `: **${mdCell(s.verdict)}**` : ''}`,
      '',
      '| | Check | Detail |',
      '|---|---|---|',
    );
    for (const r of s.rows) out.push(`| ${icon[r.status]} | ${mdCell(r.name)} | ${mdCell(r.detail)} |`);
    out.push('');
  }
  return out.join('\n');
}
