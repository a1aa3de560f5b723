export {
  SEVERITIES,
  CONFIDENCES,
  severityRank,
  maxSeverity,
  isSeverity,
  findingToJson,
  findingToJsonLine,
  type Severity,
  type Confidence,
  type Evidence,
  type JsonValue,
  type Finding,
  type FindingJson,
  type FindingTarget,
  type FindingReferences,
} from './finding.js';
export { cvss31, cvssRating, type CvssScore } from './cvss.js';
export { makeFinding, unidentified, type Check, type CheckContext, type CheckMeta, type CheckTarget, type FindingDetails } from './check.js';
export { CheckRegistry, builtinRegistry, parseCheckSelection } from './check-registry.js';
export { runChecks, CHECK_DEFAULTS, type CheckInput, type CheckRunOutcome, type CheckRunRecord, type RunChecksOptions } from './check-runner.js';
export { HostRateLimiter } from './host-rate-limiter.js';
export { checkBudget, withCheckBudget, connect, httpGet, tlsDialFor, identifyTarget, requestUrl } from './check-io.js';
export { BUILTIN_CHECKS } from './builtin/index.js';
