import type { Ecosystem } from '../package-ref.js';

/**
 * Package URLs per the purl spec (docs/how-to-build): lowercase type, percent-encoded namespace
 * segments, name, version and qualifier values (only ASCII letters, digits, `.-_~` and `:` stay as
 * they are), qualifiers sorted by lowercased key with empty values dropped, type-specific name
 * normalisation.
 */
export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
  subpath?: string;
}

const SAFE = /[A-Za-z0-9.\-_~:]/;

export function percentEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function buildPurl(parts: PurlParts): string {
  let purl = `pkg:${parts.type.toLowerCase()}/`;
  const ns = (parts.namespace ?? '').replace(/^\/+|\/+$/g, '');
  if (ns !== '') purl += `${ns.split('/').filter((s) => s !== '').map(percentEncode).join('/')}/`;
  purl += percentEncode(parts.name.replace(/^\/+|\/+$/g, ''));
  if (parts.version !== undefined && parts.version !== '') purl += `@${percentEncode(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k.toLowerCase()}=${percentEncode(v)}`)
    .sort();
  if (qualifiers.length > 0) purl += `?${qualifiers.join('&')}`;
  const sub = (parts.subpath ?? '').split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  if (sub.length > 0) purl += `#${sub.map(percentEncode).join('/')}`;
  return purl;
}

function splitLast(path: string, sep: string): [string | undefined, string] {
  const i = path.lastIndexOf(sep);
  return i < 0 ? [undefined, path] : [path.slice(0, i), path.slice(i + 1)];
}

/** PEP 503: lowercase, runs of `-_.` become one `-`. */
export function normalisePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The purl of a package as Trawl names it in each OSV ecosystem. */
export function purlFor(ecosystem: Ecosystem, name: string, version: string, qualifiers?: Record<string, string | undefined>, vendor?: string): string {
  const withVersion = (p: PurlParts): string => buildPurl({ ...p, version, ...(qualifiers !== undefined ? { qualifiers } : {}) });
  switch (ecosystem) {
    case 'npm': {
      const [scope, bare] = name.startsWith('@') ? splitLast(name, '/') : [undefined, name];
      return withVersion({ type: 'npm', ...(scope !== undefined ? { namespace: scope.toLowerCase() } : {}), name: bare.toLowerCase() });
    }
    case 'PyPI':
      return withVersion({ type: 'pypi', name: normalisePypiName(name) });
    case 'Go': {
      const [ns, bare] = splitLast(name.toLowerCase(), '/');
      return withVersion({ type: 'golang', ...(ns !== undefined ? { namespace: ns } : {}), name: bare });
    }
    case 'crates.io':
      return withVersion({ type: 'cargo', name });
    case 'RubyGems':
      return withVersion({ type: 'gem', name });
    case 'Packagist': {
      const [ns, bare] = splitLast(name.toLowerCase(), '/');
      return withVersion({ type: 'composer', ...(ns !== undefined ? { namespace: ns } : {}), name: bare });
    }
    case 'Maven': {
      const [group, artifact] = splitLast(name, ':');
      return withVersion({ type: 'maven', ...(group !== undefined ? { namespace: group } : {}), name: artifact });
    }
    case 'NuGet':
      return withVersion({ type: 'nuget', name });
    case 'Debian':
      return withVersion({ type: 'deb', namespace: (vendor ?? 'debian').toLowerCase(), name: name.toLowerCase() });
    case 'Alpine':
      return withVersion({ type: 'apk', namespace: (vendor ?? 'alpine').toLowerCase(), name: name.toLowerCase() });
  }
}
