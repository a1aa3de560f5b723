/**
 * A native interpreter of nmap's service probe database (nmap-service-probes, read at run time from
 * the system — never bundled): loader, PCRE → JavaScript translation, version templates, and the
 * version-detection prober.
 */
export { locateNmapData, requireNmapData, missingNmapDataMessage, nmapDataSearchDirs, SERVICE_PROBES_FILE, type NmapDataOptions } from './nmap-data-locator.js';
export { loadServiceProbes, parseServiceProbes, parseProbePorts, MAX_PROBE_FILE_BYTES } from './probe-file-parser.js';
export {
  PortList,
  isExcludedPort,
  probeByName,
  DEFAULT_RARITY,
  DEFAULT_TOTAL_WAIT_MS,
  type CpeTemplate,
  type ProbeDatabase,
  type ProbeFileWarning,
  type ProbeMatch,
  type ProbeProtocol,
  type ServiceProbe,
  type VersionTemplates,
} from './probe-database.js';
export { cstringUnescape, type UnescapeResult } from './cstring-escape.js';
export { parsePcre, type PcreFlags } from './pcre-parser.js';
export { PcreSyntaxError, type ParsedPcre, type PcreNode } from './pcre-ast.js';
export { translatePcre, flagsFromLetters, emitSet, type PcreTranslation, type PcreTranslationFailure, type PcreTranslationResult } from './pcre-translate.js';
export { translationReport, type TranslationReport } from './translation-report.js';
export { PatternMatcher, PreparedSubject, MAX_SUBJECT_BYTES, type MatchHit, type MatcherStats, type PatternSource } from './pattern-matcher.js';
export {
  WorkerMatchPool,
  InlineResponseMatcher,
  sharedMatchPool,
  closeSharedMatchPool,
  type MatchPoolOptions,
  type ResponseMatcher,
  type ResponseMatchResult,
} from './match-pool.js';
export { applyVersionTemplates, expandTemplate, cpeEscape, type Captures, type VersionFields } from './version-template.js';
export { ProbeRun, type ProbeEnd, type ProbeRunOptions, type ProbeRunResult, type ProbeTunnel, type TlsSettings } from './probe-connection.js';
export {
  probeService,
  probeServiceDetailed,
  type NmapProbeOptions,
  type NmapTlsOptions,
  type ProbeStatus,
  type ProbeTraceEvent,
  type ServiceProbeReport,
} from './service-prober.js';
