import type { PackageRef } from '../package-ref.js';
import { makeRef, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';
import { lockfilePackages } from './toml-lite.js';

const CRATES_IO = new Set(['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/']);

/**
 * Cargo.lock (v1–v4): `[[package]]` with name, version, source. Workspace members have no source;
 * git and alternative-registry crates are not crates.io and are noted instead.
 */
export const cargoLockParser: InventoryParser = {
  name: 'Cargo.lock',
  match: (path) => /(^|\/)Cargo\.lock$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const out = new RefList();
    const other: string[] = [];
    for (const p of lockfilePackages(path, textOf(path, bytes))) {
      const { name, version, source } = p;
      if (typeof name !== 'string' || typeof version !== 'string') continue;
      if (source === undefined) continue;
      if (typeof source !== 'string' || !CRATES_IO.has(source)) {
        other.push(`${name} (${String(source).split('?')[0]})`);
        continue;
      }
      out.add(makeRef('crates.io', name, version, path));
    }
    if (other.length > 0) ctx?.note?.(`${path}: ${other.length} crates not from crates.io not matched: ${other.slice(0, 5).join(', ')}`);
    return out.refs;
  },
};
