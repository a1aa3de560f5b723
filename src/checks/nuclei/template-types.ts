/**
 * The compiled form of a nuclei template: what the loader produces after validating the YAML and
 * what the runner executes. Only the supported subset has a shape here; everything else becomes an
 * unsupported entry in the load report, with the reason.
 */
import type { GuardedRegex } from './regex/guarded-regex.js';
import type { JsonQuery } from './operators/json-query.js';

export type NucleiSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical' | 'unknown';

export interface TemplateClassification {
  readonly cveId: readonly string[];
  readonly cweId: readonly string[];
  readonly cvssScore?: number;
  readonly cvssMetrics?: string;
}

export interface TemplateInfo {
  readonly name: string;
  readonly authors: readonly string[];
  readonly severity: NucleiSeverity;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly reference: readonly string[];
  readonly classification?: TemplateClassification;
  readonly remediation?: string;
}

export type MatcherType = 'word' | 'regex' | 'status' | 'size' | 'binary' | 'dsl';

export interface CompiledMatcher {
  readonly type: MatcherType;
  readonly name?: string;
  readonly part: string;
  readonly condition: 'and' | 'or';
  readonly negative: boolean;
  readonly internal: boolean;
  readonly caseInsensitive: boolean;
  readonly matchAll: boolean;
  readonly words: readonly string[];
  readonly regex: readonly GuardedRegex[];
  readonly status: readonly number[];
  readonly size: readonly number[];
  /** Binary needles (decoded from hex at load time). */
  readonly binary: readonly Buffer[];
  readonly dsl: readonly string[];
}

export type ExtractorType = 'regex' | 'kval' | 'json' | 'dsl';

export interface CompiledExtractor {
  readonly type: ExtractorType;
  readonly name?: string;
  readonly part: string;
  readonly internal: boolean;
  readonly caseInsensitive: boolean;
  readonly group: number;
  readonly regex: readonly GuardedRegex[];
  readonly kval: readonly string[];
  readonly json: readonly JsonQuery[];
  readonly dsl: readonly string[];
}

export interface Operators {
  readonly matchers: readonly CompiledMatcher[];
  readonly extractors: readonly CompiledExtractor[];
  readonly condition: 'and' | 'or';
}

export type AttackType = 'batteringram' | 'pitchfork' | 'clusterbomb';

export interface PayloadSpec {
  readonly attack: AttackType;
  /** Payload name → values (files already read). Insertion order is kept. */
  readonly sets: ReadonlyMap<string, readonly string[]>;
}

export interface HttpRequestSpec {
  readonly kind: 'http';
  readonly method: string;
  /** Structured requests: each path starts with {{BaseURL}} or {{RootURL}}. */
  readonly paths: readonly string[];
  /** Raw requests (line endings as written; normalised at send time). */
  readonly raw: readonly string[];
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
  readonly redirects: boolean;
  readonly hostRedirects: boolean;
  readonly maxRedirects: number;
  readonly payloads?: PayloadSpec;
  readonly stopAtFirstMatch: boolean;
  readonly reqCondition: boolean;
  readonly unsafe: boolean;
  readonly maxSize?: number;
  readonly cookieReuse: boolean;
  readonly operators: Operators;
}

export interface NetworkInput {
  readonly data: string;
  readonly hex: boolean;
  readonly read: number;
  readonly name?: string;
}

export interface NetworkRequestSpec {
  readonly kind: 'tcp';
  /** Address templates: "{{Hostname}}", "{{Host}}:6379", "tls://{{Hostname}}". */
  readonly hosts: readonly string[];
  readonly inputs: readonly NetworkInput[];
  readonly readSize: number;
  readonly readAll: boolean;
  /** Ports the template is meant for (nuclei `port:`); targets on other ports are skipped. */
  readonly ports: readonly number[];
  readonly payloads?: PayloadSpec;
  readonly operators: Operators;
}

export type TlsVersionName = 'sslv3' | 'tls10' | 'tls11' | 'tls12' | 'tls13';

export interface SslRequestSpec {
  readonly kind: 'ssl';
  readonly address: string;
  readonly minVersion?: TlsVersionName;
  readonly maxVersion?: TlsVersionName;
  readonly operators: Operators;
}

export type RequestSpec = HttpRequestSpec | NetworkRequestSpec | SslRequestSpec;
export type TemplateProtocol = RequestSpec['kind'];

/**
 * A `flow:` chain: steps run in order, each one or more request blocks (indices into `requests`).
 * With 'and' the chain stops at the first step that does not succeed, with 'or' at the first that
 * does; a step succeeds as nuclei's protocol functions do (a matcher matched, or — for a block
 * without matchers — something was extracted, or the block has no operators at all).
 */
export interface TemplateFlow {
  readonly op: 'and' | 'or';
  readonly steps: ReadonlyArray<readonly number[]>;
  /** The flow as written (comments removed). */
  readonly source: string;
}

export interface NucleiTemplate {
  readonly id: string;
  /** Path relative to the loaded directory. */
  readonly path: string;
  readonly info: TemplateInfo;
  readonly protocol: TemplateProtocol;
  readonly requests: readonly RequestSpec[];
  /** Template `variables:` (may hold {{expressions}}, evaluated per target). */
  readonly variables: ReadonlyArray<readonly [string, string]>;
  readonly constants: ReadonlyArray<readonly [string, string]>;
  readonly stopAtFirstMatch: boolean;
  /** Present when the template has a `flow:` chain; without it every block runs in order. */
  readonly flow?: TemplateFlow;
  /**
   * More than read-only probing: payloads (guessing), state-changing methods, or tags such as
   * intrusive / brute / default-login / fuzz / dos.
   */
  readonly intrusive: boolean;
}
