/**
 * token.ts: checks a platform applies to a token it did not mint on demand (GitLab id_tokens, a
 * token file): the audience the exchange needs and the expiry, each failure naming where the token
 * came from so the user knows what to change.
 */
import { isoTimestamp } from '@federate/core';
import { decodeIdentity, type Identity, PlatformError, type PlatformName } from '@federate/core';

/** checkToken decodes `token` and fails when it lacks `audience` or has expired. `source` names its origin. */
export function checkToken(
  platform: PlatformName,
  token: string,
  audience: string,
  now: number,
  source: string,
  hint: string,
): Identity {
  const identity = decodeIdentity(token, platform);
  if (audience && identity.audience.length > 0 && !identity.audience.includes(audience)) {
    throw new PlatformError(
      'ERR_PLATFORM_AUDIENCE_MISMATCH',
      platform,
      `${source} has audience ${identity.audience.join(', ')}, but this exchange needs ${audience}`,
      { hint },
    );
  }
  if (identity.expiresAt && identity.expiresAt.getTime() <= now) {
    throw new PlatformError(
      'ERR_PLATFORM_TOKEN_EXPIRED',
      platform,
      `${source} expired at ${isoTimestamp(identity.expiresAt)}`,
      {
        hint:
          platform === 'gitlab'
            ? 'GitLab mints id_tokens at job start and they live as long as the job timeout (5 minutes when none is set); raise the job timeout or re-run the job'
            : 'refresh the token source, or re-run the job',
      },
    );
  }
  return identity;
}

/** JWT_SHAPE matches a compact JWS (used to list candidate variables by name, never to print them). */
export const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * tokenAudience reads the single audience of a ready-made token (GitLab mints id_tokens at job
 * start, one audience each): what an exchange must ask for unless the user says otherwise.
 */
export function tokenAudience(token: string | undefined): string | undefined {
  const payload = token?.trim().split('.')[1];
  if (!payload) return undefined;
  try {
    const aud = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown }).aud;
    if (typeof aud === 'string') return aud;
    return Array.isArray(aud) && aud.length === 1 && typeof aud[0] === 'string' ? aud[0] : undefined;
  } catch {
    return undefined;
  }
}
