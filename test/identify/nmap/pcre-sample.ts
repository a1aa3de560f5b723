import { setHas, type PcreNode } from '../../../src/engines/identify/nmap/pcre-ast.js';
import { mulberry32 } from '../../../src/lab/lab-random.js';

/** Small seeded PRNG (mulberry32) so differential and fuzz runs are reproducible. */
export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): string;
}

export function rng(seed: number): Rng {
  const next = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    bytes: (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(next() < 0.7 ? 0x20 + int(95) : int(256));
      return s;
    },
  };
}

const MAX_SAMPLE = 400;

/**
 * A string the pattern is likely to match: walks the AST choosing branches, repetition counts and
 * set members at random. Lookarounds are ignored, so some samples will not match — which is fine:
 * the point is subjects that exercise the pattern's paths, judged by real PCRE.
 */
export function samplePattern(root: PcreNode, r: Rng): string {
  const caps = new Map<number, string>();
  let budget = MAX_SAMPLE;
  const walk = (n: PcreNode, depth: number): string => {
    if (budget <= 0 || depth > 60) return '';
    switch (n.type) {
      case 'empty':
      case 'assert':
        return '';
      case 'seq':
        return n.items.map((i) => walk(i, depth + 1)).join('');
      case 'alt':
        return walk(r.pick(n.branches), depth + 1);
      case 'char': {
        budget--;
        let c = n.code;
        if (n.caseless && r.next() < 0.5) c ^= 0x20;
        return String.fromCharCode(c);
      }
      case 'set': {
        budget--;
        const members: number[] = [];
        const nice: number[] = [];
        for (let c = 0; c < 256; c++) {
          if (!setHas(n.bits, c)) continue;
          members.push(c);
          if (c >= 0x20 && c < 0x7f) nice.push(c);
        }
        if (members.length === 0) return '';
        return String.fromCharCode(nice.length > 0 && r.next() < 0.8 ? r.pick(nice) : r.pick(members));
      }
      case 'newline-seq':
        budget--;
        return r.pick(['\r\n', '\n', '\r', '\x0b', '\x0c', '\x85']);
      case 'backref':
        return caps.get(n.index) ?? '';
      case 'group': {
        if (n.kind.includes('look')) return '';
        const s = walk(n.body, depth + 1);
        if (n.kind === 'capture') caps.set(n.index!, s);
        return s;
      }
      case 'quant': {
        const hi = n.max === Infinity ? n.min + 4 : Math.min(n.max, n.min + 4);
        const count = n.min + r.int(hi - n.min + 1);
        let s = '';
        for (let i = 0; i < count && budget > 0; i++) s += walk(n.body, depth + 1);
        return s;
      }
    }
  };
  return walk(root, 0);
}
