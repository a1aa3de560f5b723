/**
 * nuclei-compatible template engine: load a directory of nuclei YAML templates, report which run
 * and why the others do not, and run the supported ones (http, tcp/network, ssl) against targets.
 */
export { loadTemplates, parseTemplate, parseTemplateYaml, MAX_TEMPLATE_BYTES, MAX_YAML_DEPTH, MAX_YAML_ALIASES, type LoadReport, type LoadedTemplates, type TemplateReportEntry, type ParseTemplateOptions } from './template-loader.js';
export type { TemplateStatus } from './template-compile.js';
export { supportReport, formatSupportReport, type SupportSummary } from './support-report.js';
export { runTemplates, type RunTemplatesOptions } from './template-runner.js';
export { toFinding, toFindingSighting, findingCheckId, type NucleiResult, type NucleiRunRecord, type NucleiEvent, type NucleiTarget, type RunOutcome } from './nuclei-result.js';
export { evaluateDsl, dslIsTrue, DslUnresolvedError, type DslLookup } from './dsl/dsl-eval.js';
export { parseDsl, type DslNode } from './dsl/dsl-parser.js';
export { DSL_FUNCTIONS } from './dsl/dsl-functions.js';
export type { DslValue } from './dsl/dsl-value.js';
export { bytesToDsl, dslBytes, dslByteLength, dslDisplay } from './dsl/dsl-bytes.js';
export { interpolate } from './dsl/template-expr.js';
export { checkGoVersionConstraints } from './dsl/go-version.js';
export { compileRe2, linearEngineAvailable, MAX_REGEX_INPUT, MAX_BACKTRACKING_INPUT, type GuardedRegex, type RegexMatch } from './regex/guarded-regex.js';
export { parseRe2 } from './regex/re2-syntax.js';
export { payloadCombinations, combinationCount, MAX_PAYLOAD_COMBINATIONS } from './payload-generator.js';
export { parseJsonQuery, runJsonQuery, type JsonQuery } from './operators/json-query.js';
export type * from './template-types.js';
export { runTemplateJobs, resolveRunLimits, TEMPLATE_RUN_DEFAULTS, type TemplateJob } from './template-runner.js';
export { templateCheckIds } from './nuclei-result.js';
export { loadTemplateSet, selectTemplates, intrusiveReason, summarizeTemplateSet, formatTemplateSetSummary, templateSetRecords, type TemplateSet, type TemplateSelection, type TemplateRunLimits, type TemplateNotRun, type NotRunStatus, type TemplateSetSummary, type LoadTemplateSetOptions } from './template-set.js';
export { parseFlow, FLOW_SCRIPT_REASON, type FlowParse, type FlowBlock } from './template-flow.js';
