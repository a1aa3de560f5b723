/**
 * Client-side checks for the daemon lab test. Runs INSIDE the lab's namespace
 * (`ip netns exec <ns> node daemon-lab-probe.js '<json probes>'`), performs every probe in parallel
 * and prints one JSON object {id: result}. Targets must be loopback addresses: the namespace has
 * nothing else, and this refuses anything else anyway.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type SecureVersion, type TLSSocket } from 'node:tls';

export type Probe =
  | { id: string; kind: 'connect'; ip: string; port: number }
  | { id: string; kind: 'http'; ip: string; port: number; path: string; tls?: boolean }
  | {
      id: string;
      kind: 'tls';
      ip: string;
      port: number;
      min: SecureVersion;
      max: SecureVersion;
      /** PEM file of a CA to verify against; without it the chain is not required to verify. */
      ca?: string;
      servername?: string;
      starttls?: 'smtp' | 'ftp';
    }
  /** A line-oriented dialogue: for each step, optionally send, then read until `until` (a regex, m flag) matches. */
  | { id: string; kind: 'dialog'; ip: string; port: number; steps: Array<{ send?: string; until: string }> }
  | { id: string; kind: 'mqtt'; ip: string; port: number; user?: string; password?: string }
  | { id: string; kind: 'smb1'; ip: string; port: number }
  | { id: string; kind: 'smb2'; ip: string; port: number }
  | { id: string; kind: 'ssh'; ip: string; port: number };

const TIMEOUT_MS = 5_000;
const MAX_BYTES = 64 * 1024;

function open(ip: string, port: number): Promise<Socket> {
  if (!ip.startsWith('127.')) return Promise.reject(new Error(`refusing non-loopback ${ip}`));
  return new Promise((resolve, reject) => {
    const s = connect({ host: ip, port });
    s.setTimeout(TIMEOUT_MS, () => s.destroy(new Error('timeout')));
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `done(buffer)` or the socket ends/times out; returns what came (bounded). */
function readUntil(s: Socket, done: (b: Buffer) => boolean, carry: Buffer[] = []): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.concat(carry);
    carry.length = 0;
    const finish = (): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', finish);
      s.off('error', finish);
      resolve(buf);
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]).subarray(0, MAX_BYTES);
      if (done(buf) || buf.length >= MAX_BYTES) finish();
    };
    const timer = setTimeout(finish, TIMEOUT_MS);
    if (done(buf)) return finish();
    s.on('data', onData);
    s.once('close', finish);
    s.once('error', finish);
  });
}

const textUntil = (re: string) => (b: Buffer): boolean => new RegExp(re, 'm').test(b.toString('latin1'));

async function dialog(p: Extract<Probe, { kind: 'dialog' }>): Promise<{ replies: string[] }> {
  const s = await open(p.ip, p.port);
  const replies: string[] = [];
  try {
    for (const step of p.steps) {
      if (step.send !== undefined) s.write(step.send);
      replies.push((await readUntil(s, textUntil(step.until))).toString('latin1'));
    }
  } finally {
    s.destroy();
  }
  return { replies };
}

async function startTls(s: Socket, mode: 'smtp' | 'ftp'): Promise<string> {
  const said: string[] = [];
  const step = async (send: string | undefined, until: string): Promise<string> => {
    if (send !== undefined) s.write(send);
    const r = (await readUntil(s, textUntil(until))).toString('latin1');
    said.push(r);
    return r;
  };
  if (mode === 'smtp') {
    await step(undefined, '^220 ');
    await step('EHLO probe.dlab.trawl.test\r\n', '^250 ');
    const r = await step('STARTTLS\r\n', '^\\d{3} ');
    if (!r.startsWith('220')) throw new Error(`STARTTLS refused: ${r.trim()}`);
  } else {
    await step(undefined, '^220 ');
    const r = await step('AUTH TLS\r\n', '^\\d{3} ');
    if (!r.startsWith('234')) throw new Error(`AUTH TLS refused: ${r.trim()}`);
  }
  s.removeAllListeners('data');
  return said.join('');
}

async function tls(p: Extract<Probe, { kind: 'tls' }>): Promise<Record<string, unknown>> {
  const plain = await open(p.ip, p.port);
  try {
    if (p.starttls !== undefined) await startTls(plain, p.starttls);
    const t: TLSSocket = await new Promise((resolve, reject) => {
      const sock = tlsConnect({
        socket: plain,
        minVersion: p.min,
        maxVersion: p.max,
        // SECLEVEL 0 lets this client speak TLS 1.0/1.1 at all; the server decides what it accepts.
        ciphers: 'ALL:@SECLEVEL=0',
        rejectUnauthorized: false,
        ...(p.ca !== undefined ? { ca: readFileSync(p.ca) } : {}),
        ...(p.servername !== undefined ? { servername: p.servername } : {}),
      });
      sock.once('secureConnect', () => resolve(sock));
      sock.once('error', reject);
    });
    const cert = t.getPeerCertificate();
    const out = {
      ok: true,
      protocol: t.getProtocol(),
      cipher: t.getCipher().name,
      authorized: t.authorized,
      authorizationError: t.authorizationError === null ? null : String(t.authorizationError),
      subjectCN: cert.subject?.CN ?? null,
      issuerCN: cert.issuer?.CN ?? null,
      validTo: cert.valid_to ?? null,
    };
    t.destroy();
    return out;
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    plain.destroy();
  }
}

function http(p: Extract<Probe, { kind: 'http' }>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const req = (p.tls === true ? httpsRequest : httpRequest)(
      { host: p.ip, port: p.port, path: p.path, method: 'GET', headers: { host: 'dlab.trawl.test' }, rejectUnauthorized: false, timeout: TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body = (body + d).slice(0, 4_096)));
        res.on('end', () => resolve({ ok: true, status: res.statusCode, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.end();
  });
}

function mqttConnect(user?: string, password?: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  let flags = 0x02; // clean session
  if (user !== undefined) flags |= 0x80;
  if (password !== undefined) flags |= 0x40;
  const variable = Buffer.concat([str('MQTT'), Buffer.from([0x04, flags, 0x00, 0x3c])]);
  const payload = Buffer.concat([str('trawl-dlab-probe'), ...(user !== undefined ? [str(user)] : []), ...(password !== undefined ? [str(password)] : [])]);
  const rest = Buffer.concat([variable, payload]);
  if (rest.length > 127) throw new Error('CONNECT too long for a one-byte length');
  return Buffer.concat([Buffer.from([0x10, rest.length]), rest]);
}

async function mqtt(p: Extract<Probe, { kind: 'mqtt' }>): Promise<Record<string, unknown>> {
  const s = await open(p.ip, p.port);
  try {
    s.write(mqttConnect(p.user, p.password));
    const r = await readUntil(s, (b) => b.length >= 4);
    if (r.length >= 4 && r[0] === 0x20) return { connack: true, returnCode: r[3] };
    return { connack: false, bytes: r.toString('hex') };
  } finally {
    s.destroy();
  }
}

/** NetBIOS session framing: 0x00 + 24-bit length. */
function nbss(msg: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(msg.length);
  return Buffer.concat([h, msg]);
}

const framed = (b: Buffer): boolean => b.length >= 4 && b.length >= 4 + (b.readUInt32BE(0) & 0xffffff);

/** SMB1 NEGOTIATE offering only "NT LM 0.12": an SMB1-only client. */
async function smb1(p: Extract<Probe, { kind: 'smb1' }>): Promise<Record<string, unknown>> {
  const header = Buffer.alloc(32);
  Buffer.from([0xff, 0x53, 0x4d, 0x42, 0x72]).copy(header, 0);
  header[9] = 0x18; // flags: case-insensitive, canonical paths
  header.writeUInt16LE(0xc001, 10); // flags2: unicode, NT status, long names
  const dialects = Buffer.from('\x02NT LM 0.12\0', 'latin1');
  const body = Buffer.concat([Buffer.from([0x00]), Buffer.from([dialects.length & 0xff, dialects.length >> 8]), dialects]);
  const s = await open(p.ip, p.port);
  try {
    s.write(nbss(Buffer.concat([header, body])));
    const r = await readUntil(s, framed);
    const isSmb1 = r.length >= 9 && r.subarray(4, 8).equals(Buffer.from([0xff, 0x53, 0x4d, 0x42]));
    const status = isSmb1 && r.length >= 13 ? r.readUInt32LE(9) : null;
    const dialectIndex = isSmb1 && r.length >= 40 && r[36]! > 0 ? r.readUInt16LE(37) : null;
    return { answered: r.length > 0, smb1: isSmb1, status, dialectIndex };
  } finally {
    s.destroy();
  }
}

/** SMB2 NEGOTIATE (2.0.2 - 3.0.2): reports the server's dialect and SecurityMode (signing bits). */
async function smb2(p: Extract<Probe, { kind: 'smb2' }>): Promise<Record<string, unknown>> {
  const header = Buffer.alloc(64);
  Buffer.from([0xfe, 0x53, 0x4d, 0x42]).copy(header, 0);
  header.writeUInt16LE(64, 4);
  header.writeUInt16LE(1, 14); // credits requested
  const dialects = [0x0202, 0x0210, 0x0300, 0x0302];
  const body = Buffer.alloc(36 + dialects.length * 2);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(dialects.length, 2);
  body.writeUInt16LE(0x01, 4); // signing enabled (not required) on our side
  Buffer.from('trawl-dlab-probe').copy(body, 12);
  dialects.forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  const s = await open(p.ip, p.port);
  try {
    s.write(nbss(Buffer.concat([header, body])));
    const r = await readUntil(s, framed);
    if (r.length < 4 + 64 + 6 || r[4] !== 0xfe) return { answered: r.length > 0, smb2: false };
    const securityMode = r.readUInt16LE(4 + 64 + 2);
    return {
      answered: true,
      smb2: true,
      status: r.readUInt32LE(4 + 8),
      dialect: r.readUInt16LE(4 + 64 + 4).toString(16),
      signingEnabled: (securityMode & 1) !== 0,
      signingRequired: (securityMode & 2) !== 0,
    };
  } finally {
    s.destroy();
  }
}

/** SSH banner, then the server's KEXINIT name-lists (kex, host key, ciphers, MACs). */
async function ssh(p: Extract<Probe, { kind: 'ssh' }>): Promise<Record<string, unknown>> {
  const s = await open(p.ip, p.port);
  try {
    const first = await readUntil(s, (b) => b.includes(0x0a));
    const nl = first.indexOf(0x0a);
    const banner = first.subarray(0, nl).toString('latin1').replace(/\r$/, '');
    s.write('SSH-2.0-TrawlDlabProbe_1.0\r\n');
    const rest = first.subarray(nl + 1);
    const pkt = await readUntil(s, (b) => b.length >= 4 && b.length >= 4 + b.readUInt32BE(0), [rest]);
    if (pkt.length < 6 || pkt[5] !== 20) return { banner, kexinit: false };
    let off = 6 + 16;
    const lists: string[][] = [];
    for (let i = 0; i < 10 && off + 4 <= pkt.length; i++) {
      const len = pkt.readUInt32BE(off);
      lists.push(pkt.subarray(off + 4, off + 4 + len).toString('latin1').split(',').filter((x) => x !== ''));
      off += 4 + len;
    }
    return { banner, kexinit: true, kex: lists[0] ?? [], hostKey: lists[1] ?? [], ciphers: lists[2] ?? [], macs: lists[4] ?? [] };
  } finally {
    s.destroy();
  }
}

async function run(p: Probe): Promise<unknown> {
  try {
    switch (p.kind) {
      case 'connect': {
        const s = await open(p.ip, p.port);
        s.destroy();
        return { ok: true };
      }
      case 'http':
        return await http(p);
      case 'tls':
        return await tls(p);
      case 'dialog':
        return await dialog(p);
      case 'mqtt':
        return await mqtt(p);
      case 'smb1':
        return await smb1(p);
      case 'smb2':
        return await smb2(p);
      case 'ssh':
        return await ssh(p);
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

async function main(): Promise<void> {
  const probes = JSON.parse(process.argv[2] ?? '[]') as Probe[];
  const results = await Promise.all(probes.map(async (p) => [p.id, await run(p)] as const));
  process.stdout.write(JSON.stringify(Object.fromEntries(results)));
}

if (process.argv[1]?.endsWith('daemon-lab-probe.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(String(e));
    process.exitCode = 1;
  });
}
