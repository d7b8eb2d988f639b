/**
 * TrustError is the one error class of @federate/trust. `code` is stable (`ERR_TRUST_*`); tests and
 * callers branch on it, never on the message. Messages never contain a token.
 */
export class TrustError extends Error {
  readonly code: TrustErrorCode;
  constructor(code: TrustErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrustError';
    this.code = code;
  }
}

/** TrustErrorCode lists every code a TrustError can carry. */
export type TrustErrorCode =
  | 'ERR_TRUST_JWT_MALFORMED'
  | 'ERR_TRUST_JWT_ALG'
  | 'ERR_TRUST_JWT_SIGNATURE'
  | 'ERR_TRUST_DISCOVERY'
  | 'ERR_TRUST_JWKS'
  | 'ERR_TRUST_KID'
  | 'ERR_TRUST_ISSUER'
  | 'ERR_TRUST_AUDIENCE'
  | 'ERR_TRUST_EXPIRED'
  | 'ERR_TRUST_NOT_YET_VALID'
  | 'ERR_TRUST_INSECURE_ISSUER'
  | 'ERR_TRUST_POLICY_INVALID'
  | 'ERR_TRUST_CEL_PARSE'
  | 'ERR_TRUST_CEL_EVAL'
  | 'ERR_TRUST_EXPECT_SYNTAX'
  | 'ERR_TRUST_INVALID_SCOPE'
  | 'ERR_TRUST_UNSUPPORTED';
