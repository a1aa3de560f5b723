/**
 * Entry names come from untrusted archives. A name is accepted only if it stays inside the artifact
 * with no interpretation: `..` anywhere, absolute paths, drive letters, backslashes and control
 * characters reject the entry outright rather than being "fixed", because a fixed name may collide
 * with (and shadow) a legitimate file.
 */
export type EntryPathResult = { ok: true; path: string; dir: boolean } | { ok: false; reason: string };

const MAX_PATH_LENGTH = 4096;
const MAX_SEGMENTS = 256;

export function normaliseEntryPath(raw: string): EntryPathResult {
  if (raw.length === 0) return { ok: false, reason: 'empty name' };
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: `name longer than ${MAX_PATH_LENGTH} characters` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'control character in name' };
  if (raw.includes('\\')) return { ok: false, reason: 'backslash in name' };
  if (/^[A-Za-z]:/.test(raw)) return { ok: false, reason: 'drive letter (absolute path)' };
  if (raw.startsWith('/')) return { ok: false, reason: 'absolute path' };
  const dir = raw.endsWith('/');
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return { ok: false, reason: 'path traversal (..)' };
    out.push(seg);
  }
  if (out.length === 0) return { ok: true, path: '', dir: true };
  if (out.length > MAX_SEGMENTS) return { ok: false, reason: `more than ${MAX_SEGMENTS} path segments` };
  return { ok: true, path: out.join('/'), dir };
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Where a symlink at `linkPath` with `target` points, as a path from the artifact root, or undefined
 * when it climbs above the root. Absolute targets are root-relative: inside an image, `/usr/lib/x`
 * means the image's own /usr/lib, never the scanning host's.
 */
export function joinLinkTarget(linkPath: string, target: string): string | undefined {
  const segs = target.startsWith('/') ? [] : dirname(linkPath).split('/').filter((s) => s !== '');
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segs.length === 0) return undefined;
      segs.pop();
    } else {
      segs.push(seg);
    }
  }
  return segs.join('/');
}
