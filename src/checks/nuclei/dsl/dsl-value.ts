/** Values of the DSL and the conversions nuclei applies (Go's fmt %v for strings, float64 numbers). */
export type DslValue = string | number | boolean | null | readonly DslValue[];

/** Results longer than this are refused: an expression cannot build unbounded strings. */
export const MAX_DSL_STRING = 4 << 20;

export function toDslString(v: DslValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `[${v.map(toDslString).join(' ')}]`;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

export function toDslNumber(v: DslValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    const n = /^0[xX][0-9a-fA-F]+$/.test(t) ? Number.parseInt(t, 16) : Number(t);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function dslEquals(a: DslValue, b: DslValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => dslEquals(x, (b as readonly DslValue[])[i]!));
  }
  return a === b;
}
