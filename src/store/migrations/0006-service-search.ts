import { sql, type Kysely } from 'kysely';

/**
 * The services list (GET /services) sorts by port, service name, product and last sighting as well as
 * by address, each with a keyset index leading with org_id, so every page of 100,000 services is one
 * index range scan. Service and product are nullable: they are indexed (and sorted) as
 * `coalesce(x, '')`, written exactly as src/api/queries/service-list.ts writes them, because both
 * engines match an expression index structurally. The (org_id, port, …) index also serves the port
 * filter in address order: equality on port, then ip_key already sorted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('services_org_port_idx').on('services').columns(['org_id', 'port', 'ip_key', 'proto']).execute();
  await sql`create index services_org_service_idx on services (org_id, (coalesce(service_name, '')), ip_key, port, proto)`.execute(db);
  await sql`create index services_org_product_idx on services (org_id, (coalesce(product, '')), ip_key, port, proto)`.execute(db);
  await db.schema.createIndex('services_org_last_seen_idx').on('services').columns(['org_id', 'last_seen', 'ip_key', 'port', 'proto']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['services_org_last_seen_idx', 'services_org_product_idx', 'services_org_service_idx', 'services_org_port_idx']) {
    await db.schema.dropIndex(index).execute();
  }
}
