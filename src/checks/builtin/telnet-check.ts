/**
 * telnet-cleartext: a port that opens with Telnet option negotiation (IAC WILL/WONT/DO/DONT/SB,
 * RFC 854/855). Identification has no Telnet handshake (the cascade files such a banner as 'unknown'),
 * so the check opens one connection and only listens: nothing is sent, no negotiation is answered.
 */
import { isDialError } from '../../engines/identify/handshakes/handshake-connection.js';
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta, CheckTarget } from '../check.js';
import { makeFinding } from '../check.js';
import { connect, withCheckBudget } from '../check-io.js';
import { factsOf, str } from '../identity-facts.js';

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const VERBS: Readonly<Record<number, string>> = { 0xfb: 'WILL', 0xfc: 'WONT', 0xfd: 'DO', 0xfe: 'DONT' };
const OPTIONS: Readonly<Record<number, string>> = {
  0: 'BINARY', 1: 'ECHO', 3: 'SUPPRESS-GO-AHEAD', 5: 'STATUS', 6: 'TIMING-MARK', 24: 'TERMINAL-TYPE', 31: 'NAWS',
  32: 'TERMINAL-SPEED', 33: 'TOGGLE-FLOW-CONTROL', 34: 'LINEMODE', 35: 'X-DISPLAY-LOCATION', 36: 'ENVIRON',
  37: 'AUTHENTICATION', 38: 'ENCRYPT', 39: 'NEW-ENVIRON', 44: 'COM-PORT-OPTION',
};

export interface TelnetNegotiation {
  /** "DO TERMINAL-TYPE", "WILL ECHO", "SB TERMINAL-TYPE" ... in order, at most 32. */
  readonly commands: readonly string[];
  /** Printable text that came with the negotiation (a banner, a login prompt). */
  readonly text: string;
}

function option(n: number): string {
  return OPTIONS[n] ?? `OPTION-${n}`;
}

/**
 * The Telnet negotiation at the start of `buf`, or undefined when the bytes do not open with a
 * well-formed IAC command. Bounded: at most the first 1 KiB is read.
 */
export function parseTelnetNegotiation(buf: Buffer): TelnetNegotiation | undefined {
  const b = buf.subarray(0, 1024);
  if (b.length < 3 || b[0] !== IAC) return undefined;
  const commands: string[] = [];
  const text: number[] = [];
  let i = 0;
  while (i < b.length) {
    if (b[i] !== IAC) {
      text.push(b[i]!);
      i++;
      continue;
    }
    const cmd = b[i + 1];
    if (cmd === undefined) break;
    if (cmd === IAC) {
      text.push(IAC);
      i += 2;
    } else if (VERBS[cmd] !== undefined) {
      const opt = b[i + 2];
      if (opt === undefined) break;
      if (commands.length < 32) commands.push(`${VERBS[cmd]} ${option(opt)}`);
      i += 3;
    } else if (cmd === SB) {
      const opt = b[i + 2];
      if (opt === undefined) break;
      let end = -1;
      for (let j = i + 3; j + 1 < b.length; j++) {
        if (b[j] === IAC && b[j + 1] === SE) {
          end = j;
          break;
        }
      }
      if (end < 0) break;
      if (commands.length < 32) commands.push(`SB ${option(opt)}`);
      i = end + 2;
    } else if (cmd >= 0xf1 && cmd <= 0xf9) {
      i += 2; // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA
    } else {
      if (commands.length === 0) return undefined;
      break;
    }
  }
  if (commands.length === 0) return undefined;
  const printable = Buffer.from(text).toString('latin1').replace(/[^\x20-\x7e\r\n\t]/g, '').replace(/\r/g, '').trim();
  return { commands, text: printable.slice(0, 256) };
}

const TELNET_PORTS = new Set([23, 2323]);

/** What identification saw first, as printable text (bytes 0x80-0xff kept as Latin-1 characters). */
function bannerText(identity: ServiceIdentity): string | undefined {
  return str(factsOf(identity, 'banner')?.['text'], 512);
}

const meta: CheckMeta = {
  id: 'telnet-cleartext',
  title: 'Telnet service (cleartext remote login)',
  severity: 'medium',
  safe: true,
  traffic: 'requests',
  description:
    "Opens one connection and listens for the server's first bytes; fires when they are Telnet option negotiation (IAC WILL/WONT/DO/DONT/SB with a known structure). Applies to services named telnet, to unidentified banners that start with IAC, and to unidentified ports 23/2323. Sends nothing.",
  remediation: 'Replace Telnet with SSH; if a device cannot, restrict the port to a management network and disable the service where unused.',
  references: { cwe: ['CWE-319'], urls: ['https://www.rfc-editor.org/rfc/rfc854'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N',
};

export const telnetCleartext: Check = {
  ...meta,
  appliesTo(identity: ServiceIdentity, target: CheckTarget) {
    if (identity.name === 'telnet') return true;
    const banner = bannerText(identity);
    if (banner !== undefined && /^\u00ff[\u00fa-\u00fe]/.test(banner)) return true;
    return (identity.name === 'unknown' || identity.name === 'tcpwrapped') && TELNET_PORTS.has(target.port);
  },
  async run(target, identity, ctx) {
    return withCheckBudget(
      ctx,
      async (budget) => {
        const conn = await connect(target, ctx, budget);
        if (isDialError(conn)) return [];
        try {
          await conn.fill((b) => b.length >= 512);
          const n = parseTelnetNegotiation(conn.buffer);
          if (n === undefined) return [];
          return [
            makeFinding(meta, target, ctx.now(), {
              summary: `Telnet negotiation on connect: ${n.commands.slice(0, 4).join(', ')}`,
              confidence: 'certain',
              evidence: { first_bytes_hex: conn.buffer.subarray(0, 48).toString('hex'), negotiation: [...n.commands], ...(n.text !== '' ? { text: n.text } : {}), identified_as: identity.name },
            }),
          ];
        } finally {
          conn.close();
        }
      },
      { idleMs: 1000, maxResponseBytes: 1024 },
    );
  },
};
