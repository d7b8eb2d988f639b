/**
 * report.ts: the doctor report every entry point shows (`federate doctor`, and `dry-run` in the
 * action, the CLI, the orb and the component): the token's claims with each cloud's condition-key
 * spelling and, unless turned off, verification the way the server will do it.
 */
import type { HttpClient } from '@federate/core';
import { inspectToken } from './inspect.js';
import type { DoctorReport } from './render.js';
import { checkToken, type FetchLike } from './verify-token.js';

/** httpFetchLike lets checkToken fetch discovery and JWKS through the core's HTTP helper (https only, timeouts, retries). */
export function httpFetchLike(http: HttpClient): FetchLike {
  return async (url) => {
    const res = await http.request({ what: 'the issuer', url, headers: { accept: 'application/json' } });
    return {
      ok: res.status >= 200 && res.status < 300,
      status: res.status,
      json: async () => JSON.parse(res.text) as unknown,
    };
  };
}

/** doctorReport inspects (and, with `fetch`, verifies) a token; it never holds on to the token. */
export async function doctorReport(
  token: string,
  options: { now: () => number; fetch?: FetchLike; expectedAudience?: string; expectedIssuer?: string },
): Promise<DoctorReport> {
  const report: DoctorReport = { inspection: inspectToken(token, { now: options.now }) };
  if (options.fetch) {
    report.checks = await checkToken(token, {
      fetch: options.fetch,
      now: options.now,
      ...(options.expectedAudience ? { expectedAudience: options.expectedAudience } : {}),
      ...(options.expectedIssuer ? { expectedIssuer: options.expectedIssuer } : {}),
    });
  }
  return report;
}

/** checksFailed tells whether any verification check that ran failed (skipped ones do not count). */
export function checksFailed(report: DoctorReport): boolean {
  return (report.checks ?? []).some((c) => !c.ok && !c.skipped);
}
