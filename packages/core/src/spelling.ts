/**
 * spelling.ts: "did you mean …?" for a mistyped option, input or command name, so every plugin
 * (the CLI's flags, the action's and the CLI's exchanges lists) suggests the same way.
 */

/** editDistance counts the insertions, deletions, substitutions and adjacent swaps from a to b. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * closestName is the candidate a mistyped name most likely meant: one or two letters off (one for
 * short names), or the only candidate that starts with what was typed (`repo` for `repository`).
 * Undefined when nothing is close enough to be a useful guess.
 */
export function closestName(typed: string, candidates: Iterable<string>): string | undefined {
  const options = [...candidates];
  const limit = typed.length < 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const option of options) {
    const distance = editDistance(typed, option);
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const prefixed = options.filter((o) => o.startsWith(typed));
  return typed.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}
