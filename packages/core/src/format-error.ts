/**
 * format-error.ts: the one place an error becomes text for a user. Layers: what Federate was doing,
 * the server's answer, the hint, the claims diagnostics need. Everything passes through the redactor.
 */
import { AggregateExchangeError, ConfigError, ExchangeError, FederateError } from './errors.js';
import type { SecretRegistry } from './redact.js';

/** formatError renders any error as secret-free lines, with the product name once at the top. */
export function formatError(error: unknown, secrets: SecretRegistry): string {
  const lines: string[] = [];
  const one = (e: FederateError, indent: string) => {
    lines.push(`${indent}${e.code}: ${e.message}`);
    const multiIssue = e instanceof ConfigError && e.issues.length > 1; // issues are already listed in the message
    if (e instanceof ExchangeError) {
      const facts = [
        e.status ? `HTTP ${e.status}` : '',
        e.serverCode ? `server code ${e.serverCode}` : '',
        e.requestId ? `request id ${e.requestId}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      if (facts) lines.push(`${indent}  (${facts})`);
    }
    if (e.hint && !multiIssue) lines.push(`${indent}  hint: ${e.hint}`);
    if (e instanceof ExchangeError && e.claims) {
      lines.push(`${indent}  the token's claims that this server's trust conditions usually test:`);
      for (const [k, v] of Object.entries(e.claims))
        lines.push(`${indent}    ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  };
  if (error instanceof AggregateExchangeError && error.errors.length > 1) {
    lines.push(`Federate: ${error.errors.length} exchanges failed; nothing was exported`);
    for (const e of error.errors) one(e, '  ');
  } else if (error instanceof AggregateExchangeError && error.errors[0]) {
    lines.push('Federate failed; nothing was exported');
    one(error.errors[0], '  ');
  } else if (error instanceof FederateError) {
    lines.push('Federate failed');
    one(error, '  ');
  } else {
    // Unknown errors may carry anything; show their type, never their message or stack.
    lines.push(`Federate failed: unexpected ${error instanceof Error ? error.name : typeof error}`);
  }
  return secrets.redact(lines.join('\n'));
}

/** errorCodes lists the code of an error and of every error it aggregates (for tests and exit codes). */
export function errorCodes(error: unknown): string[] {
  if (error instanceof AggregateExchangeError) return error.errors.map((e) => e.code);
  if (error instanceof FederateError) return [error.code];
  return [];
}
