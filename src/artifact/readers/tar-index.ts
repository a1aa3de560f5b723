import type { FileHandle } from 'node:fs/promises';
import { TrawlError } from '../../errors/trawl-error.js';
import { normaliseEntryPath } from './entry-path.js';

/**
 * Header-only index of an uncompressed tar on disk: one 512-byte read per entry, no data read. Image
 * archives (docker save, OCI layout tars) list their manifest after the layers, so the layers must be
 * located first and then read in manifest order by offset.
 */
export interface TarIndexEntry {
  readonly name: string;
  readonly type: 'file' | 'other';
  readonly size: number;
  readonly offset: number;
}

const BLOCK = 512;
const MAX_META_BYTES = 1 << 20;

function field(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? slice.length : nul).toString('utf8');
}

function parseSize(buf: Buffer): number {
  const raw = buf.subarray(124, 136);
  if (((raw[0] ?? 0) & 0x80) !== 0) {
    // GNU base-256 for sizes over 8 GiB.
    let n = 0;
    for (let i = 1; i < raw.length; i++) n = n * 256 + (raw[i] ?? 0);
    return n;
  }
  const text = raw.toString('latin1').replace(/[\0 ]+$/g, '').trim();
  if (!/^[0-7]*$/.test(text)) return Number.NaN;
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(buf: Buffer): boolean {
  const stored = parseInt(buf.subarray(148, 156).toString('latin1').replace(/[\0 ]/g, ''), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (buf[i] ?? 0);
  return sum === stored;
}

function paxPath(data: Buffer): string | undefined {
  // Records: "<len> <key>=<value>\n".
  let pos = 0;
  let path: string | undefined;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.subarray(pos, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) break;
    const rec = data.subarray(sp + 1, pos + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0 && rec.slice(0, eq) === 'path') path = rec.slice(eq + 1);
    pos += len;
  }
  return path;
}

export async function indexTar(fh: FileHandle, fileSize: number, where: string, maxEntries: number): Promise<TarIndexEntry[]> {
  const out: TarIndexEntry[] = [];
  const header = Buffer.alloc(BLOCK);
  let pos = 0;
  let longName: string | undefined;
  let paxName: string | undefined;
  const bad = (why: string): TrawlError =>
    new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: not a readable tar: ${why} at offset ${pos}`, { archive: where, offset: pos });
  while (pos + BLOCK <= fileSize) {
    const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
    if (bytesRead < BLOCK) throw bad('truncated header');
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw bad('header checksum mismatch');
    const size = parseSize(header);
    if (!Number.isFinite(size) || size < 0) throw bad('invalid size');
    const dataOffset = pos + BLOCK;
    if (dataOffset + size > fileSize) throw bad('entry runs past the end of the file');
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const readMeta = async (): Promise<Buffer> => {
      if (size > MAX_META_BYTES) throw bad('oversized long-name/pax record');
      const b = Buffer.alloc(size);
      await fh.read(b, 0, size, dataOffset);
      return b;
    };
    if (typeflag === 'L') {
      longName = field(await readMeta(), 0, size);
    } else if (typeflag === 'x') {
      paxName = paxPath(await readMeta());
    } else if (typeflag === 'g' || typeflag === 'K') {
      // Global pax headers and long link names do not name this entry.
    } else {
      const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? field(header, 345, 155) : '';
      const base = field(header, 0, 100);
      const name = paxName ?? longName ?? (prefix !== '' ? `${prefix}/${base}` : base);
      longName = undefined;
      paxName = undefined;
      const norm = normaliseEntryPath(name);
      if (norm.ok && !norm.dir) {
        out.push({ name: norm.path, type: typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : 'other', size, offset: dataOffset });
        if (out.length > maxEntries) {
          throw new TrawlError('TRAWL_E_ARTIFACT_LIMIT', `${where}: more than ${maxEntries} entries`, { archive: where, limit: 'maxEntries' });
        }
      }
    }
    pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/** Whether a 512-byte block looks like a tar header (ustar magic, or a valid checksum for v7 tars). */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < BLOCK) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  return !head.every((b) => b === 0) && checksumOk(head);
}
