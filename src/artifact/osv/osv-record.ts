import { TrawlError } from '../../errors/trawl-error.js';

/** The parts of the OSV schema (https://ossf.github.io/osv-schema/) that matching and reporting read. */
export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

export interface OsvRange {
  readonly type: 'SEMVER' | 'ECOSYSTEM' | 'GIT' | string;
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvSeverity {
  readonly type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu' | string;
  readonly score: string;
}

export interface OsvAffected {
  readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  readonly severity?: readonly OsvSeverity[];
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

export interface OsvRecord {
  readonly schema_version?: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly related?: readonly string[];
  /** Schema 1.6: the upstream advisories a distro record derives from. */
  readonly upstream?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: readonly { readonly type: string; readonly url: string }[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

/** Largest record accepted: Debian and Linux records with long version lists stay well under this. */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;
const MAX_ID = 200;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

function bad(source: string, reason: string): TrawlError {
  return new TrawlError('TRAWL_E_ADVISORY_DATA', `${source}: not an OSV record: ${reason}`, { source });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringArray(v: unknown, field: string, source: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every(isString)) throw bad(source, `${field} must be an array of strings`);
  return v;
}

/**
 * Parses and checks one OSV record (text or already-parsed JSON). Only structure the matcher relies
 * on is checked; unknown fields pass through untouched (they are kept in raw_json).
 */
export function parseOsvRecord(input: string | unknown, source: string): OsvRecord {
  let json: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MAX_RECORD_BYTES) throw bad(source, `larger than ${MAX_RECORD_BYTES} bytes`);
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw bad(source, `invalid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(json)) throw bad(source, 'not a JSON object');
  const { id, modified } = json;
  if (!isString(id) || id.length > MAX_ID || !ID.test(id)) throw bad(source, `id ${JSON.stringify(id)} is missing or malformed`);
  if (!isString(modified) || Number.isNaN(Date.parse(modified))) throw bad(source, `${id}: modified ${JSON.stringify(modified)} is not a timestamp`);
  for (const f of ['published', 'withdrawn', 'summary', 'details'] as const) {
    if (json[f] !== undefined && json[f] !== null && !isString(json[f])) throw bad(source, `${id}: ${f} must be a string`);
  }
  if (isString(json['withdrawn']) && Number.isNaN(Date.parse(json['withdrawn']))) throw bad(source, `${id}: withdrawn is not a timestamp`);
  stringArray(json['aliases'], 'aliases', source);
  stringArray(json['related'], 'related', source);
  stringArray(json['upstream'], 'upstream', source);
  checkSeverity(json['severity'], `${id}: severity`, source);
  const affected = json['affected'];
  if (affected !== undefined && affected !== null) {
    if (!Array.isArray(affected)) throw bad(source, `${id}: affected must be an array`);
    affected.forEach((a, i) => checkAffected(a, `${id}: affected[${i}]`, source));
  }
  return json as unknown as OsvRecord;
}

function checkSeverity(v: unknown, where: string, source: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || !v.every((s) => isObject(s) && isString(s['type']) && isString(s['score']))) {
    throw bad(source, `${where} must be an array of {type, score}`);
  }
}

function checkAffected(a: unknown, where: string, source: string): void {
  if (!isObject(a)) throw bad(source, `${where} is not an object`);
  const pkg = a['package'];
  if (pkg !== undefined && pkg !== null && (!isObject(pkg) || !isString(pkg['ecosystem']) || !isString(pkg['name']))) {
    throw bad(source, `${where}.package needs ecosystem and name strings`);
  }
  stringArray(a['versions'], `${where}.versions`, source);
  checkSeverity(a['severity'], `${where}.severity`, source);
  const ranges = a['ranges'];
  if (ranges === undefined || ranges === null) return;
  if (!Array.isArray(ranges)) throw bad(source, `${where}.ranges must be an array`);
  ranges.forEach((r, i) => {
    if (!isObject(r) || !isString(r['type']) || !Array.isArray(r['events'])) throw bad(source, `${where}.ranges[${i}] needs type and events`);
    for (const e of r['events']) {
      if (!isObject(e)) throw bad(source, `${where}.ranges[${i}] has an event that is not an object`);
      const keys = Object.keys(e).filter((k) => k === 'introduced' || k === 'fixed' || k === 'last_affected' || k === 'limit');
      if (keys.length !== 1 || !isString(e[keys[0]!])) throw bad(source, `${where}.ranges[${i}] has an event without exactly one of introduced/fixed/last_affected/limit`);
    }
  });
}

/** Base ecosystem and release qualifier: 'Debian:12' → ['Debian', '12'], 'npm' → ['npm', undefined]. */
export function splitEcosystem(ecosystem: string): [string, string | undefined] {
  const i = ecosystem.indexOf(':');
  return i < 0 ? [ecosystem, undefined] : [ecosystem.slice(0, i), ecosystem.slice(i + 1)];
}
