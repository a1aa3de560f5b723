import { createReadStream } from 'node:fs';
import { lstat, opendir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { TrawlError } from '../../errors/trawl-error.js';
import type { ImportItem } from './advisory-store.js';
import { MAX_RECORD_BYTES, parseOsvRecord } from './osv-record.js';

/** Entries read from one dump; osv.dev's largest per-ecosystem all.zip holds a few hundred thousand. */
const MAX_ZIP_ENTRIES = 2_000_000;
const MAX_DEPTH = 12;

function item(text: string, source: string): ImportItem {
  try {
    return { ok: true, record: parseOsvRecord(text, source), source };
  } catch (e) {
    return { ok: false, source, error: e instanceof TrawlError ? e.message : String(e) };
  }
}

/** Every *.json below `dir` (symlinks not followed), one record each, in name order. */
export async function* readOsvDirectory(dir: string, depth = 0): AsyncGenerator<ImportItem> {
  if (depth > MAX_DEPTH) return;
  const names: { name: string; dir: boolean; file: boolean }[] = [];
  for await (const d of await opendir(dir)) names.push({ name: d.name, dir: d.isDirectory(), file: d.isFile() });
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const n of names) {
    const p = join(dir, n.name);
    if (n.dir) {
      if (!n.name.startsWith('.')) yield* readOsvDirectory(p, depth + 1);
    } else if (n.file && n.name.endsWith('.json')) {
      const size = (await stat(p)).size;
      if (size > MAX_RECORD_BYTES) {
        yield { ok: false, source: p, error: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      yield item(await readFile(p, 'utf8'), p);
    }
  }
}

/**
 * The GitHub Advisory Database checkout layout: advisories/github-reviewed/YYYY/MM/GHSA-…/GHSA-….json
 * (already OSV). Unreviewed advisories carry no package data and are left out unless asked for.
 */
export async function* readGhsaRepository(root: string, opts: { unreviewed?: boolean } = {}): AsyncGenerator<ImportItem> {
  yield* readOsvDirectory(join(root, 'advisories', 'github-reviewed'));
  if (opts.unreviewed === true) yield* readOsvDirectory(join(root, 'advisories', 'github-unreviewed'));
}

/** osv.dev's per-ecosystem dump (`<Ecosystem>/all.zip`): one record per *.json entry, read with yauzl. */
export async function* readOsvZip(path: string): AsyncGenerator<ImportItem> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z))),
  ).catch((e: unknown) => {
    throw new TrawlError('TRAWL_E_ADVISORY_DATA', `${path}: not a readable zip (${(e as Error).message})`, { path }, { cause: e });
  });
  try {
    if (zip.entryCount > MAX_ZIP_ENTRIES) throw new TrawlError('TRAWL_E_ADVISORY_DATA', `${path}: ${zip.entryCount} entries, more than the ${MAX_ZIP_ENTRIES} accepted`, { path });
    for (;;) {
      const entry = await nextEntry(zip);
      if (entry === undefined) return;
      const source = `${path}!${entry.fileName}`;
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
      if (entry.uncompressedSize > MAX_RECORD_BYTES) {
        yield { ok: false, source, error: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      let text: string;
      try {
        text = await readEntry(zip, entry);
      } catch (e) {
        yield { ok: false, source, error: (e as Error).message };
        continue;
      }
      yield item(text, source);
    }
  } finally {
    zip.close();
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry): void => {
      cleanup();
      resolve(e);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new TrawlError('TRAWL_E_ADVISORY_DATA', `zip: ${e.message}`, {}, { cause: e }));
    };
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        // validateEntrySizes stops a lying header too; this bounds memory even before it notices.
        if (size > MAX_RECORD_BYTES) stream.destroy(new Error(`entry inflates past ${MAX_RECORD_BYTES} bytes`));
        else chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

export type AdvisorySourceKind = 'zip' | 'ghsa' | 'directory' | 'file';

/** What a path holds: an osv.dev zip dump, a GitHub Advisory Database checkout, a directory of records, or one record. */
export async function advisorySourceKind(path: string): Promise<AdvisorySourceKind> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    throw new TrawlError('TRAWL_E_ADVISORY_DATA', `advisory source ${JSON.stringify(path)} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path }, { cause: e });
  }
  if (s.isDirectory()) {
    const reviewed = await lstat(join(path, 'advisories', 'github-reviewed')).catch(() => undefined);
    return reviewed?.isDirectory() === true ? 'ghsa' : 'directory';
  }
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start: 0, end: 3 }).on('data', (c) => chunks.push(c as Buffer)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
  return head.length === 4 && head.readUInt32LE(0) === 0x04034b50 ? 'zip' : 'file';
}

/** Records from any of the supported sources, by what the path holds. */
export async function* readAdvisories(path: string): AsyncGenerator<ImportItem> {
  const kind = await advisorySourceKind(path);
  if (kind === 'zip') yield* readOsvZip(path);
  else if (kind === 'ghsa') yield* readGhsaRepository(path);
  else if (kind === 'directory') yield* readOsvDirectory(path);
  else {
    const size = (await stat(path)).size;
    yield size > MAX_RECORD_BYTES ? { ok: false, source: path, error: `larger than ${MAX_RECORD_BYTES} bytes` } : item(await readFile(path, 'utf8'), path);
  }
}
