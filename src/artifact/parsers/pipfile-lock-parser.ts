import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, jsonOf, makeRef, RefList, str, type InventoryParser, type ParseContext } from './parser-support.js';

/** Pipfile.lock: `default` and `develop` maps of name → { version: "==x.y" }. */
export const pipfileLockParser: InventoryParser = {
  name: 'Pipfile.lock',
  match: (path) => /(^|\/)Pipfile\.lock$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const doc = jsonOf(path, bytes);
    if (!isRecord(doc) || (!isRecord(doc.default) && !isRecord(doc.develop))) throw formatError(path, 'no "default" or "develop" section; not a Pipfile.lock');
    const out = new RefList();
    const unknown: string[] = [];
    for (const [section, dev] of [['default', false], ['develop', true]] as const) {
      const deps = doc[section];
      if (!isRecord(deps)) continue;
      for (const [name, entry] of Object.entries(deps)) {
        const version = isRecord(entry) ? str(entry.version) : undefined;
        const pin = version === undefined ? null : /^===?\s*(\S+)$/.exec(version);
        if (pin === null) {
          unknown.push(name);
          continue;
        }
        out.add(makeRef('PyPI', name, pin[1] as string, path, { dev }));
      }
    }
    if (unknown.length > 0) ctx?.note?.(`${path}: ${unknown.length} entries without a pinned version (VCS/path): ${unknown.slice(0, 5).join(', ')}`);
    return out.refs;
  },
};
