import { joinLinkTarget } from './entry-path.js';

/**
 * The final filesystem of a layered artifact, holding only what parsers asked for (file bytes) and
 * every symlink. Layers are applied in order with the OCI whiteout rules; a plain archive is one
 * layer. Keys are full paths, nested archive members included (`lib/a.jar!/META-INF/...`), so
 * deleting `lib/a.jar` deletes its members too.
 */
export interface OverlayFile {
  kind: 'file';
  layer: number;
  size: number;
  data: Buffer;
  partial: boolean;
}

export interface OverlayLink {
  kind: 'symlink';
  layer: number;
  target: string;
}

export type OverlayNode = OverlayFile | OverlayLink;

export interface ResolvedFile {
  path: string;
  node: OverlayFile;
  linkTarget?: string;
}

const MAX_LINK_HOPS = 40;

export class OverlayFs {
  private readonly nodes = new Map<string, OverlayNode>();
  private readonly ancestors = new Map<string, number>();

  constructor(private readonly onRelease: (bytes: number) => void = () => undefined) {}

  get size(): number {
    return this.nodes.size;
  }

  clear(): void {
    for (const [key, node] of this.nodes) this.delete(key, node);
  }

  get(path: string): OverlayNode | undefined {
    return this.nodes.get(path);
  }

  /** A regular file (held or not) written at `path` by `layer`: it hides whatever lower layers had there. */
  replace(path: string, layer: number): void {
    this.remove(path, layer, true);
  }

  setFile(path: string, layer: number, size: number, data: Buffer, partial: boolean): void {
    this.remove(path, layer + 1, true);
    this.put(path, { kind: 'file', layer, size, data, partial });
  }

  setLink(path: string, layer: number, target: string): void {
    this.remove(path, layer + 1, true);
    this.put(path, { kind: 'symlink', layer, target });
  }

  /** `.wh.<name>`: delete `path` and everything under it from lower layers. */
  whiteout(path: string, layer: number): void {
    this.remove(path, layer, true);
  }

  /** `.wh..wh..opq`: hide everything lower layers put under `dir` (the directory itself stays). */
  opaque(dir: string, layer: number): void {
    this.remove(dir, layer, false);
  }

  /** Removes nodes from layers below `belowLayer` at `path` (when `self`) and beneath it. */
  private remove(path: string, belowLayer: number, self: boolean): void {
    if (self) {
      const node = this.nodes.get(path);
      if (node !== undefined && node.layer < belowLayer) this.delete(path, node);
    }
    // Most entries have nothing beneath them: skip the scan unless an ancestor count says otherwise.
    if (!this.ancestors.has(path) && !this.ancestors.has(`${path}!`) && path !== '') return;
    const dirPrefix = path === '' ? '' : `${path}/`;
    const nestPrefix = `${path}!/`;
    for (const [key, node] of this.nodes) {
      if (node.layer >= belowLayer) continue;
      if (key.startsWith(dirPrefix) || key.startsWith(nestPrefix)) this.delete(key, node);
    }
  }

  private put(path: string, node: OverlayNode): void {
    if (!this.nodes.has(path)) this.count(path, 1);
    this.nodes.set(path, node);
  }

  private delete(path: string, node: OverlayNode): void {
    if (node.kind === 'file') this.onRelease(node.data.length);
    this.nodes.delete(path);
    this.count(path, -1);
  }

  /** Ancestor prefixes of every key ('a', 'a/b', 'a/b/x.jar!'), counted, for the fast path above. */
  private count(path: string, delta: number): void {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const prefix = path.slice(0, i);
      const n = (this.ancestors.get(prefix) ?? 0) + delta;
      if (n <= 0) this.ancestors.delete(prefix);
      else this.ancestors.set(prefix, n);
    }
  }

  /**
   * Follows symlinks along every component of `path`, never leaving the root: undefined when the
   * walk escapes, loops, or ends nowhere.
   */
  resolve(path: string): string | undefined {
    let pending = path.split('/');
    let done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const seg = pending.shift() as string;
      const here = [...done, seg].join('/');
      const node = this.nodes.get(here);
      if (node?.kind === 'symlink') {
        if (++hops > MAX_LINK_HOPS) return undefined;
        const joined = joinLinkTarget(here, node.target);
        if (joined === undefined) return undefined;
        pending = [...joined.split('/').filter((s) => s !== ''), ...pending];
        done = [];
        continue;
      }
      done.push(seg);
    }
    return done.join('/');
  }

  /** Held files, and symlinks the selector wanted that resolve to held files, sorted by path. */
  files(wantLink: (path: string) => boolean): ResolvedFile[] {
    const out: ResolvedFile[] = [];
    for (const [path, node] of this.nodes) {
      if (node.kind === 'file') {
        out.push({ path, node });
      } else if (wantLink(path)) {
        const target = this.resolve(path);
        const t = target === undefined ? undefined : this.nodes.get(target);
        if (t?.kind === 'file' && target !== undefined) out.push({ path, node: t, linkTarget: target });
      }
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  links(): { path: string; target: string }[] {
    const out: { path: string; target: string }[] = [];
    for (const [path, node] of this.nodes) if (node.kind === 'symlink') out.push({ path, target: node.target });
    return out;
  }
}
