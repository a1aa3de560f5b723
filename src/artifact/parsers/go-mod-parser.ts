import type { PackageRef } from '../package-ref.js';
import { makeRef, MiB, RefList, textOf, type InventoryParser, type ParseContext } from './parser-support.js';

interface Replace {
  oldPath: string;
  oldVersion?: string;
  newPath: string;
  newVersion?: string;
}

function unquote(token: string): string {
  if ((token.startsWith('"') && token.endsWith('"')) || (token.startsWith('`') && token.endsWith('`'))) return token.slice(1, -1);
  return token;
}

function tokens(line: string): string[] {
  return (line.match(/"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g) ?? []).map(unquote);
}

function parseReplace(args: string[]): Replace | undefined {
  const arrow = args.indexOf('=>');
  if (arrow < 1 || arrow > 2 || args.length < arrow + 2) return undefined;
  const [oldPath, oldVersion] = args.slice(0, arrow);
  const [newPath, newVersion] = args.slice(arrow + 1);
  if (oldPath === undefined || newPath === undefined) return undefined;
  return { oldPath, newPath, ...(oldVersion !== undefined ? { oldVersion } : {}), ...(newVersion !== undefined ? { newVersion } : {}) };
}

/**
 * go.mod: `require` lines and blocks, with `replace` directives applied (a module replaced by a local
 * directory has no registry version and is reported as a note).
 */
export const goModParser: InventoryParser = {
  name: 'go.mod',
  match: (path) => /(^|\/)go\.mod$/.test(path) && !path.includes('/vendor/') && !path.startsWith('vendor/'),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes, 8 * MiB);
    const requires: [string, string][] = [];
    const replaces: Replace[] = [];
    let block: string | undefined;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (line === '') continue;
      if (block !== undefined) {
        if (line === ')') {
          block = undefined;
          continue;
        }
        const args = tokens(line);
        if (block === 'require' && args.length >= 2) requires.push([args[0] as string, args[1] as string]);
        if (block === 'replace') {
          const r = parseReplace(args);
          if (r !== undefined) replaces.push(r);
        }
        continue;
      }
      const [verb, ...args] = tokens(line);
      if (verb === undefined) continue;
      if (args[0] === '(' && args.length === 1) {
        block = verb;
        continue;
      }
      if (verb === 'require' && args.length >= 2) requires.push([args[0] as string, args[1] as string]);
      if (verb === 'replace') {
        const r = parseReplace(args);
        if (r !== undefined) replaces.push(r);
      }
    }
    const out = new RefList();
    const local: string[] = [];
    for (const [modPath, version] of requires) {
      const r = replaces.find((x) => x.oldPath === modPath && (x.oldVersion === undefined || x.oldVersion === version));
      if (r !== undefined && r.newVersion === undefined) {
        local.push(`${modPath} => ${r.newPath}`);
        continue;
      }
      const [p, v] = r !== undefined ? [r.newPath, r.newVersion as string] : [modPath, version];
      out.add(makeRef('Go', p, v, path));
    }
    if (local.length > 0) ctx?.note?.(`${path}: ${local.length} modules replaced by local directories, version unknown: ${local.slice(0, 5).join(', ')}`);
    return out.refs;
  },
};
