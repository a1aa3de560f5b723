import { constants } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { handleEntry, type ChunkSink, type EntrySource, type WalkScope } from './entry-handler.js';

const MAX_DIR_DEPTH = 128;

/**
 * An unpacked package or root filesystem on disk. Only regular files are read; symlinks are recorded
 * (readlink) and resolved inside the tree by the overlay, never by the OS, so a link to /etc/shadow
 * on the scanning host is just a string. FIFOs and devices are skipped (opening one could block).
 */
export async function walkDirectory(root: string, scope: WalkScope): Promise<void> {
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    const dir = await opendir(rel === '' ? root : join(root, rel));
    for await (const dirent of dir) {
      const childRel = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      const abs = join(root, childRel);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        scope.guard.entry(childRel, 0);
        if (depth + 1 > MAX_DIR_DEPTH) {
          throw scope.guard.limit(`directory tree deeper than ${MAX_DIR_DEPTH} levels at ${childRel}`, { entry: childRel, limit: 'depth' });
        }
        stack.push({ rel: childRel, depth: depth + 1 });
      } else if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        await handleEntry(scope, { rawName: childRel, type: 'symlink', size: 0, linkName: target, async pump() {} });
      } else if (st.isFile()) {
        await handleEntry(scope, fileSource(childRel, abs, st.size, st.mode & 0o7777));
      }
    }
  }
}

export function fileSource(rawName: string, abs: string, size: number, mode?: number): EntrySource {
  return {
    rawName,
    type: 'file',
    size,
    ...(mode !== undefined ? { mode } : {}),
    filePath: abs,
    async pump(sink: ChunkSink): Promise<void> {
      // O_NOFOLLOW: a file swapped for a symlink after lstat is not followed.
      const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
      const stream = fh.createReadStream({ highWaterMark: 1 << 20 });
      try {
        for await (const chunk of stream) if (!(await sink(chunk as Buffer))) break;
      } finally {
        stream.destroy();
      }
    },
  };
}
