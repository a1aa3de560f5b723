import type { EntryExtractor } from '../readers/artifact-file.js';
import type { PackageRef } from '../package-ref.js';
import { makeRef, RefList, type InventoryParser, type ParseContext } from './parser-support.js';

/**
 * Go ≥ 1.18 binaries carry their module list in a build-info blob: the 14-byte magic
 * `\xff Go buildinf:`, pointer size, flags, 16 bytes of (unused) pointers, then — when flags bit 2 is
 * set — two uvarint-length-prefixed strings: the Go version and the modinfo text (framed by 16-byte
 * sentinels) with `path`, `mod`, `dep` and `=>` (replacement) lines. Older binaries store pointers
 * into the data segment instead, which needs an ELF/Mach-O/PE loader; those are reported, not decoded.
 */
export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER = 32;
const FLAG_INLINE = 0x2;
/** Enough for thousands of dependency lines; a real modinfo is a few KB to a few hundred KB. */
const WINDOW = 1 << 20;

export interface GoBuildInfo {
  goVersion: string;
  modinfo: string;
}

export type BuildInfoResult = { ok: true; info: GoBuildInfo } | { ok: false; reason: 'pointer-format' | 'truncated' | 'invalid' };

function uvarint(buf: Buffer, pos: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 10 && pos + i < buf.length; i++) {
    const b = buf[pos + i] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value > Number.MAX_SAFE_INTEGER ? undefined : [value, pos + i + 1];
    shift += 7;
  }
  return undefined;
}

/** Decodes the blob at `at` (where the magic starts). */
export function decodeBuildInfo(buf: Buffer, at: number): BuildInfoResult {
  if (at + HEADER > buf.length) return { ok: false, reason: 'truncated' };
  const ptrSize = buf[at + 14];
  const flags = buf[at + 15] as number;
  if ((flags & FLAG_INLINE) === 0) return ptrSize === 4 || ptrSize === 8 ? { ok: false, reason: 'pointer-format' } : { ok: false, reason: 'invalid' };
  const v = uvarint(buf, at + HEADER);
  if (v === undefined) return { ok: false, reason: 'truncated' };
  const [vLen, vStart] = v;
  if (vLen > 1024 || vStart + vLen > buf.length) return { ok: false, reason: vStart + vLen > buf.length ? 'truncated' : 'invalid' };
  const goVersion = buf.subarray(vStart, vStart + vLen).toString('utf8');
  if (!/^(go\d|devel )/.test(goVersion)) return { ok: false, reason: 'invalid' };
  const m = uvarint(buf, vStart + vLen);
  if (m === undefined) return { ok: false, reason: 'truncated' };
  const [mLen, mStart] = m;
  if (mStart + mLen > buf.length) return { ok: false, reason: mLen > WINDOW ? 'invalid' : 'truncated' };
  let mod = buf.subarray(mStart, mStart + mLen);
  // cmd/go frames modinfo with 16-byte sentinels; the closing one follows a newline.
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) mod = mod.subarray(16, mod.length - 16);
  else mod = Buffer.alloc(0);
  return { ok: true, info: { goVersion, modinfo: mod.toString('utf8') } };
}

/** The first valid build-info blob in `buf` (the magic string can also appear as data elsewhere). */
export function findBuildInfo(buf: Buffer): BuildInfoResult | undefined {
  let result: BuildInfoResult | undefined;
  for (let at = buf.indexOf(GO_BUILDINFO_MAGIC); at >= 0; at = buf.indexOf(GO_BUILDINFO_MAGIC, at + 1)) {
    const r = decodeBuildInfo(buf, at);
    if (r.ok) return r;
    if (result === undefined || r.reason === 'pointer-format') result = r;
  }
  return result;
}

/** Executable formats a Go toolchain emits: ELF, Mach-O (32/64, either endianness), PE. */
export function isExecutableHeader(head: Buffer): boolean {
  if (head.length < 4) return false;
  const be = head.readUInt32BE(0);
  if (be === 0x7f454c46) return true;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(be)) return true;
  return head[0] === 0x4d && head[1] === 0x5a;
}

/**
 * Streams a candidate executable past, keeping only the window after a build-info magic. Bails out
 * after the first chunk when the file is not an executable at all, so shell scripts and .so files
 * with exec bits cost one chunk.
 */
export function goBuildInfoExtractor(): EntryExtractor {
  let head: Buffer | undefined = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let window: Buffer[] | undefined;
  let windowLength = 0;
  let found: Buffer | undefined;
  const take = (): boolean => {
    const buf = Buffer.concat(window ?? [], windowLength);
    window = undefined;
    windowLength = 0;
    const r = findBuildInfo(buf);
    if (r !== undefined && (r.ok || r.reason !== 'invalid')) {
      // Decoded, or as decoded as it gets (old pointer format, truncated): the parser says which.
      found = r.ok ? buf : buf.subarray(0, Math.min(buf.length, 64 * 1024));
      return false;
    }
    // A stray copy of the magic (e.g. debug/buildinfo's own constant): keep scanning.
    tail = buf.subarray(Math.max(0, buf.length - (GO_BUILDINFO_MAGIC.length - 1)));
    return true;
  };
  const scan = (chunk: Buffer): boolean => {
    if (window !== undefined) {
      window.push(chunk);
      windowLength += chunk.length;
      return windowLength < WINDOW || take();
    }
    const hay = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const at = hay.indexOf(GO_BUILDINFO_MAGIC);
    if (at < 0) {
      tail = hay.subarray(Math.max(0, hay.length - (GO_BUILDINFO_MAGIC.length - 1)));
      return true;
    }
    window = [hay.subarray(at)];
    windowLength = hay.length - at;
    tail = Buffer.alloc(0);
    return windowLength < WINDOW || take();
  };
  return {
    push(chunk: Buffer): boolean {
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 4) return true;
        if (!isExecutableHeader(head)) return false;
        chunk = head;
        head = undefined;
      }
      return scan(chunk);
    },
    finish(): Buffer | undefined {
      if (found === undefined && window !== undefined) take();
      return found;
    },
  };
}

/** `go1.21.5` → `1.21.5`, `go1.22rc1` → `1.22.0-rc.1`, as OSV names the Go standard library. */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(goVersion.split(' ')[0] ?? '');
  if (m === null) return undefined;
  const base = `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
  return m[4] !== undefined ? `${base}-${m[4]}.${m[5]}` : base;
}

export function parseModinfo(path: string, info: GoBuildInfo, ctx?: ParseContext): PackageRef[] {
  const out = new RefList();
  const std = stdlibVersion(info.goVersion);
  if (std !== undefined) out.add(makeRef('Go', 'stdlib', std, path));
  else ctx?.note?.(`${path}: Go toolchain version ${JSON.stringify(info.goVersion)} not recognised; stdlib not reported`);
  const lines = info.modinfo.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = (lines[i] as string).split('\t');
    if (f[0] === 'mod' && f[1] !== undefined && f[2] !== undefined && f[2] !== '(devel)') out.add(makeRef('Go', f[1], f[2], path));
    if (f[0] !== 'dep' || f[1] === undefined || f[2] === undefined) continue;
    const next = (lines[i + 1] ?? '').split('\t');
    if (next[0] === '=>') {
      i++;
      // A replacement by a local directory has no version.
      if (next[1] !== undefined && next[2] !== undefined && next[2] !== '' && next[2] !== '(devel)') out.add(makeRef('Go', next[1], next[2], path));
      else ctx?.note?.(`${path}: ${f[1]} replaced by local ${next[1] ?? '?'}, version unknown`);
      continue;
    }
    out.add(makeRef('Go', f[1], f[2], path));
  }
  return out.refs;
}

/**
 * A Go executable (or the window of one an extractor kept). Files that are not Go binaries yield
 * nothing: this parser is offered every executable.
 */
export const goBinaryParser: InventoryParser = {
  name: 'Go binary build info',
  match: () => false,
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const r = findBuildInfo(bytes);
    if (r === undefined) return [];
    if (!r.ok) {
      if (r.reason === 'pointer-format') ctx?.note?.(`${path}: Go binary built before Go 1.18 (pointer-based build info); modules not decoded`);
      else if (r.reason === 'truncated') ctx?.note?.(`${path}: Go build info truncated`);
      return [];
    }
    return parseModinfo(path, r.info, ctx);
  },
};
