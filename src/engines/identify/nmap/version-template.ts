import { cstringUnescape } from './cstring-escape.js';
import type { VersionTemplates } from './probe-database.js';

/**
 * nmap's version-template substitution (service_scan.cc dotmplsubst/substvar): `$1`..`$9`,
 * `$P(n)` (printable bytes only), `$SUBST(n,"from","to")`, `$I(n,">")` / `$I(n,"<")` (unsigned
 * big/little-endian integer of at most 8 bytes). Results are cut at a NUL like nmap's C strings,
 * trailing whitespace and commas are trimmed, and a field that fails (unknown command, group not
 * matched, longer than nmap's fixed buffer) is left out — exactly what nmap prints.
 *
 * `captures[0]` is the whole match; `captures[n]` group n (undefined when it did not participate).
 * Strings are Latin-1: one char per byte.
 */

export type Captures = readonly (string | undefined)[];

export interface VersionFields {
  readonly product?: string;
  readonly version?: string;
  readonly info?: string;
  readonly hostname?: string;
  readonly ostype?: string;
  readonly devicetype?: string;
  /** CPE 2.2 URIs (`cpe:/a:...`), at most one per part (a, h, o), in that order. */
  readonly cpe: readonly string[];
}

/** nmap's MatchDetails buffer sizes (bytes, NUL included). */
const FIELD_LIMITS = { product: 80, version: 80, info: 256, hostname: 80, ostype: 32, devicetype: 32 } as const;
const CPE_LIMIT = 80;

interface Arg {
  readonly kind: 'int' | 'string';
  readonly int?: number;
  readonly str?: string;
}

/** strtol(s, &end, 0): optional sign, 0x hex, leading-0 octal, decimal. */
function cStrtol(s: string, pos: number): { value: number; end: number } | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9]\d*)/.exec(s.slice(pos, pos + 40));
  if (!m) return undefined;
  const body = m[2]!;
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : Number(body);
  return { value: m[1] === '-' ? -v : v, end: pos + m[0].length };
}

/** Arguments of `$CMD(` starting at `pos` (just after the paren). */
function parseArgs(t: string, pos: number): { args: Arg[]; end: number } | undefined {
  const args: Arg[] = [];
  while (pos < t.length && t[pos] !== ')') {
    while (pos < t.length && /\s/.test(t[pos]!)) pos++;
    if (t[pos] === ')') break;
    if (args.length === 5) return undefined;
    if (t[pos] === '"') {
      let raw = '';
      pos++;
      while (pos < t.length) {
        if (t[pos] === '"' && (t[pos - 1] !== '\\' || t[pos - 2] === '\\')) break;
        raw += t[pos];
        pos++;
      }
      if (raw.length >= 127) return undefined;
      const un = cstringUnescape(raw);
      if (!un.ok) return undefined;
      args.push({ kind: 'string', str: Buffer.from(un.bytes).toString('latin1') });
      pos++;
    } else {
      const n = cStrtol(t, pos);
      if (!n) return undefined;
      args.push({ kind: 'int', int: n.value });
      pos = n.end;
    }
    const next = t.slice(pos).search(/[,)]/);
    if (next === -1) return undefined;
    pos += next;
    if (t[pos] === ',') pos++;
  }
  if (t[pos] === ')') pos++;
  return { args, end: pos };
}

function groupText(captures: Captures, n: number): string | undefined {
  // nmap: the group number must be 1-9 and below pcre_exec's return (highest set group + 1).
  if (n < 1 || n > 9) return undefined;
  let rc = 0;
  for (let i = captures.length - 1; i >= 0; i--) {
    if (captures[i] !== undefined) {
      rc = i + 1;
      break;
    }
  }
  if (n >= rc) return undefined;
  return captures[n] ?? '';
}

function printable(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) out += s[i];
  }
  return out;
}

function substVar(t: string, pos: number, captures: Captures): { text: string; end: number } | undefined {
  // t[pos] === '$'
  pos++;
  const c = t[pos];
  if (c !== undefined && c >= '0' && c <= '9') {
    const g = groupText(captures, Number(c));
    return g === undefined ? undefined : { text: g, end: pos + 1 };
  }
  const paren = t.indexOf('(', pos);
  if (paren === -1) return undefined;
  const cmd = t.slice(pos, paren);
  if (cmd.length === 0 || cmd.length >= 16) return undefined;
  const parsed = parseArgs(t, paren + 1);
  if (!parsed || parsed.args.length === 0) return undefined;
  const { args, end } = parsed;
  const a0 = args[0]!;
  if (a0.kind !== 'int') return undefined;
  const g = groupText(captures, a0.int!);
  if (g === undefined) return undefined;
  if (cmd === 'P') {
    if (args.length !== 1) return undefined;
    return { text: printable(g), end };
  }
  if (cmd === 'SUBST') {
    const [, from, to] = args;
    if (args.length !== 3 || from?.kind !== 'string' || to?.kind !== 'string') return undefined;
    // An empty search string would loop forever in nmap; here it replaces nothing.
    return { text: from.str === '' ? g : g.split(from.str!).join(to.str!), end };
  }
  if (cmd === 'I') {
    const order = args[1];
    if (args.length !== 2 || order?.kind !== 'string' || order.str!.length !== 1) return undefined;
    if (g.length > 8) return undefined;
    if (order.str !== '>' && order.str !== '<') return undefined;
    const bytes = [...g].map((ch) => BigInt(ch.charCodeAt(0) & 0xff));
    if (order.str === '<') bytes.reverse();
    let v = 0n;
    for (const b of bytes) v = (v << 8n) | b;
    return { text: v.toString(), end };
  }
  return undefined;
}

/** nmap's transform_cpe: lower-case, spaces to `_`, reserved and other bytes percent-encoded. */
export function cpeEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (':/?#[]@!$&\'()*+,;=%<>"'.includes(ch)) out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (ch === ' ') out += '_';
    else if (/[A-Za-z0-9._~-]/.test(ch)) out += ch.toLowerCase();
    else out += `%${(c & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Expands one template; undefined when nmap would fail the field. `limit` is nmap's buffer size
 * (the result must stay below it), `transform` applies to substituted text only (CPE escaping).
 */
export function expandTemplate(template: string, captures: Captures, limit = 256, transform?: (s: string) => string): string | undefined {
  let out = '';
  let pos = 0;
  while (pos < template.length) {
    const dollar = template.indexOf('$', pos);
    if (dollar === -1) {
      out += template.slice(pos);
      break;
    }
    out += template.slice(pos, dollar);
    const sub = substVar(template, dollar, captures);
    if (!sub) return undefined;
    let text = sub.text;
    const nul = text.indexOf('\0');
    if (nul !== -1) text = text.slice(0, nul);
    out += transform ? transform(text) : text;
    pos = sub.end;
  }
  out = out.replace(/[\s,]+$/, '');
  if (out.length >= limit - 1) return undefined;
  return out;
}

/** Fills all fields of a match line's templates from the captures. */
export function applyVersionTemplates(templates: VersionTemplates, captures: Captures): VersionFields {
  const fields: { -readonly [K in keyof Omit<VersionFields, 'cpe'>]?: string } = {};
  const keys = ['product', 'version', 'info', 'hostname', 'ostype', 'devicetype'] as const;
  for (const k of keys) {
    const t = templates[k];
    if (t === undefined) continue;
    const v = expandTemplate(t, captures, FIELD_LIMITS[k]);
    if (v) fields[k] = v;
  }
  const byPart = new Map<string, string>();
  for (const c of templates.cpe) {
    const part = c.template[0];
    if (part !== 'a' && part !== 'h' && part !== 'o') continue;
    const v = expandTemplate(c.template, captures, CPE_LIMIT - 5, cpeEscape);
    if (v) byPart.set(part, `cpe:/${v}`);
  }
  const cpe = ['a', 'h', 'o'].flatMap((p) => (byPart.has(p) ? [byPart.get(p)!] : []));
  return { ...fields, cpe };
}
