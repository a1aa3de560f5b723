import type { PackageRef } from '../package-ref.js';
import { osvDistro, purlDistro } from './os-release-parser.js';
import { makeRef, parseHeaderBlock, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';

/** Splits a Debian control-style file into stanzas of header lines. */
export function stanzas(text: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (cur.length > 0) out.push(cur);
      cur = [];
    } else cur.push(line);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * var/lib/dpkg/status, and the one-stanza-per-file var/lib/dpkg/status.d/* of distroless images.
 * Each binary package carries its source package (`Source: openssl` or `Source: glibc (2.36-9)`),
 * which is what Debian's advisories name.
 */
export const dpkgStatusParser: InventoryParser = {
  name: 'dpkg status',
  match: (path) => /(^|!\/)var\/lib\/dpkg\/status$/.test(path) || (/(^|!\/)var\/lib\/dpkg\/status\.d\/[^/]+$/.test(path) && !/\.(md5sums|list|conffiles)$/.test(path)),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes);
    const out = new RefList();
    const os = ctx?.os;
    const vendor = os !== undefined && (os.id === 'debian' || os.like.includes('debian')) ? os.id : 'debian';
    const distro = osvDistro(os);
    for (const stanza of stanzas(text)) {
      const h = parseHeaderBlock(stanza);
      const name = h.get('Package');
      const version = h.get('Version');
      const status = h.get('Status');
      if (name === undefined || version === undefined) continue;
      // Removed packages linger as "deinstall ok config-files"; only installed ones count.
      if (status !== undefined && !/\binstalled$/.test(status.trim())) continue;
      const src = /^(\S+)(?:\s+\((\S+)\))?$/.exec(h.get('Source') ?? '');
      const sourcePackage = { name: src?.[1] ?? name, version: src?.[2] ?? version };
      out.add(
        makeRef('Debian', name, version, path, {
          vendor,
          qualifiers: { arch: h.get('Architecture'), distro: purlDistro(os) },
          ...(distro !== undefined ? { distro } : {}),
          sourcePackage,
        }),
      );
    }
    return out.refs;
  },
};
