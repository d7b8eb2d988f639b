/**
 * platform.ts: choose and build the platform a CLI command runs on (auto-detected or `--platform`).
 */
import { ConfigError, type Deps, type PlatformName, type SecretRegistry } from '@federate/core';
import { detectPlatform, PLATFORMS, type PlatformInstance, type PlatformOptions } from '@federate/platforms';
import { httpFor, type Io } from './runtime.js';

/** PLATFORM_CHOICES are what --platform accepts. */
export const PLATFORM_CHOICES = ['auto', 'github', 'gitlab', 'circleci', 'cloudbuild', 'file'] as const;

/** CLI_PLATFORM_INPUTS are inputs the CLI consumes itself; they never reach a target. */
export const CLI_PLATFORM_INPUTS = [
  'platform',
  'format',
  'output-file',
  'token-file',
  'token-var',
  'private-dir',
  'circleci-token-version',
] as const;

const FORMATS = ['github', 'gitlab', 'circleci', 'cloudbuild', 'shell', 'dotenv', 'json'] as const;

/** platformOptions reads the CLI's platform inputs, reporting bad ones as config issues. */
export function platformOptions(inputs: Readonly<Record<string, string>>): {
  name: (typeof PLATFORM_CHOICES)[number];
  options: PlatformOptions;
} {
  const issues = [];
  const name = (inputs['platform'] ?? 'auto') as (typeof PLATFORM_CHOICES)[number];
  if (!(PLATFORM_CHOICES as readonly string[]).includes(name))
    issues.push({
      code: 'ERR_CONFIG_ENUM' as const,
      input: 'platform',
      message: `must be one of ${PLATFORM_CHOICES.join(', ')}`,
    });
  const format = inputs['format'];
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format))
    issues.push({
      code: 'ERR_CONFIG_ENUM' as const,
      input: 'format',
      message: `must be one of ${FORMATS.join(', ')}`,
    });
  const version = inputs['circleci-token-version'];
  if (version !== undefined && version !== 'v1' && version !== 'v2')
    issues.push({
      code: 'ERR_CONFIG_ENUM' as const,
      input: 'circleci-token-version',
      message: 'must be v1 or v2',
    });
  if (issues.length) throw new ConfigError(issues);
  const options: PlatformOptions = {
    ...(format ? { format: format as PlatformOptions['format'] & string } : {}),
    ...(inputs['output-file'] ? { outputFile: inputs['output-file'] } : {}),
    ...(inputs['token-var'] ? { tokenVariable: inputs['token-var'] } : {}),
    ...(inputs['token-file'] ? { tokenFile: inputs['token-file'] } : {}),
    ...(inputs['private-dir'] ? { privateDir: inputs['private-dir'] } : {}),
    ...(version ? { circleciTokenVersion: version as 'v1' | 'v2' } : {}),
  } as PlatformOptions;
  return { name, options };
}

/** createPlatform detects or picks the platform and builds it around the process. */
export function createPlatform(
  io: Io,
  deps: Deps,
  secrets: SecretRegistry,
  inputs: Readonly<Record<string, string>>,
): PlatformInstance {
  const { name, options } = platformOptions(inputs);
  // A token file or variable given explicitly means "the file platform" unless the user said otherwise.
  const chosen: PlatformName =
    name !== 'auto'
      ? name
      : inputs['token-file'] && !inputs['platform']
        ? 'file'
        : detectPlatform(io.env).name;
  const module = PLATFORMS[chosen];
  return module.create({
    env: io.env,
    http: httpFor(deps),
    secrets,
    log: deps.log,
    now: deps.now,
    ...(deps.exec ? { exec: deps.exec } : {}),
    write: (text) => io.stdout(text),
    options,
  });
}
