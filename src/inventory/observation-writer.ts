/**
 * Writers for 'service' and 'finding' observation rows, for the identify and check stages (and for
 * tests until those stages commit through the Store). Same identity and idempotence as port rows: one
 * row per (scan, type, ip, port, proto); writing it again replaces it (the latest result wins).
 */
import type { Insertable, Kysely } from 'kysely';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import { TrawlError } from '../errors/trawl-error.js';
import type { Proto } from '../model/observation.js';
import { ipSortKey } from '../store/ip-key.js';
import type { Database, ObservationsTable } from '../store/schema.js';
import { MAX_DATA_JSON, type FindingSighting } from './observation-data.js';

export interface ServiceObservationInput {
  readonly scanId: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: Proto;
  readonly ts: string;
  readonly identity: ServiceIdentity;
  readonly hostname?: string;
  readonly worker?: string;
}

export interface FindingObservationInput {
  readonly scanId: string;
  readonly ip: string;
  /** 0 for host-level checks. */
  readonly port: number;
  readonly proto: Proto;
  readonly ts: string;
  /** Every check that ran on the target, including those that found nothing. */
  readonly checks: readonly string[];
  readonly findings: readonly FindingSighting[];
  readonly worker?: string;
}

/** 13 columns a row; stays under SQLite's 32766 bound parameters. */
const ROWS_PER_STATEMENT = 2000;

export function recordServiceObservations(db: Kysely<Database>, inputs: readonly ServiceObservationInput[]): Promise<void> {
  return writeRows(db, inputs.map((o) => row(o, 'service', JSON.stringify(o.identity), o.hostname ?? null)));
}

export function recordFindingObservations(db: Kysely<Database>, inputs: readonly FindingObservationInput[]): Promise<void> {
  return writeRows(db, inputs.map((o) => row(o, 'finding', JSON.stringify({ checks: o.checks, findings: o.findings }), null)));
}

function row(
  o: { scanId: string; ip: string; port: number; proto: Proto; ts: string; worker?: string },
  type: 'service' | 'finding',
  data: string,
  hostname: string | null,
): Insertable<ObservationsTable> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new TrawlError('TRAWL_E_BAD_PORTS', `port ${o.port} of a ${type} observation is not in 0-65535`, { value: o.port });
  if (data.length > MAX_DATA_JSON) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `${type} observation of ${o.ip}:${o.port} is ${data.length} bytes of JSON, more than ${MAX_DATA_JSON}`, { value: data.length });
  }
  return {
    scan_id: o.scanId,
    type,
    ip: o.ip,
    ip_key: ipSortKey(o.ip),
    port: o.port,
    proto: o.proto,
    // The port state and evidence columns describe the probe; a service or finding row exists
    // because the port answered.
    state: 'open',
    evidence: 'syn-ack',
    rtt_ms: null,
    hostname,
    worker: o.worker ?? null,
    ts: new Date(Date.parse(o.ts)).toISOString(),
    data_json: data,
  };
}

async function writeRows(db: Kysely<Database>, rows: Insertable<ObservationsTable>[]): Promise<void> {
  if (rows.length === 0) return;
  // Last write wins within a batch too, so one statement never touches a row twice.
  const byKey = new Map<string, Insertable<ObservationsTable>>();
  for (const r of rows) byKey.set(`${r.scan_id}\u0000${r.type}\u0000${r.ip_key}\u0000${r.port}\u0000${r.proto}`, r);
  const unique = [...byKey.values()];
  const write = async (trx: Kysely<Database>): Promise<void> => {
    for (let i = 0; i < unique.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('observations')
        .values(unique.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc.columns(['scan_id', 'type', 'ip_key', 'port', 'proto']).doUpdateSet((eb) => ({
            ip: eb.ref('excluded.ip'),
            ts: eb.ref('excluded.ts'),
            hostname: eb.ref('excluded.hostname'),
            worker: eb.ref('excluded.worker'),
            data_json: eb.ref('excluded.data_json'),
          })),
        )
        .execute();
    }
  };
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
}
