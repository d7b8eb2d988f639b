import { PERSONAL_CLAIMS } from './claims.js';
import type { TimeClaim, TokenInspection } from './inspect.js';
import type { AwsEvaluation } from './policy/aws.js';
import type { ExpectationResult } from './policy/expect.js';
import type { GcpEvaluation } from './policy/gcp-cel.js';
import type { VaultEvaluation } from './policy/vault.js';
import { checksFailed } from './report.js';
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
  /**
   * showClaims adds the values of PERSONAL_CLAIMS (actor, user_email, …), which can name people. Every
   * other claim is always shown with its value: those are what trust policies test.
   */
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

const HIDDEN = '(hidden: --show-claims shows it)';
// Registered time and id claims are checked by the server itself; no trust condition tests them.
const NOT_CONDITIONS = new Set(['iss', 'iat', 'nbf', 'exp', 'jti']);

function relative(t: TimeClaim): string {
  const s = t.secondsFromNow;
  return `${t.iso} (${s > 0 ? `in ${s} s` : s < 0 ? `${-s} s ago` : 'now'})`;
}

function valueText(claim: string, value: unknown, o: RenderOptions): string {
  if (!o.showClaims && PERSONAL_CLAIMS.includes(claim)) return HIDDEN;
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** claimRows shows each claim a trust condition can test: its value beside every cloud's spelling of it. */
function claimRows(i: TokenInspection, o: RenderOptions): Row[] {
  const keys = i.conditionKeys;
  const names = [
    ...new Set([
      ...Object.keys(i.claims).filter((c) => !NOT_CONDITIONS.has(c)),
      ...keys.aws.keys.map((k) => k.claim),
    ]),
  ];
  return names.map((claim) => {
    const value = i.claims[claim];
    const aws = keys.aws.keys.find((k) => k.claim === claim);
    const parts: string[] = [];
    if (aws?.testable) {
      // Google's `aud` key compares `azp`, and `oaud` the token's `aud`: show what AWS sees.
      const differs = JSON.stringify(aws.value) !== JSON.stringify(value);
      parts.push(`aws ${aws.key}${differs ? ` = ${valueText(claim, aws.value, o)}` : ''}`);
    } else parts.push('aws (not a condition key for this issuer)');
    const gcp = keys.gcp.attributes.find((a) => a.claim === claim);
    if (gcp) parts.push(`gcp ${claim === 'sub' ? `google.subject=${gcp.expression}` : gcp.expression}`);
    const vault = keys.vault.filter((v) => v.claim === claim || v.claim.startsWith(`${claim}.`));
    if (vault.length) parts.push(`vault ${vault.map((v) => v.boundClaimsKey).join(', ')}`);
    return {
      status: 'pass' as const,
      name: claim,
      detail: `${value === undefined && aws ? '(not in the token)' : valueText(claim, value, o)}  ·  ${parts.join('  ·  ')}`,
    };
  });
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
    if (i.issuedAt) rows.push({ status: 'pass', name: 'issued', detail: relative(i.issuedAt) });
    if (i.notBefore)
      rows.push({
        status: i.notBefore.secondsFromNow > 0 ? 'fail' : 'pass',
        name: 'not before',
        detail: relative(i.notBefore),
      });
    if (i.expiresAt) {
      const left = i.lifetimeRemainingSec ?? 0;
      rows.push({
        status: left > 0 ? 'pass' : 'fail',
        name: 'expires',
        detail: `${i.expiresAt.iso} (${left > 0 ? `in ${left} s` : `${-left} s ago`})`,
      });
    }
    rows.push({ status: 'pass', name: 'aws principal', detail: i.conditionKeys.aws.principal });
    rows.push({ status: 'pass', name: 'gcp subject', detail: i.conditionKeys.gcp.subjectMapping });
    // Entra federated credentials and Okta PA workload connections match issuer and subject (and,
    // for OPA, any required claim with Equals / Starts with / Exists): show what to enter.
    rows.push({
      status: 'pass',
      name: 'entra credential',
      detail: `issuer ${i.conditionKeys.azure.issuer || '(none)'}, subject ${i.conditionKeys.azure.subject ?? '(none)'}, audience api://AzureADTokenExchange`,
    });
    rows.push({
      status: 'pass',
      name: 'okta-pa connection',
      detail: `issuer ${i.issuer ?? '(none)'}; require aud = ${i.audience.join(', ') || '(none)'} and sub = ${i.subject ?? '(none)'} (Equals), or claims below (Equals / Starts with / Exists)`,
    });
    out.push({ title: 'Token', rows });
    out.push({
      title: 'Claims (value · AWS condition key · GCP CEL · Vault bound_claims key)',
      rows: claimRows(i, o),
    });
  }
  if (r.checks) {
    out.push({
      title: 'Verification',
      verdict: checksFailed(r) ? 'fail' : 'pass',
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

/**
 * renderJson renders a doctor report as stable JSON: every claim's value beside its condition keys,
 * except PERSONAL_CLAIMS' values (listed in `hiddenClaims`) unless `showClaims`.
 */
export function renderJson(report: DoctorReport, options: RenderOptions = {}): string {
  const copy: Record<string, unknown> = { ...report };
  const i = report.inspection;
  if (i && !options.showClaims) {
    const hidden = PERSONAL_CLAIMS.filter((c) => c in i.claims);
    const keep = (claim: string) => !PERSONAL_CLAIMS.includes(claim.split('.')[0] ?? claim);
    const strip = <T extends { claim: string; value: unknown }>(e: T): T | Omit<T, 'value'> => {
      if (keep(e.claim)) return e;
      const { value: _value, ...rest } = e;
      return rest;
    };
    const k = i.conditionKeys;
    copy['inspection'] = {
      ...i,
      claims: Object.fromEntries(Object.entries(i.claims).filter(([c]) => keep(c))),
      conditionKeys: {
        ...k,
        aws: { ...k.aws, keys: k.aws.keys.map(strip) },
        gcp: { ...k.gcp, attributes: k.gcp.attributes.map(strip) },
        vault: k.vault.map(strip),
      },
      ...(hidden.length ? { hiddenClaims: hidden } : {}),
    };
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
