import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { TrawlError } from '../errors/index.js';
import type { PortObservation } from '../model/observation.js';
import type { ScanRecord } from '../model/scan.js';
import { csvHeader, csvRow } from './csv-format.js';
import { jsonlRow } from './jsonl-format.js';
import { XmlHostGrouper, xmlEpilogue, xmlProlog, type XmlHeaderInfo } from './nmap-xml-format.js';
import { openSink, outputError, SpoolFile, type OutputSink } from './output-sink.js';
import { trawlVersion } from './package-version.js';

export { formatSummaryText, summaryJson, type ScanSummaryJson } from './scan-summary.js';
export type { XmlHeaderInfo } from './nmap-xml-format.js';

export type OutputFormat = 'jsonl' | 'xml' | 'csv';
export const outputFormats: readonly OutputFormat[] = ['jsonl', 'xml', 'csv'];

export interface ScanSummaryInfo {
  readonly scan: ScanRecord;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedSeconds: number;
  /** Command-line arguments after the program name, as typed; nmap XML's `args` is "trawl " + these. */
  readonly args: readonly string[];
  /**
   * Records about the scan rather than a port (e.g. `{"type":"template-unsupported",…}`): the JSON
   * lines writer appends them after the port lines; other formats have no place for them.
   */
  readonly records?: ReadonlyArray<{ readonly type: string }>;
}

/**
 * Streams one scan's observations into one destination. Call `write` in (ip, port) order, then
 * exactly one of `finish` (publishes the file) or `abort` (leaves no trace of it).
 * To stdout, bytes already written stay written; `abort` only stops further output.
 */
export interface ResultWriter {
  readonly format: OutputFormat;
  readonly destination: string;
  write(o: PortObservation): Promise<void>;
  finish(info: ScanSummaryInfo): Promise<void>;
  /** Idempotent; a no-op after a successful finish. */
  abort(): Promise<void>;
}

export interface OpenResultWriterOptions {
  /**
   * nmap XML only: the header, when already known, lets hosts stream straight to the destination.
   * Without it (writers opened before the scan starts) hosts are spooled to a scratch file and the
   * document is assembled at finish.
   */
  readonly header?: XmlHeaderInfo;
  /** Stream used for destination '-' (default process.stdout). */
  readonly stdout?: Writable;
}

export interface OutputTarget {
  readonly format: OutputFormat;
  /** A path, or '-' for stdout. */
  readonly destination: string;
}

export interface OpenedOutput extends OutputTarget {
  readonly writer: ResultWriter;
}

type WriterState = 'open' | 'finished' | 'aborted';

abstract class BaseWriter implements ResultWriter {
  private state: WriterState = 'open';

  constructor(readonly format: OutputFormat, readonly destination: string, protected readonly sink: OutputSink) {}

  protected abstract encode(o: PortObservation): Promise<void>;
  protected abstract complete(info: ScanSummaryInfo): Promise<void>;
  protected abstract release(): Promise<void>;

  async write(o: PortObservation): Promise<void> {
    this.assertOpen('write');
    await this.encode(o);
  }

  async finish(info: ScanSummaryInfo): Promise<void> {
    this.assertOpen('finish');
    try {
      await this.complete(info);
      await this.sink.commit();
      this.state = 'finished';
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.release();
    await this.sink.discard();
  }

  private assertOpen(op: string): void {
    if (this.state !== 'open') throw new TrawlError('TRAWL_E_INTERNAL', `${op} on the ${this.format} writer for ${this.destination} after it was ${this.state}`);
  }
}

/** JSONL and CSV: a fixed header (possibly empty) and one self-contained line per observation. */
class LineWriter extends BaseWriter {
  constructor(format: OutputFormat, destination: string, sink: OutputSink, private readonly row: (o: PortObservation) => string) {
    super(format, destination, sink);
  }

  protected encode(o: PortObservation): Promise<void> {
    return this.sink.write(this.row(o));
  }

  protected async complete(info: ScanSummaryInfo): Promise<void> {
    if (this.format !== 'jsonl' || info.records === undefined) return;
    for (const r of info.records) await this.sink.write(`${JSON.stringify(r)}\n`);
  }
  protected async release(): Promise<void> {}
}

class NmapXmlWriter extends BaseWriter {
  private readonly hosts = new XmlHostGrouper();

  /** `spool` is set when the header was not known at open. */
  constructor(destination: string, sink: OutputSink, private readonly spool: SpoolFile | undefined) {
    super('xml', destination, sink);
  }

  protected async encode(o: PortObservation): Promise<void> {
    const done = this.hosts.push(o);
    if (done !== '') await (this.spool ?? this.sink).write(done);
  }

  protected async complete(info: ScanSummaryInfo): Promise<void> {
    const last = this.hosts.flush();
    if (this.spool) {
      await this.spool.write(last);
      await this.sink.write(xmlProlog(info, trawlVersion()));
      await this.spool.copyInto(this.sink);
      await this.spool.discard();
    } else {
      await this.sink.write(last);
    }
    await this.sink.write(xmlEpilogue(info, this.hosts.hosts));
  }

  protected async release(): Promise<void> {
    await this.spool?.discard();
  }
}

function assertFormat(format: string): asserts format is OutputFormat {
  if (!(outputFormats as readonly string[]).includes(format)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `unknown output format "${format}" (expected ${outputFormats.join(', ')})`, { value: format });
  }
}

/**
 * Opens (creates the temp file for) one destination. Call it before scanning: an unwritable
 * destination fails here with TRAWL_E_OUTPUT naming the path and the reason.
 */
export async function openResultWriter(format: OutputFormat, destination: string, options: OpenResultWriterOptions = {}): Promise<ResultWriter> {
  assertFormat(format);
  const sink = await openSink(destination, options.stdout);
  try {
    switch (format) {
      case 'jsonl':
        return new LineWriter('jsonl', destination, sink, jsonlRow);
      case 'csv':
        await sink.write(csvHeader);
        return new LineWriter('csv', destination, sink, csvRow);
      case 'xml': {
        if (options.header) {
          await sink.write(xmlProlog(options.header, trawlVersion()));
          return new NmapXmlWriter(destination, sink, undefined);
        }
        return new NmapXmlWriter(destination, sink, await SpoolFile.create(destination));
      }
    }
  } catch (err) {
    await sink.discard();
    throw err;
  }
}

/** Writes everything, then finishes; aborts the writer if anything fails. Returns rows written. */
async function pump(writer: ResultWriter, info: ScanSummaryInfo, observations: AsyncIterable<PortObservation>): Promise<number> {
  let rows = 0;
  try {
    for await (const o of observations) {
      await writer.write(o);
      rows++;
    }
    await writer.finish(info);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return rows;
}

/** One format, one destination, observations already in (ip, port) order. Returns rows written. */
export async function writeResults(
  format: OutputFormat, destination: string, info: ScanSummaryInfo, observations: AsyncIterable<PortObservation>,
  options: Pick<OpenResultWriterOptions, 'stdout'> = {},
): Promise<number> {
  const writer = await openResultWriter(format, destination, { ...options, header: info });
  return pump(writer, info, observations);
}

/** Two outputs into one file, or two into stdout, would interleave into garbage: refuse up front. */
function assertDistinct(targets: readonly OutputTarget[]): void {
  const seen = new Set<string>();
  for (const t of targets) {
    const key = t.destination === '-' ? '-' : resolve(t.destination);
    if (seen.has(key)) {
      const what = key === '-' ? 'stdout (-)' : t.destination;
      throw outputError(t.destination, `more than one output format is directed to ${what}`);
    }
    seen.add(key);
  }
}

/** Opens every target or none: if one fails, those already opened are aborted. */
export async function openAll(targets: readonly OutputTarget[], options: OpenResultWriterOptions = {}): Promise<OpenedOutput[]> {
  assertDistinct(targets);
  const opened: OpenedOutput[] = [];
  try {
    for (const t of targets) opened.push({ format: t.format, destination: t.destination, writer: await openResultWriter(t.format, t.destination, options) });
  } catch (err) {
    await Promise.all(opened.map((o) => o.writer.abort()));
    throw err;
  }
  return opened;
}

function isOpened(t: OutputTarget | OpenedOutput): t is OpenedOutput {
  return 'writer' in t;
}

/**
 * Writes every target, streaming the observations once per target (`open` is called each time).
 * Targets may be already opened by `openAll` (before the scan) or plain; plain ones are opened
 * first, all of them before any row is written. On failure every unfinished writer is aborted.
 * Returns rows written per target, in order.
 */
export async function writeAll(
  targets: readonly (OutputTarget | OpenedOutput)[], info: ScanSummaryInfo, open: () => AsyncIterable<PortObservation>,
  options: Pick<OpenResultWriterOptions, 'stdout'> = {},
): Promise<number[]> {
  const writers: (ResultWriter | undefined)[] = targets.map((t) => (isOpened(t) ? t.writer : undefined));
  const abortAll = (): Promise<unknown> => Promise.all(writers.map((w) => w?.abort()));
  try {
    assertDistinct(targets);
    for (const [i, t] of targets.entries()) {
      if (writers[i] === undefined) writers[i] = await openResultWriter(t.format, t.destination, { ...options, header: info });
    }
    const rows: number[] = [];
    for (const w of writers) rows.push(await pump(w!, info, open()));
    return rows;
  } catch (err) {
    await abortAll();
    throw err;
  }
}
