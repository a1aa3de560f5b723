import type { PackageRef } from '../package-ref.js';
import { formatError, isRecord, makeRef, RefList, str, textOf, type InventoryParser, type ParseContext } from './parser-support.js';
import { yamlOf } from './yaml-support.js';

const REGISTRY_VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;

/** `name@range` → name; `alias@npm:real@range` → real. Scoped names keep their leading `@`. */
export function yarnSpecName(spec: string): string | undefined {
  const s = spec.trim().replace(/^"|"$/g, '');
  const aliased = s.indexOf('@npm:', 1);
  const target = aliased > 0 ? s.slice(aliased + 5) : s;
  const at = target.indexOf('@', 1);
  if (aliased > 0) return at > 0 ? target.slice(0, at) : target;
  return at > 0 ? target.slice(0, at) : undefined;
}

/** Splits a v1 entry header (`"a@^1", a@~1.2:`) into its specifiers, honouring quotes. */
function headerSpecs(line: string): string[] {
  const body = line.slice(0, -1);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of body) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

function parseV1(path: string, text: string, out: RefList, skipped: string[]): void {
  let name: string | undefined;
  let version: string | undefined;
  let resolved: string | undefined;
  const flush = (): void => {
    if (name !== undefined && version !== undefined) {
      const local = resolved !== undefined && /^(git|file:|link:|https?:\/\/github\.com\/)/.test(resolved);
      if (local || !REGISTRY_VERSION.test(version)) skipped.push(`${name}@${version}`);
      else out.add(makeRef('npm', name, version, path));
    }
    name = version = resolved = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '' || raw.startsWith('#')) continue;
    if (!raw.startsWith(' ')) {
      flush();
      if (!raw.endsWith(':')) continue;
      const specs = headerSpecs(raw);
      name = specs.length > 0 ? yarnSpecName(specs[0] as string) : undefined;
      continue;
    }
    // Only the entry's own two-space fields; deeper lines are its dependency lists.
    if (raw.startsWith('   ')) continue;
    const m = /^ {2}(version|resolved)\s+"?([^"]*)"?\s*$/.exec(raw);
    if (m === null) continue;
    if (m[1] === 'version') version = m[2];
    else resolved = m[2];
  }
  flush();
}

function parseBerry(path: string, text: string, out: RefList, skipped: string[]): void {
  const doc = yamlOf(path, text);
  if (!isRecord(doc)) throw formatError(path, 'yarn lockfile is not a mapping');
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(entry)) continue;
    const resolution = str(entry.resolution) ?? '';
    const version = entry.version === undefined ? undefined : String(entry.version);
    const m = /^((?:@[^/@]+\/)?[^@]+)@npm:(.+)$/.exec(resolution);
    if (m === null || version === undefined) {
      // workspace:, patch:, link:, portal:, git: name nothing in the registry (patches repeat their base).
      if (!/@(workspace|patch|link|portal|file|exec):/.test(resolution)) skipped.push(resolution || key);
      continue;
    }
    const name = m[1] as string;
    if (!REGISTRY_VERSION.test(version)) {
      skipped.push(`${name}@${version}`);
      continue;
    }
    out.add(makeRef('npm', name, version, path));
  }
}

/** yarn.lock: v1 (yarn classic's own format) or berry (YAML with `__metadata`). */
export const yarnLockParser: InventoryParser = {
  name: 'yarn.lock',
  match: (path) => /(^|\/)yarn\.lock$/.test(path) && !path.includes('node_modules/'),
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[] {
    const text = textOf(path, bytes);
    const out = new RefList();
    const skipped: string[] = [];
    if (/^__metadata:/m.test(text)) parseBerry(path, text, out, skipped);
    else parseV1(path, text, out, skipped);
    if (skipped.length > 0) ctx?.note?.(`${path}: ${skipped.length} non-registry entries not matched (e.g. ${skipped.slice(0, 3).join(', ')})`);
    return out.refs;
  },
};
