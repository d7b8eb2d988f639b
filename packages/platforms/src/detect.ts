/**
 * detect.ts: which CI are we in. Every platform is asked; the first that recognises the environment
 * wins (FEDERATE_PLATFORM overrides), and when none does the error lists what each looked for.
 */
import { type Env, PlatformError, type PlatformName } from '@federate/core';
import { circleci } from './circleci/index.js';
import { cloudbuild } from './cloudbuild/index.js';
import { file } from './file/index.js';
import { github } from './github/index.js';
import { gitlab } from './gitlab/index.js';
import type { PlatformModule } from './types.js';

/** PLATFORMS lists every platform module, in detection order (CI markers first, the file fallback last). */
export const PLATFORMS: Record<PlatformName, PlatformModule> = { github, gitlab, circleci, cloudbuild, file };

/** PLATFORM_OVERRIDE_VARIABLE forces a platform (the Cloud Build builder image sets it). */
export const PLATFORM_OVERRIDE_VARIABLE = 'FEDERATE_PLATFORM';

const isPlatformName = (v: string): v is PlatformName => Object.hasOwn(PLATFORMS, v);

/** detectPlatform returns the platform this environment belongs to, or throws ERR_PLATFORM_NOT_DETECTED. */
export function detectPlatform(env: Env): PlatformModule {
  const forced = env[PLATFORM_OVERRIDE_VARIABLE]?.trim().toLowerCase();
  if (forced) {
    if (isPlatformName(forced)) return PLATFORMS[forced];
    throw new PlatformError(
      'ERR_PLATFORM_NOT_DETECTED',
      forced,
      `${PLATFORM_OVERRIDE_VARIABLE} names an unknown platform ${JSON.stringify(forced.slice(0, 40))}`,
      { hint: `use one of: ${Object.keys(PLATFORMS).join(', ')}` },
    );
  }
  const looked: string[] = [];
  for (const module of Object.values(PLATFORMS)) {
    const result = module.detect(env);
    if (result.detected) return module;
    looked.push(`${module.name}: ${result.lookedFor.join(', ')}`);
  }
  throw new PlatformError(
    'ERR_PLATFORM_NOT_DETECTED',
    'unknown',
    `could not tell which CI this is; looked for:\n  - ${looked.join('\n  - ')}`,
    {
      hint: `set ${PLATFORM_OVERRIDE_VARIABLE} to one of ${Object.keys(PLATFORMS).join(', ')}, or pass a token file`,
    },
  );
}
