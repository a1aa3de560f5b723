import type { PackageRef } from '../package-ref.js';
import { makeRef, parseHeaderBlock, textOf, MiB, type InventoryParser } from './parser-support.js';

/**
 * An installed distribution: `*.dist-info/METADATA` (wheels, pip) or `*.egg-info/PKG-INFO`
 * (setuptools). Only the header block before the first blank line is read; the description after it
 * can be megabytes of README.
 */
export const pythonMetadataParser: InventoryParser = {
  name: 'Python installed METADATA',
  match: (path) => /[^/]\.dist-info\/METADATA$/.test(path) || /[^/]\.egg-info\/PKG-INFO$/.test(path),
  parse(path: string, bytes: Buffer): PackageRef[] {
    const text = textOf(path, bytes.subarray(0, Math.min(bytes.length, 4 * MiB)), 4 * MiB);
    const lines: string[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line === '') break;
      lines.push(line);
    }
    const headers = parseHeaderBlock(lines);
    const name = headers.get('Name');
    const version = headers.get('Version');
    if (name === undefined || version === undefined) return [];
    const ref = makeRef('PyPI', name, version, path);
    return ref === undefined ? [] : [ref];
  },
};
