import type { OsRelease } from './parser-support.js';

export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'];

/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(bytes: Buffer): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const line of bytes.subarray(0, 64 * 1024).toString('utf8').split(/\r?\n/)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m === null) continue;
    let v = (m[2] as string).trim();
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    fields.set(m[1] as string, v);
  }
  const id = fields.get('ID');
  if (id === undefined || !/^[a-z0-9._-]+$/.test(id)) return undefined;
  const versionId = fields.get('VERSION_ID');
  const like = (fields.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== '');
  return { id, like, ...(versionId !== undefined && versionId !== '' ? { versionId } : {}) };
}

/**
 * The distro as OSV qualifies its ecosystems: Debian:12, Ubuntu:22.04, Alpine:v3.19 (Alpine's
 * branches are major.minor). Undefined when the release is unknown.
 */
export function osvDistro(os: OsRelease | undefined): string | undefined {
  if (os === undefined) return undefined;
  const name = os.id.charAt(0).toUpperCase() + os.id.slice(1);
  if (os.versionId === undefined) return name;
  if (os.id === 'alpine') {
    const m = /^(\d+)\.(\d+)/.exec(os.versionId);
    return m ? `Alpine:v${m[1]}.${m[2]}` : 'Alpine';
  }
  if (os.id === 'debian') return `Debian:${os.versionId.split('.')[0]}`;
  return `${name}:${os.versionId}`;
}

/** The purl `distro` qualifier: `debian-12`, `alpine-3.19.1`. */
export function purlDistro(os: OsRelease | undefined): string | undefined {
  if (os === undefined) return undefined;
  return os.versionId === undefined ? os.id : `${os.id}-${os.versionId}`;
}
