/**
 * cloudbuild/: Google Cloud Build. Every step is a fresh container, so nothing carries over but
 * /workspace: tokens come from the metadata server (as the build's user-specified service account),
 * and credentials are handed on as files under /workspace/.federate/: an `env.sh` later steps source
 * and the target files, all 0600. There is no runtime masking, so nothing secret is printed.
 */
import { join } from 'node:path';
import { PlatformError, type Sink, type TokenSource } from '@federate/core';
import { PrivateDir } from '../shared/private-dir.js';
import { outputsAsEnv, renderShellExports } from '../shared/shell-export.js';
import { fileStateStore, SinkBase } from '../shared/sink-base.js';
import type { PlatformContext, PlatformInstance, PlatformModule } from '../types.js';

/** DEFAULT_METADATA_HOST is the GCE metadata server (plain HTTP by design; link-local). */
export const DEFAULT_METADATA_HOST = 'metadata.google.internal';
/** CLOUDBUILD_ENV_FILE is the file later steps source. */
export const CLOUDBUILD_ENV_FILE = 'env.sh';
const SA_PATH = '/computeMetadata/v1/instance/service-accounts/default';
const DEFAULT_SA = /^\d+@cloudbuild\.gserviceaccount\.com$/;
const DEFAULT_SA_HINT =
  'set `serviceAccount:` in the build config to a user-managed service account and grant it roles/iam.serviceAccountOpenIdTokenCreator on itself (iam.serviceAccounts.getOpenIdToken); Cloud Build does not mint ID tokens for its default service account';

/** cloudbuildPrivateDir is `/workspace/.federate` (FEDERATE_WORKSPACE replaces /workspace in tests). */
export function cloudbuildPrivateDir(ctx: PlatformContext): string {
  return ctx.options.privateDir || join(ctx.env['FEDERATE_WORKSPACE'] || '/workspace', '.federate');
}

function metadataUrl(ctx: PlatformContext, leaf: string): URL {
  const host = ctx.env['GCE_METADATA_HOST'] || DEFAULT_METADATA_HOST;
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    throw new PlatformError(
      'ERR_PLATFORM_TOKEN_REQUEST',
      'cloudbuild',
      'GCE_METADATA_HOST is not a host name',
    );
  }
  url.pathname = `${SA_PATH}/${leaf}`;
  return url;
}

/** cloudbuildTokenSource asks the metadata server for an ID token, refusing the default service account early. */
export function cloudbuildTokenSource(ctx: PlatformContext): TokenSource {
  let email: Promise<string | undefined> | undefined;
  const serviceAccount = async (): Promise<string | undefined> => {
    const res = await ctx.http.request({
      what: 'the metadata server',
      url: metadataUrl(ctx, 'email'),
      headers: { 'metadata-flavor': 'Google' },
      allowMetadata: true,
    });
    return res.status === 200 ? res.text.trim() : undefined;
  };
  return {
    async idToken(audience) {
      if (!audience)
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_REQUEST',
          'cloudbuild',
          'the metadata server needs an audience',
          {
            hint: 'set `audience`',
          },
        );
      // A failed lookup only costs the early, specific error; the identity request reports the rest.
      email ??= serviceAccount().catch(() => undefined);
      const sa = await email;
      if (sa && DEFAULT_SA.test(sa))
        throw new PlatformError(
          'ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT',
          'cloudbuild',
          `this build runs as the default Cloud Build service account ${sa}, which cannot get ID tokens`,
          { hint: DEFAULT_SA_HINT },
        );
      const url = metadataUrl(ctx, 'identity');
      url.searchParams.set('audience', audience);
      url.searchParams.set('format', 'full');
      const res = await ctx.http.request({
        what: 'the metadata server identity endpoint',
        url,
        headers: { 'metadata-flavor': 'Google' },
        allowMetadata: true,
      });
      const token = res.text.trim();
      if (res.status !== 200 || !token) {
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_REQUEST',
          'cloudbuild',
          `the metadata server answered HTTP ${res.status} to an ID-token request${sa ? ` for ${sa}` : ''}`,
          {
            status: res.status,
            hint:
              res.status === 404 || res.status === 403
                ? DEFAULT_SA_HINT
                : 'retry the build; check that the step runs on Cloud Build (or GCE_METADATA_HOST points at a metadata server)',
          },
        );
      }
      ctx.secrets.add(token);
      return token;
    },
  };
}

function yamlQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function cloudbuildSink(ctx: PlatformContext, base: SinkBase): Sink {
  const plain: Array<{ name: string; value: string }> = [];
  const secretNames: string[] = [];
  const exportLines = async (vars: Parameters<Sink['exportEnv']>[0]) => {
    await base.dir.append(CLOUDBUILD_ENV_FILE, renderShellExports('cloudbuild', vars, []));
    await base.persist();
    for (const v of vars) {
      if (v.secret) secretNames.push(v.name);
      else plain.push({ name: v.name, value: v.value });
    }
  };
  return {
    // Cloud Build documents no masking of step output.
    mask() {},
    writeFile: (file) => base.writeFile(file),
    recordCleanup: (record) => base.recordCleanup(record),
    exportEnv: exportLines,
    async setOutputs(outputs) {
      const { vars } = outputsAsEnv(outputs);
      const known = new Set(plain.map((p) => p.name));
      const fresh = vars.filter((v) => !known.has(v.name));
      if (fresh.length) await exportLines(fresh);
    },
    async writeSummary(summary) {
      const lines = [base.summaryText(summary)].filter((l) => l !== '');
      if (plain.length + secretNames.length > 0) {
        lines.push(
          `later steps: run \`. ${base.dir.resolve(CLOUDBUILD_ENV_FILE)}\` first (entrypoint: bash)${secretNames.length ? `; it sets ${secretNames.join(', ')}` : ''}`,
        );
        if (plain.length) {
          lines.push('or, for the non-secret values, add to the step:', '  env:');
          for (const p of plain) lines.push(`  - ${yamlQuote(`${p.name}=${p.value}`)}`);
        }
      }
      ctx.write(`${ctx.secrets.redact(lines.join('\n'))}\n`);
    },
  };
}

/** cloudbuild is the Google Cloud Build platform module. */
export const cloudbuild: PlatformModule = {
  name: 'cloudbuild',
  detect(env) {
    // Steps see no CI marker; BUILD_ID and PROJECT_ID appear with automapSubstitutions (the builder image sets FEDERATE_PLATFORM).
    const detected = Boolean(env['BUILD_ID'] && env['PROJECT_ID']);
    return { detected, lookedFor: ['BUILD_ID and PROJECT_ID (automapSubstitutions: true)'] };
  },
  create(ctx): PlatformInstance {
    const dir = new PrivateDir('cloudbuild', cloudbuildPrivateDir(ctx), { exclusive: false });
    const base = new SinkBase('cloudbuild', ctx, dir, fileStateStore(dir));
    return {
      name: 'cloudbuild',
      tokenSource: cloudbuildTokenSource(ctx),
      sink: cloudbuildSink(ctx, base),
      privateDir: dir.path,
      cleanup: () => base.cleanup(),
    };
  },
};
