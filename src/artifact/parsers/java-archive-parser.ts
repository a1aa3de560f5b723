import type { PackageRef } from '../package-ref.js';
import { makeRef, MiB, parseHeaderBlock, textOf, type InventoryParser } from './parser-support.js';

function trailingBackslashes(s: string): number {
  let n = 0;
  while (n < s.length && s.charCodeAt(s.length - 1 - n) === 0x5c) n++;
  return n;
}

/** Java .properties: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` continuations; \uXXXX escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let part = (lines[i] as string).replace(/^\s+/, '');
    if (part === '' || part.startsWith('#') || part.startsWith('!')) continue;
    const parts: string[] = [];
    // An odd number of trailing backslashes continues the line.
    while (trailingBackslashes(part) % 2 === 1 && i + 1 < lines.length) {
      parts.push(part.slice(0, -1));
      part = (lines[++i] as string).replace(/^\s+/, '');
    }
    parts.push(part);
    const line = parts.join('');
    const m = /^((?:[^=:\s\\]|\\.)+)\s*[=:\s]\s*(.*)$/.exec(line) ?? /^((?:[^=:\s\\]|\\.)+)$/.exec(line);
    if (m === null) continue;
    const unescape = (s: string): string =>
      s.replace(/\\u([0-9a-fA-F]{4})|\\(.)/g, (_, hex: string | undefined, ch: string | undefined) =>
        hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[ch ?? ''] ?? ch ?? '',
      );
    out.set(unescape(m[1] as string), unescape(m[2] ?? ''));
  }
  return out;
}

/** The archive a member belongs to: `lib/a.jar!/META-INF/x` → `lib/a.jar`; top-level members → ''. */
export function containerOf(path: string): string {
  const i = path.lastIndexOf('!/');
  return i < 0 ? '' : path.slice(0, i);
}

const UNRESOLVED = /\$\{/;

/** `META-INF/maven/<group>/<artifact>/pom.properties`: the jar's own (or a shaded dependency's) coordinates. */
export const pomPropertiesParser: InventoryParser = {
  name: 'Maven pom.properties',
  match: (path) => /(^|\/|!\/)META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(path),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const props = parseProperties(textOf(path, bytes, 1 * MiB));
    const group = props.get('groupId');
    const artifact = props.get('artifactId');
    const version = props.get('version');
    if (group === undefined || artifact === undefined || version === undefined || UNRESOLVED.test(version)) return [];
    const ref = makeRef('Maven', `${group}:${artifact}`, version, path);
    return ref === undefined ? [] : [ref];
  },
};

const ARTIFACT_ID = /^[A-Za-z0-9_.-]+$/;

/**
 * A jar's MANIFEST.MF, used when it has no pom.properties (see reconcileJarRefs): Implementation-
 * Vendor-Id + Implementation-Title when the title is an artifact id, else Bundle-SymbolicName split
 * at its last dot. That split is a heuristic (org.apache.commons.lang3 is really commons-lang3).
 */
export const jarManifestParser: InventoryParser = {
  name: 'Java MANIFEST.MF',
  match: (path) => path === 'META-INF/MANIFEST.MF' || path.endsWith('!/META-INF/MANIFEST.MF'),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const text = textOf(path, bytes, 4 * MiB);
    const lines: string[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line === '') break;
      lines.push(line);
    }
    const h = parseHeaderBlock(lines, '');
    const version = h.get('Implementation-Version') ?? h.get('Bundle-Version');
    if (version === undefined || UNRESOLVED.test(version)) return [];
    let name: string | undefined;
    const vendorId = h.get('Implementation-Vendor-Id');
    const title = h.get('Implementation-Title');
    if (vendorId !== undefined && title !== undefined && ARTIFACT_ID.test(title) && ARTIFACT_ID.test(vendorId)) name = `${vendorId}:${title}`;
    const bsn = h.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
    if (name === undefined && bsn !== undefined && ARTIFACT_ID.test(bsn)) {
      const dot = bsn.lastIndexOf('.');
      if (dot > 0) name = `${bsn.slice(0, dot)}:${bsn.slice(dot + 1)}`;
    }
    if (name === undefined) return [];
    const ref = makeRef('Maven', name, version, path);
    return ref === undefined ? [] : [ref];
  },
};

/** Per jar: pom.properties beats MANIFEST.MF, which only fills in for jars without Maven metadata. */
export function reconcileJarRefs(refs: PackageRef[]): PackageRef[] {
  const withPom = new Set<string>();
  for (const r of refs) if (r.ecosystem === 'Maven' && r.source.endsWith('/pom.properties')) withPom.add(containerOf(r.source));
  return refs.filter((r) => !(r.ecosystem === 'Maven' && r.source.endsWith('META-INF/MANIFEST.MF') && withPom.has(containerOf(r.source))));
}
