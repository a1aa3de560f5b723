import type { AffectedEntry } from './osv-matcher.js';
import type { OsvRecord } from './osv-record.js';
import type { Severity } from './cvss.js';

/** One record read by an importer, or the reason a file could not be read as one. */
export type ImportItem =
  | { readonly ok: true; readonly record: OsvRecord; readonly source: string }
  | { readonly ok: false; readonly source: string; readonly error: string };

export interface ImportStats {
  /** Records read (parse failures excluded). */
  read: number;
  inserted: number;
  updated: number;
  /** Records whose `modified` was not newer than the stored one: skipped. */
  unchanged: number;
  /** Records inserted or updated that are withdrawn (they stop matching). */
  withdrawn: number;
  /** Files that were not OSV records; the first few reasons are in `errors`. */
  rejected: number;
  errors: string[];
  /** The advisory data version after the import (bumped when anything changed). */
  dataVersion: number;
}

export interface StoredAdvisory {
  readonly id: string;
  readonly modified: string;
  readonly withdrawn?: string;
  readonly aliases: readonly string[];
  readonly summary?: string;
  readonly severity: Severity;
  readonly record: OsvRecord;
}

/**
 * The advisory side of the store. Imports are incremental and idempotent: a record replaces the
 * stored one only when its `modified` is newer, and every import that changed something bumps the
 * data version that cached findings are checked against.
 */
export interface AdvisoryStore {
  importRecords(items: AsyncIterable<ImportItem> | Iterable<ImportItem>, opts?: { source?: string; now?: Date }): Promise<ImportStats>;
  dataVersion(): Promise<number>;
  /** Affected entries of non-withdrawn advisories for these packages ((base ecosystem, normalised name) keys). */
  entriesFor(keys: Iterable<{ readonly ecosystem: string; readonly name: string }>): Promise<AffectedEntry[]>;
  /** Every affected entry of non-withdrawn advisories, streamed in pages. */
  allEntries(): AsyncIterable<AffectedEntry>;
  getAdvisory(id: string): Promise<StoredAdvisory | undefined>;
  countAdvisories(): Promise<{ total: number; withdrawn: number }>;
}
