/**
 * Scoring scanner output against a field's ground truth: the set of open (ip, port) pairs each
 * tool reports, compared with the set the field really has open.
 */

/** `ip:port` keys, the unit of comparison. */
export type PairSet = Set<string>;

export interface Score {
  /** Open pairs in the truth (limited to the scanned ports). */
  readonly truth: number;
  /** Open pairs the tool reported (limited to the scanned ports). */
  readonly found: number;
  /** Reported pairs that are really open. */
  readonly correct: number;
  readonly recall: number;
  readonly precision: number;
}

const MAX_INPUT = 256 * 1024 * 1024;

function bounded(text: string): string {
  if (text.length > MAX_INPUT) throw new Error(`scanner output is larger than ${MAX_INPUT} characters`);
  return text;
}

const key = (ip: string, port: number): string => `${ip}:${port}`;

/**
 * Trawl's -oJ output: JSON lines with `ip`, `port` and `state` (lines that are not objects, or whose
 * state is not "open", are skipped). A single JSON array of such objects is accepted too.
 */
export function parseJsonLines(text: string): PairSet {
  const out: PairSet = new Set();
  const take = (o: unknown): void => {
    if (typeof o !== 'object' || o === null) return;
    const r = o as Record<string, unknown>;
    if (typeof r['ip'] === 'string' && typeof r['port'] === 'number' && (r['state'] === undefined || r['state'] === 'open')) {
      out.add(key(r['ip'], r['port']));
    }
  };
  const t = bounded(text).trim();
  if (t.startsWith('[')) {
    const arr = JSON.parse(t) as unknown;
    if (Array.isArray(arr)) arr.forEach(take);
    return out;
  }
  for (const line of t.split('\n')) {
    const l = line.trim();
    if (!l.startsWith('{')) continue;
    try {
      take(JSON.parse(l));
    } catch {
      // a torn last line of an interrupted run
    }
  }
  return out;
}

/** nmap -oX: every <port> whose <state state="open"> sits in a <host> with an IPv4 <address>. */
export function parseNmapXml(text: string): PairSet {
  const out: PairSet = new Set();
  // `<host ` or `<host>` only: nmap also writes <hosthint>, <hostnames> and <hosts>.
  for (const h of bounded(text).matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const body = h[0];
    const ip = /<address\s+addr="([^"]+)"\s+addrtype="ipv4"/.exec(body)?.[1];
    if (ip === undefined) continue;
    for (const m of body.matchAll(/<port\s+protocol="tcp"\s+portid="(\d+)"\s*>\s*<state\s+state="([a-z|]+)"/g)) {
      if (m[2] === 'open') out.add(key(ip, Number(m[1])));
    }
  }
  return out;
}

/** masscan -oL: lines `open tcp <port> <ip> <timestamp>`. */
export function parseMasscanList(text: string): PairSet {
  const out: PairSet = new Set();
  for (const line of bounded(text).split('\n')) {
    const m = /^open\s+tcp\s+(\d+)\s+(\d+\.\d+\.\d+\.\d+)\b/.exec(line.trim());
    if (m) out.add(key(m[2] as string, Number(m[1])));
  }
  return out;
}

export function truthPairs(open: Readonly<Record<string, readonly number[]>>, ports?: ReadonlySet<number>): PairSet {
  const out: PairSet = new Set();
  for (const [ip, ps] of Object.entries(open)) for (const p of ps) if (!ports || ports.has(p)) out.add(key(ip, p));
  return out;
}

/** Recall and precision of `found` against `truth`, both limited to `ports` when given. */
export function scorePairs(truth: PairSet, found: PairSet, ports?: ReadonlySet<number>): Score {
  const inScope = (k: string): boolean => !ports || ports.has(Number(k.slice(k.lastIndexOf(':') + 1)));
  const t = [...truth].filter(inScope);
  const f = [...found].filter(inScope);
  const truthSet = new Set(t);
  const correct = f.filter((k) => truthSet.has(k)).length;
  return {
    truth: t.length,
    found: f.length,
    correct,
    recall: t.length === 0 ? 1 : correct / t.length,
    precision: f.length === 0 ? (t.length === 0 ? 1 : 0) : correct / f.length,
  };
}
