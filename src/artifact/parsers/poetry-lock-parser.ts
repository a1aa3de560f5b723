import type { PackageRef } from '../package-ref.js';
import { formatError, makeRef, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';
import { parseToml, type TomlValue } from './toml-lite.js';

function isTable(v: TomlValue | undefined): v is Record<string, TomlValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** poetry.lock: `[[package]]` tables; git/path/url sources are not on PyPI. */
export const poetryLockParser: InventoryParser = {
  name: 'poetry.lock',
  match: (path) => /(^|\/)poetry\.lock$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const doc = parseToml(path, textOf(path, bytes));
    const packages = doc.package;
    if (packages === undefined) return [];
    if (!Array.isArray(packages)) throw formatError(path, '"package" is not an array of tables');
    const out = new RefList();
    const skipped: string[] = [];
    for (const p of packages) {
      if (!isTable(p) || typeof p.name !== 'string' || typeof p.version !== 'string') continue;
      const source = isTable(p.source) ? p.source : undefined;
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
