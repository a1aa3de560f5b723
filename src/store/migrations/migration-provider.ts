import type { Migration, MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-artifacts.js';
import * as m0003 from './0003-jobs.js';
import * as m0004 from './0004-inventory.js';
import * as m0005 from './0005-api.js';
import * as m0006 from './0006-service-search.js';
import * as m0007 from './0007-service-trigram.js';

/**
 * Every migration, by name; names sort in the order they apply. Listed statically rather than read
 * from the filesystem so the store works from dist/ and from a bundle. A new migration is one import
 * and one line here.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': m0001,
  '0002-artifacts': m0002,
  '0003-jobs': m0003,
  '0004-inventory': m0004,
  '0005-api': m0005,
  '0006-service-search': m0006,
  '0007-service-trigram': m0007,
};

export class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...migrations };
  }
}
