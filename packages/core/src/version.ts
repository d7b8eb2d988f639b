/** VERSION is the Federate release this build belongs to (replaced at bundle time when defined). */
declare const __FEDERATE_VERSION__: string | undefined;
export const VERSION: string = typeof __FEDERATE_VERSION__ === 'string' ? __FEDERATE_VERSION__ : '0.1.0';

/** userAgent names Federate, its version, the plugin and the platform, as servers' logs should see it. */
export function userAgent(plugin: string, platform: string, nodeVersion: string): string {
  return `federate/${VERSION} (${plugin}; ${platform}; node/${nodeVersion.replace(/^v/, '')})`;
}
