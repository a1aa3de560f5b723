import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { TrawlError } from '../../../errors/index.js';
import { diffScans } from '../../../inventory/diff-scans.js';
import { openInventoryDatabase } from '../../../inventory/inventory-database.js';
import type { ChangeEvent, JsonValue } from '../../../inventory/inventory-types.js';
import { resolveScanRef } from '../../../inventory/scan-context.js';
import type { Database } from '../../../store/schema.js';
import { sqliteOperationError } from '../../../store/sqlite/sqlite-errors.js';
import { parseIntOption } from '../parse-number.js';

interface DiffOptions {
  db: string;
  outputJson?: string;
  certDays?: string;
  silence?: string;
}

export interface DiffIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  exitCode?: number;
}

/** `trawl diff <scanA> <scanB> --db path [-oJ file|-]`: typed changes from scan A to scan B. */
export function registerDiffCommand(program: Command, io: DiffIo = { stdout: process.stdout, stderr: process.stderr }): void {
  program
    .command('diff')
    .description('what changed from scan A to scan B: ports, services, versions, certificates, findings, assets')
    .argument('<scanA>', 'the earlier scan: id, unique id prefix, or latest')
    .argument('<scanB>', 'the later scan: id, unique id prefix, or latest')
    .requiredOption('--db <path>', 'the store written by `trawl scan --db`')
    .option('--output-json <file>', 'JSON lines, one change event per line; - for stdout (-oJ)')
    .option('--cert-days <n>', 'report certificates expiring within n days', '30')
    .option('--silence <n>', 'covering scans without an answer before a port counts as closed', '2')
    .action(async (scanA: string, scanB: string, options: DiffOptions) => {
      await diffCommand(scanA, scanB, options, io);
      io.exitCode = 0;
    });
}

async function diffCommand(refA: string, refB: string, o: DiffOptions, io: DiffIo): Promise<void> {
  if (o.db !== ':memory:' && !existsSync(o.db)) throw new TrawlError('TRAWL_E_DB_PATH', `no store at "${o.db}"`, { path: o.db });
  const certExpiryDays = parseIntOption('--cert-days', o.certDays ?? '30', 0, 3650);
  const silenceScans = parseIntOption('--silence', o.silence ?? '2', 1, 100);
  // Read-write, like `trawl results`: a store from an older Trawl gets the inventory tables first.
  const db = await openInventoryDatabase(o.db);
  let events: ChangeEvent[];
  try {
    events = await guard(o.db, async () => {
      const a = await resolveScanRef(db, refA);
      const b = await resolveScanRef(db, refB);
      return diffScans(db, a.id, b.id, { certExpiryDays, silenceScans });
    });
  } finally {
    await closeQuietly(db);
  }
  if (o.outputJson === undefined) {
    io.stdout.write(events.length === 0 ? 'no changes\n' : events.map(describe).join(''));
    return;
  }
  const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
  if (o.outputJson === '-') {
    io.stdout.write(text);
    return;
  }
  // Whole file or nothing: a temp file renamed into place.
  const tmp = `${o.outputJson}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, o.outputJson);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TrawlError('TRAWL_E_OUTPUT', `cannot write ${o.outputJson}: ${(e as Error).message}`, { path: o.outputJson }, { cause: e });
  }
}

async function guard<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw sqliteOperationError(e, 'diff two scans', path);
  }
}

async function closeQuietly(db: Kysely<Database>): Promise<void> {
  try {
    await db.destroy();
  } catch {
    // Nothing was written but the migrations, each committed on its own.
  }
}

const SIGN: Readonly<Record<ChangeEvent['kind'], string>> = {
  asset_appeared: '+', port_opened: '+', finding_opened: '+', finding_reopened: '+',
  asset_disappeared: '-', port_closed: '-', finding_fixed: '-',
  service_changed: '~', version_changed: '~', cert_rotated: '~', cert_expiring: '!',
};

/** One line per event: sign, kind, where, what, evidence. */
function describe(e: ChangeEvent): string {
  const host = e.address.includes(':') ? `[${e.address}]` : e.address;
  const where = e.port === null ? e.address : e.port === 0 ? `${e.address} (host)` : `${host}:${e.port}/${e.proto}`;
  const what = e.checkId !== null ? e.checkId : summary(e.before, e.after);
  return `${SIGN[e.kind]} ${e.kind.padEnd(18)} ${where}${what ? `  ${what}` : ''}${e.evidence !== null ? `  (${e.evidence})` : ''}\n`;
}

function summary(before: JsonValue | null, after: JsonValue | null): string {
  const text = (v: JsonValue | null): string => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v === null ? '' : String(v);
    const o = v as Record<string, JsonValue>;
    if (typeof o['fingerprint'] === 'string') return `${o['fingerprint'].slice(0, 16)}… until ${String(o['notAfter'])}`;
    const id = (o['identity'] ?? o) as JsonValue;
    if (id !== null && typeof id === 'object' && !Array.isArray(id) && typeof (id as Record<string, JsonValue>)['name'] === 'string') {
      const r = id as Record<string, JsonValue>;
      return [r['name'], r['product'], r['version']].filter((x) => typeof x === 'string').join(' ');
    }
    return '';
  };
  const b = text(before);
  const a = text(after);
  return b && a ? `${b} -> ${a}` : a || b;
}
