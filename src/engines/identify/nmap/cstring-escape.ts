/**
 * C-style escapes as nmap-service-probes uses them in probe strings and $SUBST arguments (nmap's
 * cstring_unescape): \0 \a \b \f \n \r \t \v \\ and \xHH (exactly two hex digits). Input and output
 * are Latin-1 strings (one char per byte).
 */

const SIMPLE: Record<string, number> = { '0': 0, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };

export type UnescapeResult = { readonly ok: true; readonly bytes: Uint8Array; readonly unknown: readonly string[] } | { readonly ok: false; readonly reason: string };

/** Unknown escapes (`\q`) keep the escaped character and are listed in `unknown`. */
export function cstringUnescape(text: string): UnescapeResult {
  const out: number[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      out.push(c & 0xff);
      continue;
    }
    const e = text[++i];
    if (e === undefined) return { ok: false, reason: 'backslash at end of string' };
    const simple = SIMPLE[e];
    if (simple !== undefined) out.push(simple);
    else if (e === 'x') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: `\\x must be followed by two hex digits (got "${hex}")` };
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      unknown.push(`\\${e}`);
      out.push(e.charCodeAt(0) & 0xff);
    }
  }
  return { ok: true, bytes: Uint8Array.from(out), unknown };
}
