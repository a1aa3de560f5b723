import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, jsonOf, makeRef, MiB, str, type InventoryParser } from './parser-support.js';

/** `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`, nothing deeper. */
const INSTALLED = /(?:^|\/)node_modules\/((?:@[^/.][^/]*\/)?[^/.@][^/]*)\/package\.json$/;

/**
 * An installed package's own manifest. Deeper package.json files (`lib/package.json` with only
 * `"type": "module"`, test fixtures) are not packages and do not match.
 */
export const npmInstalledParser: InventoryParser = {
  name: 'npm installed package.json',
  match: (path) => INSTALLED.test(path),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const dirName = INSTALLED.exec(path)?.[1];
    if (dirName === undefined) return [];
    const doc = jsonOf(path, bytes, 16 * MiB);
    if (!isRecord(doc)) throw formatError(path, 'package.json is not a JSON object');
    const name = str(doc.name) ?? dirName;
    const version = str(doc.version);
    if (version === undefined) return [];
    const ref = makeRef('npm', name, version, path);
    return ref === undefined ? [] : [ref];
  },
};
