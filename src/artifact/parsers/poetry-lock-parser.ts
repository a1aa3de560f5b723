import type { PackageRef } from '../package-ref.js';
import { makeRef, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';
import { isTomlTable, lockfilePackages } from './toml-lite.js';

/** poetry.lock: `[[package]]` tables; git/path/url sources are not on PyPI. */
export const poetryLockParser: InventoryParser = {
  name: 'poetry.lock',
  match: (path) => /(^|\/)poetry\.lock$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const out = new RefList();
    const skipped: string[] = [];
    for (const p of lockfilePackages(path, textOf(path, bytes))) {
      if (typeof p.name !== 'string' || typeof p.version !== 'string') continue;
      const source = isTomlTable(p.source) ? p.source : undefined;
      if (source !== undefined && ['git', 'directory', 'file', 'url'].includes(String(source.type))) {
        skipped.push(`${p.name} (${String(source.type)})`);
        continue;
      }
      // Poetry < 1.2 marked dev dependencies with category = "dev".
      out.add(makeRef('PyPI', p.name, p.version, path, { dev: p.category === 'dev' }));
    }
    if (skipped.length > 0) ctx?.note?.(`${path}: ${skipped.length} packages from non-PyPI sources not matched: ${skipped.slice(0, 5).join(', ')}`);
    return out.refs;
  },
};
