import type { PackageRef } from '../package-ref.js';
import { baseName, makeRef, MiB, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';

const REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/;
const PINNED = /^===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)$/;

/**
 * requirements*.txt: only exact pins (`==`, `===`) give a version. Ranges, URLs and editable
 * installs are reported through `ctx.note` as of unknown version instead of being guessed.
 */
export const requirementsParser: InventoryParser = {
  name: 'requirements.txt',
  match: (path) => /^requirements[\w.-]*\.txt$/i.test(baseName(path)) && !path.includes('site-packages/'),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes, 16 * MiB);
    const out = new RefList();
    const unknown: string[] = [];
    // Backslash-newline continues a requirement (long --hash lists).
    const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
    for (const raw of logical) {
      // A comment starts at '#' at line start or after whitespace (URLs keep their #fragment).
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (line === '' || line.startsWith('-')) continue;
      const req = (line.split(';')[0] as string).replace(/\s--?[a-z][\w-]*(=\S*)?/g, '').trim();
      const m = REQUIREMENT.exec(req);
      if (m === null) {
        unknown.push(req);
        continue;
      }
      const name = m[1] as string;
      const spec = (m[3] ?? '').trim();
      const pin = PINNED.exec(spec);
      if (pin === null || (pin[1] as string).includes('*')) {
        unknown.push(spec === '' ? name : `${name} ${spec}`);
        continue;
      }
      out.add(makeRef('PyPI', name, pin[1] as string, path));
    }
    if (unknown.length > 0) {
      ctx?.note?.(`${path}: ${unknown.length} requirements not pinned with ==, version unknown: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`);
    }
    return out.refs;
  },
};
