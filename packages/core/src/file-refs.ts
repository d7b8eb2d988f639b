/**
 * file-refs.ts: a credential file sometimes names another file of the same exchange (an
 * external_account JSON pointing at its token file), but only the sink knows where files land. Targets
 * write `fileRef(name)`; the orchestration resolves references as it writes files, in order.
 */
const REF = /\$\{federate-file:([^}]+)\}/g;

/** fileRef is a placeholder for the absolute path of another credential file of the same exchange. */
export function fileRef(name: string): string {
  return `\${federate-file:${name}}`;
}

/**
 * resolveFileRefs replaces every `fileRef` with the written file's path, escaped for a JSON string
 * (Windows paths hold backslashes). An unknown reference is a TypeError: a bug in a target.
 */
export function resolveFileRefs(content: string, paths: Readonly<Record<string, string>>): string {
  return content.replace(REF, (_, name: string) => {
    const path = paths[name];
    if (path === undefined)
      throw new TypeError(`resolveFileRefs: no file named ${name} was written before this one`);
    return JSON.stringify(path).slice(1, -1);
  });
}
