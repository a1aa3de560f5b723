export {
  type IpFamily, type IpAddress, type IpParseResult, IPV4_MAX, IPV6_MAX,
  parseIp, parseIpVerbose, parseIpv4, formatIp, ipv4ToString, ipv4, addressKey, sameAddress, maxValue, familyBits,
} from './ip-address.js';
export { type AddressRange, RangeSet, RangeSetBuilder } from './range-set.js';
export { type ParsedTarget, parseTarget, parseExclude, hostnameProblem } from './target-parser.js';
export { type TargetLine, readTargetLines, readTargetBatches, MAX_LINE_BYTES } from './target-file-reader.js';
export { parsePorts } from './port-parser.js';
export { type TopPorts, topPorts, readServicesRanking } from './top-ports.js';
export { builtInTopTcpPorts } from './top-ports-table.js';
export { type BlockedRange, type BlocklistCut, specialPurposeRanges, applyBlocklist } from './blocklist.js';
export { type ScopeInput, type Scope, buildScope } from './scope-builder.js';
