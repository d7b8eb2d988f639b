/**
 * lazy.ts: the same targets as index.ts, each loaded only when a run names it. The GitHub Action
 * uses this so its dist carries one file per target (dist/targets/<name>.js) and a step loads only its own
 * (the Action's main stays within its size budget however many targets are added).
 */
import type { Target } from '@federate/core';

type Loader = () => Promise<Target<never>>;

/** TARGET_LOADERS lists every target by name; keep it in step with TARGETS in index.ts (a test checks). */
export const TARGET_LOADERS: Readonly<Record<string, Loader>> = {
  aws: async () => (await import('./aws/index.js')).awsTarget as Target<never>,
  gcp: async () => (await import('./gcp/index.js')).gcpTarget as Target<never>,
  azure: async () => (await import('./azure/index.js')).azureTarget as Target<never>,
  vault: async () => (await import('./vault/index.js')).vaultTarget as Target<never>,
  oauth: async () => (await import('./oauth/index.js')).oauthTarget as Target<never>,
  'octo-sts': async () => (await import('./octo-sts/index.js')).octoStsTarget as Target<never>,
  'okta-pa': async () => (await import('./okta-pa/index.js')).oktaPaTarget as Target<never>,
  'pingone-privilege': async () =>
    (await import('./pingone-privilege/index.js')).pingOnePrivilegeTarget as Target<never>,
};

/**
 * loadTargets loads the named targets. When a name is unknown it loads them all, so the
 * configuration error can list every valid choice.
 */
export async function loadTargets(names: Iterable<string>): Promise<Record<string, Target<never>>> {
  const wanted = new Set(names);
  const all = [...wanted].some((n) => !(n in TARGET_LOADERS)) || wanted.size === 0;
  const pick = all ? Object.keys(TARGET_LOADERS) : [...wanted];
  const loaded = await Promise.all(
    pick.map(async (n) => [n, await (TARGET_LOADERS[n] as Loader)()] as const),
  );
  return Object.fromEntries(loaded);
}

/**
 * loadRevokingTargets loads the targets named by recorded revocations, and none when nothing was
 * recorded (where loadTargets, given no names, loads them all to list the choices).
 */
export async function loadRevokingTargets(
  records: readonly { readonly target: string }[],
): Promise<Record<string, Target<never>>> {
  return records.length ? loadTargets(records.map((r) => r.target)) : {};
}

/** targetNamesIn lists the target names a run's inputs refer to (top-level `target`, or each exchange's). */
export function targetNamesIn(target: string | undefined, exchanges: unknown): string[] {
  const names: string[] = [];
  if (target) names.push(target.trim());
  if (Array.isArray(exchanges)) {
    for (const e of exchanges)
      if (e && typeof e === 'object' && typeof (e as { target?: unknown }).target === 'string')
        names.push((e as { target: string }).target.trim());
  }
  return names;
}
