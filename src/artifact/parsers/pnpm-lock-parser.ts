import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, makeRef, RefList, str, textOf, type InventoryParser, type ParseContext } from './parser-support.js';
import { yamlOf } from './yaml-support.js';

const REGISTRY_VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;

/**
 * A `packages` key → [name, version]. Three generations of key:
 * v5 `/@scope/name/1.2.3_peer@2.0.0`, v6 `/@scope/name@1.2.3(peer@2.0.0)`, v9 `@scope/name@1.2.3(peer@2.0.0)`.
 */
export function pnpmKey(key: string, lockfileVersion: number): [string, string] | undefined {
  const k = key.startsWith('/') ? key.slice(1) : key;
  if (lockfileVersion < 6) {
    const slash = k.lastIndexOf('/');
    if (slash <= 0) return undefined;
    const name = k.slice(0, slash);
    const version = k.slice(slash + 1).split('_')[0] as string;
    return [name, version];
  }
  const bare = k.split('(')[0] as string;
  const at = bare.lastIndexOf('@');
  if (at <= 0) return undefined;
  return [bare.slice(0, at), bare.slice(at + 1)];
}

/** pnpm-lock.yaml, lockfile v5.x, v6 and v9. */
export const pnpmLockParser: InventoryParser = {
  name: 'pnpm-lock.yaml',
  match: (path) => /(^|\/)pnpm-lock\.yaml$/.test(path) && !path.includes('node_modules/'),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const doc = yamlOf(path, textOf(path, bytes));
    if (!isRecord(doc)) throw formatError(path, 'pnpm lockfile is not a mapping');
    const lockfileVersion = parseFloat(String(doc.lockfileVersion ?? ''));
    if (!Number.isFinite(lockfileVersion)) throw formatError(path, 'no lockfileVersion; not a pnpm lockfile');
    const out = new RefList();
    const skipped: string[] = [];
    const packages = isRecord(doc.packages) ? doc.packages : {};
    for (const [key, entry] of Object.entries(packages)) {
      const e = isRecord(entry) ? entry : {};
      // Tarball and git dependencies carry their identity in the entry rather than the key.
      const fromEntry = str(e.name) !== undefined && e.version !== undefined ? ([str(e.name), String(e.version)] as [string, string]) : undefined;
      const nv = fromEntry ?? pnpmKey(key, lockfileVersion);
      if (nv === undefined) {
        skipped.push(key);
        continue;
      }
      const [name, version] = nv;
      if (!REGISTRY_VERSION.test(version)) {
        skipped.push(`${name}@${version}`);
        continue;
      }
      out.add(makeRef('npm', name, version, path, { dev: e.dev === true }));
    }
    if (skipped.length > 0) ctx?.note?.(`${path}: ${skipped.length} non-registry entries not matched (e.g. ${skipped.slice(0, 3).join(', ')})`);
    return out.refs;
  },
};
