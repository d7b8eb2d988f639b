export type { Claims, Clock, Platform } from './claims.js';
export {
  audienceList,
  awsProviderArn,
  awsProviderKey,
  awsTestableClaims,
  detectPlatform,
  PERSONAL_CLAIMS,
} from './claims.js';
export { TrustError, type TrustErrorCode } from './errors.js';
export { generateTrust } from './generate/index.js';
export { hclString, shellQuote } from './generate/quote.js';
export type {
  AwsParams,
  AzureParams,
  CircleciScope,
  CloudbuildScope,
  GcpParams,
  GenerateFormat,
  GeneratePlatform,
  GenerateRequest,
  GenerateResult,
  GenerateTarget,
  GithubScope,
  GitlabScope,
  OctoStsParams,
  VaultParams,
} from './generate/types.js';
export {
  type AwsConditionKey,
  type ConditionKeys,
  conditionKeysFor,
  inspectToken,
  type TimeClaim,
  type TokenInspection,
} from './inspect.js';
export {
  type AwsEvaluateOptions,
  type AwsEvaluation,
  type AwsStatementResult,
  evaluateAwsTrustPolicy,
} from './policy/aws.js';
export { type CelNode, type CelResult, type CelValue, evalCel, parseCel } from './policy/cel.js';
export {
  checkExpectations,
  type Expectation,
  type ExpectationCheck,
  type ExpectationResult,
  parseExpectations,
} from './policy/expect.js';
export {
  evaluateGcpProvider,
  type GcpCheck,
  type GcpEvaluation,
  type GcpProviderConfig,
} from './policy/gcp-cel.js';
export {
  evaluateVaultRole,
  type VaultCheck,
  type VaultEvaluation,
  type VaultJwtRole,
} from './policy/vault.js';
export { type DoctorReport, type RenderOptions, renderJson, renderMarkdown, renderText } from './render.js';
export {
  type CheckName,
  type CheckTokenOptions,
  checkToken,
  DEFAULT_CLOCK_SKEW_SEC,
  type FetchLike,
  type TokenCheck,
} from './verify-token.js';
export { checksFailed, doctorReport, httpFetchLike } from './report.js';
