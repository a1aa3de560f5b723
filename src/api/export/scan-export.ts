import { PassThrough, type Readable } from 'node:stream';
import type { ScanRecord } from '../../model/scan.js';
import { writeResults, type OutputFormat } from '../../output/result-writer.js';
import type { Store } from '../../store/store.js';

export const exportMediaTypes: Readonly<Record<OutputFormat, string>> = {
  jsonl: 'application/jsonl; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

/**
 * A scan's open ports as a stream in one of the CLI's output formats, written by the same writers
 * (src/output/) so an export and `trawl results -oX` are byte-for-byte the same document. Rows stream
 * from the store page by page; the writer waits for the client, so memory stays flat.
 */
export function exportScan(store: Store, scan: ScanRecord, format: OutputFormat): Readable {
  const out = new PassThrough();
  const at = scan.finishedAt ?? new Date().toISOString();
  const info = { scan, startedAt: scan.createdAt, finishedAt: at, elapsedSeconds: Math.max(0, (Date.parse(at) - Date.parse(scan.createdAt)) / 1000), args: ['api', 'export', scan.id] };
  writeResults(format, '-', info, store.listPortObservations(scan.id, { state: 'open' }), { stdout: out }).then(
    () => out.end(),
    (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
  );
  return out;
}
