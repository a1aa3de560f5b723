import { sql, type Kysely } from 'kysely';
import type { Database, SeverityLevel } from '../../store/schema.js';
import type { AdvisoryStore, ImportItem, ImportStats, StoredAdvisory } from './advisory-store.js';
import { severityOf, type Severity } from './cvss.js';
import { affectedEntriesOf, type AffectedEntry } from './osv-matcher.js';
import type { OsvRange, OsvRecord } from './osv-record.js';

/** Records per write transaction: bounded memory, few commits. */
const BATCH = 500;
/** Keys per lookup statement (two parameters each, far below every engine's limit). */
const KEYS_PER_QUERY = 400;
const PAGE = 5000;
const MAX_ERRORS_KEPT = 20;
const DATA_VERSION = 'data_version';

type Run = <T>(action: string, fn: () => Promise<T>) => Promise<T>;

export function createKyselyAdvisoryStore(db: Kysely<Database>, run: Run): AdvisoryStore {
  return new KyselyAdvisoryStore(db, run);
}

function severityFromRow(level: SeverityLevel, score: number | null, vector: string | null): Severity {
  const basis: Severity['basis'] = vector?.startsWith('CVSS:3') ? 'cvss3' : vector?.startsWith('CVSS:4') ? 'cvss4-database' : level === 'unknown' ? 'none' : 'database';
  return { level, ...(score !== null ? { score } : {}), ...(vector !== null ? { vector } : {}), basis };
}

/** Timestamps compare as instants: feeds write them with and without fractions and offsets. */
function newer(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}

class KyselyAdvisoryStore implements AdvisoryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly run: Run,
  ) {}

  async importRecords(items: AsyncIterable<ImportItem> | Iterable<ImportItem>, opts: { source?: string; now?: Date } = {}): Promise<ImportStats> {
    const stats: ImportStats = { read: 0, inserted: 0, updated: 0, unchanged: 0, withdrawn: 0, rejected: 0, errors: [], dataVersion: 0 };
    const importedAt = (opts.now ?? new Date()).toISOString();
    let batch: { record: OsvRecord; source: string }[] = [];
    for await (const item of items) {
      if (!item.ok) {
        stats.rejected++;
        if (stats.errors.length < MAX_ERRORS_KEPT) stats.errors.push(`${item.source}: ${item.error}`);
        continue;
      }
      stats.read++;
      batch.push({ record: item.record, source: opts.source ?? item.source });
      if (batch.length >= BATCH) {
        await this.#writeBatch(batch, importedAt, stats);
        batch = [];
      }
    }
    if (batch.length > 0) await this.#writeBatch(batch, importedAt, stats);
    stats.dataVersion = await this.dataVersion();
    return stats;
  }

  #writeBatch(batch: { record: OsvRecord; source: string }[], importedAt: string, stats: ImportStats): Promise<void> {
    return this.run('import advisories', () =>
      this.db.transaction().execute(async (tx) => {
        // Within one batch the newest copy of an id wins, as it would across batches.
        const latest = new Map<string, { record: OsvRecord; source: string }>();
        for (const b of batch) {
          const prior = latest.get(b.record.id);
          if (prior === undefined || newer(b.record.modified, prior.record.modified)) latest.set(b.record.id, b);
          else stats.unchanged++;
        }
        const ids = [...latest.keys()];
        const stored = new Map<string, string>();
        for (let i = 0; i < ids.length; i += KEYS_PER_QUERY) {
          const rows = await tx.selectFrom('advisories').select(['id', 'modified']).where('id', 'in', ids.slice(i, i + KEYS_PER_QUERY)).execute();
          for (const r of rows) stored.set(r.id, r.modified);
        }
        let changed = 0;
        for (const { record, source } of latest.values()) {
          const old = stored.get(record.id);
          if (old !== undefined && !newer(record.modified, old)) {
            stats.unchanged++;
            continue;
          }
          const sev = severityOf(record);
          const row = {
            id: record.id,
            modified: record.modified,
            published: record.published ?? null,
            withdrawn: record.withdrawn ?? null,
            aliases_json: JSON.stringify(record.aliases ?? []),
            related_json: JSON.stringify([...new Set([...(record.related ?? []), ...(record.upstream ?? [])])]),
            summary: record.summary ?? null,
            severity_vector: sev.vector ?? null,
            severity_score: sev.score ?? null,
            severity_level: sev.level,
            source,
            imported_at: importedAt,
            raw_json: JSON.stringify(record),
          };
          if (old === undefined) {
            await tx.insertInto('advisories').values(row).execute();
            stats.inserted++;
          } else {
            await tx.updateTable('advisories').set(row).where('id', '=', record.id).execute();
            await tx.deleteFrom('advisory_affected').where('advisory_id', '=', record.id).execute();
            stats.updated++;
          }
          if (record.withdrawn !== undefined) stats.withdrawn++;
          const affected = (record.affected ?? []).flatMap((a, seq) => {
            if (a.package === undefined) return [];
            const [entry] = affectedEntriesOf({ ...record, affected: [a] });
            if (entry === undefined) return [];
            return [{
              advisory_id: record.id,
              seq,
              ecosystem: entry.ecosystem,
              ecosystem_release: entry.release ?? null,
              package_name: entry.name,
              ranges_json: JSON.stringify(entry.ranges),
              versions_json: JSON.stringify(entry.versions),
            }];
          });
          for (let i = 0; i < affected.length; i += 500) await tx.insertInto('advisory_affected').values(affected.slice(i, i + 500)).execute();
          changed++;
        }
        if (changed > 0) {
          await tx.insertInto('advisory_meta').values({ key: DATA_VERSION, value: '1' })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql<string>`cast(cast(advisory_meta.value as integer) + 1 as text)` }))
            .execute();
        }
      }),
    );
  }

  dataVersion(): Promise<number> {
    return this.run('read the advisory data version', async () => {
      const row = await this.db.selectFrom('advisory_meta').select('value').where('key', '=', DATA_VERSION).executeTakeFirst();
      return row === undefined ? 0 : Number(row.value);
    });
  }

  entriesFor(keys: Iterable<{ readonly ecosystem: string; readonly name: string }>): Promise<AffectedEntry[]> {
    return this.run('look up advisories', async () => {
      const unique = new Map<string, { ecosystem: string; name: string }>();
      for (const k of keys) unique.set(`${k.ecosystem}\u0000${k.name}`, { ecosystem: k.ecosystem, name: k.name });
      const list = [...unique.values()];
      const out: AffectedEntry[] = [];
      for (let i = 0; i < list.length; i += KEYS_PER_QUERY) {
        const chunk = list.slice(i, i + KEYS_PER_QUERY);
        const rows = await this.#entryQuery()
          .where((eb) => eb.or(chunk.map((k) => eb.and([eb('f.ecosystem', '=', k.ecosystem), eb('f.package_name', '=', k.name)]))))
          .execute();
        out.push(...rows.map(entryFromRow));
      }
      return out;
    });
  }

  async *allEntries(): AsyncIterable<AffectedEntry> {
    let after: { id: string; seq: number } | undefined;
    for (;;) {
      const cursor = after;
      const rows = await this.run('read advisories', () => {
        let q = this.#entryQuery();
        if (cursor !== undefined) q = q.where((eb) => eb.or([eb('f.advisory_id', '>', cursor.id), eb.and([eb('f.advisory_id', '=', cursor.id), eb('f.seq', '>', cursor.seq)])]));
        return q.orderBy('f.advisory_id').orderBy('f.seq').limit(PAGE).execute();
      });
      for (const r of rows) yield entryFromRow(r);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < PAGE) return;
      after = { id: last.advisory_id, seq: last.seq };
    }
  }

  #entryQuery() {
    return this.db
      .selectFrom('advisory_affected as f')
      .innerJoin('advisories as a', 'a.id', 'f.advisory_id')
      .select(['f.advisory_id', 'f.seq', 'f.ecosystem', 'f.ecosystem_release', 'f.package_name', 'f.ranges_json', 'f.versions_json', 'a.aliases_json', 'a.related_json', 'a.summary', 'a.severity_level', 'a.severity_score', 'a.severity_vector'])
      .where('a.withdrawn', 'is', null);
  }

  getAdvisory(id: string): Promise<StoredAdvisory | undefined> {
    return this.run(`read advisory ${id}`, async () => {
      const r = await this.db.selectFrom('advisories').selectAll().where('id', '=', id).executeTakeFirst();
      if (r === undefined) return undefined;
      return {
        id: r.id,
        modified: r.modified,
        ...(r.withdrawn !== null ? { withdrawn: r.withdrawn } : {}),
        aliases: JSON.parse(r.aliases_json) as string[],
        ...(r.summary !== null ? { summary: r.summary } : {}),
        severity: severityFromRow(r.severity_level, r.severity_score, r.severity_vector),
        record: JSON.parse(r.raw_json) as OsvRecord,
      };
    });
  }

  countAdvisories(): Promise<{ total: number; withdrawn: number }> {
    return this.run('count advisories', async () => {
      const r = await this.db
        .selectFrom('advisories')
        .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.count<number>('withdrawn').as('withdrawn')])
        .executeTakeFirstOrThrow();
      return { total: Number(r.total), withdrawn: Number(r.withdrawn) };
    });
  }
}

interface EntryRow {
  advisory_id: string;
  ecosystem: string;
  ecosystem_release: string | null;
  package_name: string;
  ranges_json: string;
  versions_json: string;
  aliases_json: string;
  related_json: string;
  summary: string | null;
  severity_level: SeverityLevel;
  severity_score: number | null;
  severity_vector: string | null;
}

function entryFromRow(r: EntryRow): AffectedEntry {
  return {
    advisoryId: r.advisory_id,
    aliases: JSON.parse(r.aliases_json) as string[],
    related: JSON.parse(r.related_json) as string[],
    ...(r.summary !== null ? { summary: r.summary } : {}),
    severity: severityFromRow(r.severity_level, r.severity_score, r.severity_vector),
    ecosystem: r.ecosystem,
    ...(r.ecosystem_release !== null ? { release: r.ecosystem_release } : {}),
    name: r.package_name,
    ranges: JSON.parse(r.ranges_json) as OsvRange[],
    versions: JSON.parse(r.versions_json) as string[],
  };
}
