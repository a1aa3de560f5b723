import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrawlError } from '../../errors/trawl-error.js';

/** Our scripts are a few KiB; anything bigger is not one of them. */
const MAX_SCRIPT_BYTES = 64 * 1024;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

const cache = new Map<string, LuaScript>();

/**
 * Reads a .lua file kept beside this module's source. tsc does not copy .lua files into the build, so
 * the file is looked for next to the compiled module first (a build step may copy it there), then in
 * `src/queue/bullmq/` of the enclosing checkouts (the build mirrors the tree: <dist>/src/queue/bullmq).
 */
export function loadLuaScript(fileName: string): LuaScript {
  const hit = cache.get(fileName);
  if (hit !== undefined) return hit;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, fileName)];
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) candidates.push(join(dir, 'src', 'queue', 'bullmq', fileName));
  const path = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  if (path === undefined) {
    throw new TrawlError('TRAWL_E_QUEUE', `Lua script ${fileName} not found (looked in ${candidates.slice(0, 3).join(', ')}…); copy src/queue/bullmq/*.lua next to the compiled module`, { fileName });
  }
  if (statSync(path).size > MAX_SCRIPT_BYTES) throw new TrawlError('TRAWL_E_QUEUE', `Lua script ${path} is larger than ${MAX_SCRIPT_BYTES} bytes`, { path });
  const source = readFileSync(path, 'utf8');
  const script = { name: fileName, source, sha: createHash('sha1').update(source).digest('hex') };
  cache.set(fileName, script);
  return script;
}
