import type { PackageRef } from '../package-ref.js';
import { stanzas } from './dpkg-status-parser.js';
import { osvDistro, purlDistro } from './os-release-parser.js';
import { makeRef, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';

/**
 * lib/apk/db/installed: blank-line separated records of one-letter fields (P name, V version,
 * A arch, o origin). The origin is the aport (source package) Alpine's advisories name.
 */
export const apkInstalledParser: InventoryParser = {
  name: 'apk installed',
  match: (path) => /(^|!\/)lib\/apk\/db\/installed$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes);
    const out = new RefList();
    const os = ctx?.os;
    const distro = osvDistro(os);
    for (const stanza of stanzas(text)) {
      const f = new Map<string, string>();
      for (const line of stanza) if (line.length >= 2 && line[1] === ':' && !f.has(line[0] as string)) f.set(line[0] as string, line.slice(2));
      const name = f.get('P');
      const version = f.get('V');
      if (name === undefined || version === undefined) continue;
      const origin = f.get('o');
      out.add(
        makeRef('Alpine', name, version, path, {
          vendor: os?.id === 'alpine' || os === undefined ? 'alpine' : os.id,
          qualifiers: { arch: f.get('A'), distro: purlDistro(os) },
          ...(distro !== undefined ? { distro } : {}),
          ...(origin !== undefined ? { sourcePackage: { name: origin, version } } : {}),
        }),
      );
    }
    return out.refs;
  },
};
