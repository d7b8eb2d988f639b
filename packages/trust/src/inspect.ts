import {
  audienceList,
  awsProviderArn,
  awsProviderKey,
  awsClaimValue,
  awsTestableClaims,
  type Claims,
  type Clock,
  celAccessor,
  detectPlatform,
  gcpAttributeName,
  jsonPointer,
  type Platform,
} from './claims.js';
import { isoTimestamp } from '@federate/core';
import { decodeJwt, decodeProtectedHeader } from './jwt.js';

/** TimeClaim describes one of iat/nbf/exp relative to `now`. */
export interface TimeClaim {
  epoch: number;
  iso: string;
  /** secondsFromNow is positive in the future, negative in the past. */
  secondsFromNow: number;
}

/** AwsConditionKey is one claim as an AWS trust policy spells it. */
export interface AwsConditionKey {
  claim: string;
  key: string;
  /** testable is false when AWS STS does not expose this claim for this issuer. */
  testable: boolean;
  /** value is what AWS compares the key with (for Google, `aud` is the token's `azp`). */
  value: unknown;
}

/** ConditionKeys gives, per cloud, the exact spelling a trust configuration uses for each claim. */
export interface ConditionKeys {
  aws: { providerKey: string; principal: string; keys: AwsConditionKey[] };
  gcp: {
    subjectMapping: string;
    attributes: Array<{ claim: string; expression: string; mapping: string; value: unknown }>;
  };
  /** vault has one entry per leaf claim; nested claims are JSON pointers, `claim` their dotted path. */
  vault: Array<{ claim: string; boundClaimsKey: string; value: unknown }>;
  azure: { issuer: string; subject: string | undefined };
}

/** TokenInspection is everything `federate doctor` shows about a token. It never holds the token. */
export interface TokenInspection {
  header: { alg: string | undefined; kid: string | undefined; typ: string | undefined };
  issuer: string | undefined;
  subject: string | undefined;
  audience: string[];
  issuedAt: TimeClaim | undefined;
  notBefore: TimeClaim | undefined;
  expiresAt: TimeClaim | undefined;
  /** lifetimeRemainingSec is exp − now (negative once expired), undefined without `exp`. */
  lifetimeRemainingSec: number | undefined;
  platform: Platform;
  claims: Claims;
  conditionKeys: ConditionKeys;
}

function timeClaim(value: unknown, nowSec: number): TimeClaim | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return {
    epoch: value,
    iso: isoTimestamp(new Date(value * 1000)),
    secondsFromNow: Math.round(value - nowSec),
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** conditionKeysFor computes the per-cloud spelling of every claim of a decoded token. */
export function conditionKeysFor(claims: Claims, platform: Platform = detectPlatform(claims)): ConditionKeys {
  const iss = str(claims['iss']) ?? '';
  const providerKey = awsProviderKey(iss);
  const testable = awsTestableClaims(iss, platform);
  const names = Object.keys(claims).filter((c) => !['iss', 'iat', 'nbf', 'exp', 'jti'].includes(c));
  const awsClaims = [...new Set([...names, ...(providerKey === 'accounts.google.com' ? ['oaud'] : [])])];
  const vault: ConditionKeys['vault'] = [];
  const walk = (path: string[], value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk([...path, k], v);
    } else {
      // Vault reads a bound_claims key as a JSON pointer only when it starts with "/".
      vault.push({
        claim: path.join('.'),
        boundClaimsKey: path.length === 1 ? path[0]! : jsonPointer(path),
        value,
      });
    }
  };
  for (const name of names) walk([name], claims[name]);
  return {
    aws: {
      providerKey,
      principal: awsProviderArn(iss, '<account-id>'),
      keys: awsClaims.map((claim) => ({
        claim,
        key: `${providerKey}:${claim}`,
        testable: testable.includes(claim),
        value: awsClaimValue(claims, claim, iss),
      })),
    },
    gcp: {
      subjectMapping: 'google.subject=assertion.sub',
      attributes: names.map((claim) => ({
        claim,
        expression: celAccessor(claim),
        mapping: `attribute.${gcpAttributeName(claim)}=${celAccessor(claim)}`,
        value: claims[claim],
      })),
    },
    vault,
    azure: { issuer: iss, subject: str(claims['sub']) },
  };
}

/**
 * inspectToken decodes a token without verifying it and explains it: header, identity, times,
 * platform and the spelling of each claim in AWS, GCP, Vault and Azure trust configuration.
 */
export function inspectToken(jwt: string, options: { now: Clock }): TokenInspection {
  const header = decodeProtectedHeader(jwt);
  const claims = decodeJwt(jwt);
  const nowSec = options.now() / 1000;
  const platform = detectPlatform(claims);
  const exp = timeClaim(claims['exp'], nowSec);
  return {
    header: { alg: str(header.alg), kid: str(header.kid), typ: str(header.typ) },
    issuer: str(claims['iss']),
    subject: str(claims['sub']),
    audience: audienceList(claims['aud']),
    issuedAt: timeClaim(claims['iat'], nowSec),
    notBefore: timeClaim(claims['nbf'], nowSec),
    expiresAt: exp,
    lifetimeRemainingSec: exp?.secondsFromNow,
    platform,
    claims,
    conditionKeys: conditionKeysFor(claims, platform),
  };
}
