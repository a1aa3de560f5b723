import type { PackageRef } from '../package-ref.js';
import { makeRef, MiB, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';

/**
 * Gemfile.lock: the `GEM` section's `specs:` at four-space indent, `name (version[-platform])`.
 * GIT and PATH sections are not rubygems.org and are noted. Gem versions cannot contain '-', so the
 * first '-' starts the platform (nokogiri (1.15.5-x86_64-linux)).
 */
export const gemfileLockParser: InventoryParser = {
  name: 'Gemfile.lock',
  match: (path) => /(^|\/)(Gemfile|gems\.rb)\.lock$/.test(path) || /(^|\/)gems\.locked$/.test(path),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes, 16 * MiB);
    const out = new RefList();
    const other: string[] = [];
    let section = '';
    let inSpecs = false;
    for (const line of text.split(/\r?\n/)) {
      if (line === '') continue;
      if (!line.startsWith(' ')) {
        section = line.trim();
        inSpecs = false;
        continue;
      }
      if (/^ {2}specs:\s*$/.test(line)) {
        inSpecs = true;
        continue;
      }
      if (/^ {2}\S/.test(line)) {
        inSpecs = false;
        continue;
      }
      const m = /^ {4}([^\s(]+) \(([^)\s]+)\)\s*$/.exec(line);
      if (!inSpecs || m === null) continue;
      const name = m[1] as string;
      const [version, platform] = (m[2] as string).split(/-(.*)/s) as [string, string | undefined];
      if (section !== 'GEM') {
        other.push(`${name} (${section})`);
        continue;
      }
      out.add(makeRef('RubyGems', name, version, path, platform !== undefined && platform !== '' ? { qualifiers: { platform } } : {}));
    }
    if (other.length > 0) ctx?.note?.(`${path}: ${other.length} gems from git/path sources not matched: ${other.slice(0, 5).join(', ')}`);
    return out.refs;
  },
};
