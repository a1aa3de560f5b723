import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import yauzl from 'yauzl';
import type { Inventory } from '../../../src/artifact/cache/scan-cache.js';
import type { PackageRef } from '../../../src/artifact/package-ref.js';

/**
 * A test inventory step standing in for src/artifact/inventory.ts (a colleague's, not yet there):
 * opens the downloaded zip with yauzl and reads every package-lock.json (v2/v3 `packages` map).
 */
export async function lockfileInventory(path: string): Promise<Inventory> {
  const data = await readFile(path);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(data, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const packages: PackageRef[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!/(^|\/)package-lock\.json$/.test(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
          const lock = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { packages?: Record<string, { version?: string; dev?: boolean }> };
          for (const [key, v] of Object.entries(lock.packages ?? {})) {
            const i = key.lastIndexOf('node_modules/');
            if (i < 0 || v.version === undefined) continue;
            const name = key.slice(i + 'node_modules/'.length);
            packages.push({ ecosystem: 'npm', name, version: v.version, purl: `pkg:npm/${name.replace('@', '%40')}@${v.version}`, source: entry.fileName, ...(v.dev ? { dev: true } : {}) });
          }
          zip.readEntry();
        }).on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return { packages, sha256: createHash('sha256').update(data).digest('hex'), warnings: [] };
}

/** A package-lock.json (lockfileVersion 3) pinning the given versions. */
export function packageLock(name: string, deps: Record<string, string>): string {
  const packages: Record<string, unknown> = { '': { name, version: '1.0.0', dependencies: deps } };
  for (const [n, v] of Object.entries(deps)) packages[`node_modules/${n}`] = { version: v, resolved: `https://registry.npmjs.org/${n}/-/${n.split('/').pop()}-${v}.tgz`, integrity: 'sha512-fixture' };
  return JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2);
}
