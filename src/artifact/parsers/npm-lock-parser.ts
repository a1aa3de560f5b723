import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, jsonOf, makeRef, RefList, str, type InventoryParser, type ParseContext } from './parser-support.js';

/** Registry versions only: `file:`, git and tarball specs name nothing OSV can match. */
const REGISTRY_VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;
const MAX_TREE_DEPTH = 256;

/** `npm:real-name@1.2.3` (an alias) → ['real-name', '1.2.3']. */
export function splitNpmAlias(spec: string): [string, string] | undefined {
  if (!spec.startsWith('npm:')) return undefined;
  const rest = spec.slice(4);
  const at = rest.lastIndexOf('@');
  if (at <= 0) return undefined;
  return [rest.slice(0, at), rest.slice(at + 1)];
}

/** Name after the last `node_modules/` of a v2/v3 `packages` key. */
function nameFromKey(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

/**
 * package-lock.json / npm-shrinkwrap.json. v2 and v3 list every installed path under `packages`
 * (keys `node_modules/a/node_modules/b`); v1 only has the nested `dependencies` tree.
 */
export const npmLockParser: InventoryParser = {
  name: 'npm package-lock',
  match: (path) => /(^|\/)(package-lock|npm-shrinkwrap)\.json$/.test(path) && !path.includes('node_modules/'),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const doc = jsonOf(path, bytes);
    if (!isRecord(doc)) throw formatError(path, 'lockfile is not a JSON object');
    const out = new RefList();
    const skipped: string[] = [];
    const add = (name: string, version: string, dev: boolean): void => {
      const alias = splitNpmAlias(version);
      const [n, v] = alias ?? [name, version];
      if (!REGISTRY_VERSION.test(v)) {
        skipped.push(`${n}@${v}`);
        return;
      }
      out.add(makeRef('npm', n, v, path, { dev }));
    };
    if (isRecord(doc.packages)) {
      for (const [key, entry] of Object.entries(doc.packages)) {
        if (key === '' || !isRecord(entry) || entry.link === true) continue;
        // Workspace sources (`packages/a`) are the project itself, not a dependency.
        const name = str(entry.name) ?? nameFromKey(key);
        const version = str(entry.version);
        if (name === undefined || version === undefined || !key.includes('node_modules/')) continue;
        add(name, version, entry.dev === true);
      }
    } else if (isRecord(doc.dependencies)) {
      const stack: { deps: Record<string, unknown>; depth: number }[] = [{ deps: doc.dependencies, depth: 0 }];
      while (stack.length > 0) {
        const { deps, depth } = stack.pop() as { deps: Record<string, unknown>; depth: number };
        for (const [name, entry] of Object.entries(deps)) {
          if (!isRecord(entry)) continue;
          const version = str(entry.version);
          if (version !== undefined) add(name, version, entry.dev === true);
          if (isRecord(entry.dependencies)) {
            if (depth + 1 > MAX_TREE_DEPTH) throw formatError(path, `dependency tree deeper than ${MAX_TREE_DEPTH}`);
            stack.push({ deps: entry.dependencies, depth: depth + 1 });
          }
        }
      }
    } else {
      throw formatError(path, 'neither "packages" nor "dependencies" found; not an npm lockfile');
    }
    if (skipped.length > 0) ctx?.note?.(`${path}: ${skipped.length} non-registry dependencies not matched (e.g. ${skipped.slice(0, 3).join(', ')})`);
    return out.refs;
  },
};
