import type { Migration, MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-artifacts.js';

/**
 * Every migration, by name; names sort in the order they apply. Listed statically rather than read
 * from the filesystem so the store works from dist/ and from a bundle. A new migration is one import
 * and one line here.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': m0001,
  '0002-artifacts': m0002,
};

export class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...migrations };
  }
}
