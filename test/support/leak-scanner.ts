/**
 * leak-scanner.ts: every end-to-end test runs with known secret values, and this scanner fails the
 * test if any of them, or its base64 / URL-encoded / JSON-escaped form, appears anywhere a user could
 * see it: stdout, stderr, step summaries, non-secret outputs, files outside the private directory,
 * and the argv of processes we spawned.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodedForms } from '@federate/core';

/** Leak is one place a secret was seen. */
export interface Leak {
  where: string;
  form: string;
  /** excerpt shows the surroundings with the secret itself replaced, so reports never leak again. */
  excerpt: string;
}

/** LeakScanner collects secret values and scans text and files for them. */
export class LeakScanner {
  readonly #forms = new Map<string, string>(); // form -> label of the secret it came from
  readonly leaks: Leak[] = [];

  /** secret registers a value (and its encoded forms) that must never be visible. */
  secret(value: string, label = 'secret'): string {
    for (const form of encodedForms(value)) if (form.length >= 8) this.#forms.set(form, label);
    return value;
  }

  /** scanText checks one visible text (a stream, a summary, an output value). */
  scanText(where: string, text: string): this {
    for (const [form, label] of this.#forms) {
      let at = text.indexOf(form);
      while (at !== -1) {
        const excerpt = `${text.slice(Math.max(0, at - 30), at)}<${label}>${text.slice(at + form.length, at + form.length + 30)}`;
        this.leaks.push({ where, form: label, excerpt });
        at = text.indexOf(form, at + 1);
      }
    }
    return this;
  }

  /** scanTree checks every file under `root`, except the private directories where secrets belong. */
  scanTree(root: string, allowed: readonly string[] = []): this {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (allowed.some((a) => p === a || p.startsWith(`${a}/`))) continue;
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && st.size < 8 * 1024 * 1024)
          this.scanText(`file ${relative(root, p)}`, readFileSync(p, 'latin1'));
      }
    };
    walk(root);
    return this;
  }

  /** scanArgv checks the argument vectors of spawned processes (recorded by shims or wrappers). */
  scanArgv(where: string, argv: readonly string[]): this {
    return this.scanText(`argv of ${where}`, argv.join('\u0000'));
  }

  /** report renders the leaks found (secret-free). */
  report(): string {
    return this.leaks.map((l) => `${l.where}: ${l.form} seen in …${l.excerpt}…`).join('\n');
  }

  /** assertClean throws if anything leaked. */
  assertClean(): void {
    if (this.leaks.length > 0) throw new Error(`secrets leaked:\n${this.report()}`);
  }
}
