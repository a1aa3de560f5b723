import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Finding } from '../osv/osv-matcher.js';
import type { PackageRef } from '../package-ref.js';
import type { ArtifactStore, StoredArtifact } from './artifact-store.js';

type Run = <T>(action: string, fn: () => Promise<T>) => Promise<T>;

const ROWS_PER_INSERT = 500;

export function createKyselyArtifactStore(db: Kysely<Database>, run: Run): ArtifactStore {
  return {
    getArtifact: (sha256) =>
      run(`read artifact ${sha256}`, async () => {
        const r = await db.selectFrom('artifacts').selectAll().where('sha256', '=', sha256).executeTakeFirst();
        if (r === undefined) return undefined;
        return {
          sha256: r.sha256,
          kind: r.kind,
          name: r.name,
          scannedAt: r.scanned_at,
          matchedAt: r.matched_at,
          dataVersion: r.data_version,
          packages: JSON.parse(r.inventory_json) as PackageRef[],
          warnings: JSON.parse(r.warnings_json) as string[],
        } satisfies StoredArtifact;
      }),
    putArtifact: (a, findings) =>
      run(`store artifact ${a.sha256}`, () =>
        db.transaction().execute(async (tx) => {
          const row = {
            sha256: a.sha256,
            kind: a.kind,
            name: a.name,
            scanned_at: a.scannedAt,
            matched_at: a.matchedAt,
            data_version: a.dataVersion,
            inventory_json: JSON.stringify(a.packages),
            warnings_json: JSON.stringify(a.warnings),
          };
          await tx.insertInto('artifacts').values(row).onConflict((oc) => oc.column('sha256').doUpdateSet(row)).execute();
          await writeFindings(tx, a.sha256, findings);
        }),
      ),
    replaceFindings: (sha256, dataVersion, matchedAt, findings) =>
      run(`store findings of artifact ${sha256}`, () =>
        db.transaction().execute(async (tx) => {
          await tx.updateTable('artifacts').set({ data_version: dataVersion, matched_at: matchedAt }).where('sha256', '=', sha256).execute();
          await writeFindings(tx, sha256, findings);
        }),
      ),
    getFindings: (sha256) =>
      run(`read findings of artifact ${sha256}`, async () => {
        const rows = await db.selectFrom('artifact_findings').select('finding_json').where('artifact_sha256', '=', sha256).orderBy('purl').orderBy('advisory_id').execute();
        return rows.map((r) => JSON.parse(r.finding_json) as Finding);
      }),
  };
}

async function writeFindings(tx: Transaction<Database>, sha256: string, findings: readonly Finding[]): Promise<void> {
  await tx.deleteFrom('artifact_findings').where('artifact_sha256', '=', sha256).execute();
  // The same package can be listed twice (two lockfiles); the key keeps one finding per (purl, advisory).
  const unique = new Map<string, Finding>();
  for (const f of findings) unique.set(`${f.purl}\u0000${f.advisoryId}`, f);
  const rows = [...unique.values()].map((f) => ({
    artifact_sha256: sha256,
    purl: f.purl,
    advisory_id: f.advisoryId,
    ecosystem: f.ecosystem,
    package_name: f.package,
    installed_version: f.installedVersion,
    fixed_json: JSON.stringify(f.fixedVersions),
    severity_level: f.severity.level,
    finding_json: JSON.stringify(f),
  }));
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await tx.insertInto('artifact_findings').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
}
