import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, jsonOf, makeRef, RefList, str, type InventoryParser } from './parser-support.js';

/**
 * `<app>.deps.json` beside a .NET assembly: `libraries` keyed `Name/Version`, of type `package`
 * (NuGet) or `project` (the app itself, skipped).
 */
export const dotnetDepsParser: InventoryParser = {
  name: '.NET deps.json',
  match: (path) => /[^/]\.deps\.json$/.test(path),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const doc = jsonOf(path, bytes);
    if (!isRecord(doc) || !isRecord(doc.libraries)) throw formatError(path, 'no "libraries" object; not a deps.json');
    const out = new RefList();
    for (const [key, lib] of Object.entries(doc.libraries)) {
      if (!isRecord(lib) || str(lib.type) !== 'package') continue;
      const slash = key.lastIndexOf('/');
      if (slash <= 0) continue;
      out.add(makeRef('NuGet', key.slice(0, slash), key.slice(slash + 1), path));
    }
    return out.refs;
  },
};
