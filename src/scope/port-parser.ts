/**
 * Port specifications in nmap's syntax: `22,80,443,8000-8100`, `-` (all ports, for `-p-`), open ends
 * (`-1024`, `60000-`) and a tolerated `T:` prefix. Only TCP is scanned, so `U:`/`S:` are refused
 * rather than silently ignored. Result: sorted, unique port numbers.
 */
import { TrawlError } from '../errors/index.js';

/** A full list of 65535 single ports written out is < 400 KB; anything bigger is not a port list. */
const MAX_SPEC_LENGTH = 512 * 1024;

export function parsePorts(spec: string): number[] {
  const shown = spec.length > 80 ? `${spec.slice(0, 77)}...` : spec;
  const bad = (token: string, reason: string): TrawlError =>
    new TrawlError('TRAWL_E_BAD_PORTS', `invalid port specification "${shown}": ${reason}`, { value: shown, token });
  if (spec.length > MAX_SPEC_LENGTH) throw bad('', `longer than ${MAX_SPEC_LENGTH} characters`);
  if (spec.trim().length === 0) throw bad('', 'empty port list');
  const seen = new Uint8Array(65536);
  for (const rawToken of spec.split(',')) {
    let token = rawToken.trim();
    if (/^[A-Za-z]:/.test(token)) {
      const proto = token[0]?.toUpperCase();
      if (proto !== 'T') throw bad(token, `"${token}": only TCP ports (T:) are supported`);
      token = token.slice(2).trim();
    }
    if (token.length === 0) throw bad(rawToken, 'empty entry (stray comma?)');
    const dash = token.indexOf('-');
    let lo: number;
    let hi: number;
    if (dash === -1) {
      lo = hi = port(token, token, bad);
    } else {
      const a = token.slice(0, dash).trim();
      const b = token.slice(dash + 1).trim();
      lo = a === '' ? 1 : port(a, token, bad);
      hi = b === '' ? 65535 : port(b, token, bad);
      if (hi < lo) throw bad(token, `reversed range "${token}" (${hi} < ${lo})`);
    }
    seen.fill(1, lo, hi + 1);
  }
  const out: number[] = [];
  for (let p = 1; p <= 65535; p++) if (seen[p] === 1) out.push(p);
  return out;
}

function port(text: string, token: string, bad: (token: string, reason: string) => TrawlError): number {
  if (!/^[0-9]+$/.test(text)) throw bad(token, `"${text}" is not a port number`);
  const n = text.length > 6 ? Infinity : Number(text);
  if (n < 1 || n > 65535) throw bad(token, `port ${text} is outside 1-65535`);
  return n;
}
