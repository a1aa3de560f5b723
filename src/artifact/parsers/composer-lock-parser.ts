import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, jsonOf, makeRef, RefList, str, type InventoryParser } from './parser-support.js';

/** composer.lock: `packages` and `packages-dev`; versions lose Composer's optional `v` (v6.3.0 → 6.3.0) as OSV writes them. */
export const composerLockParser: InventoryParser = {
  name: 'composer.lock',
  match: (path) => /(^|\/)composer\.lock$/.test(path) && !path.includes('vendor/'),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const doc = jsonOf(path, bytes);
    if (!isRecord(doc) || (!Array.isArray(doc.packages) && !Array.isArray(doc['packages-dev']))) {
      throw formatError(path, 'no "packages" array; not a composer.lock');
    }
    const out = new RefList();
    for (const [key, dev] of [['packages', false], ['packages-dev', true]] as const) {
      const list = doc[key];
      if (!Array.isArray(list)) continue;
      for (const p of list) {
        if (!isRecord(p)) continue;
        const name = str(p.name);
        const version = str(p.version);
        if (name === undefined || version === undefined || !name.includes('/')) continue;
        out.add(makeRef('Packagist', name, version.replace(/^v(?=\d)/, ''), path, { dev }));
      }
    }
    return out.refs;
  },
};
