import { reply, replyAndClose, serveTcp, type ServiceSpec } from './lab-service.js';

export interface RedisOptions {
  readonly version: string;
  /** When set, every command but AUTH and QUIT answers -NOAUTH until AUTH succeeds. */
  readonly requirePass?: string;
}

// Bounds on what a client may send before we give up on it, far below Redis's own (512 MB bulk).
const MAX_BUFFER = 65_536;
const MAX_ARGS = 64;
const MAX_BULK = 8_192;

type Parsed = { kind: 'command'; args: string[]; rest: Buffer } | { kind: 'incomplete' } | { kind: 'error'; message: string };

/** Parses one RESP multibulk or inline command from the front of `buf`. */
export function parseRespCommand(buf: Buffer): Parsed {
  const eol = buf.indexOf('\r\n');
  if (buf[0] !== 0x2a /* '*' */) {
    const nl = buf.indexOf('\n');
    if (nl < 0) return { kind: 'incomplete' };
    const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
    return { kind: 'command', args: line.split(/[ \t]+/).filter((a) => a.length > 0), rest: buf.subarray(nl + 1) };
  }
  if (eol < 0) return { kind: 'incomplete' };
  const count = Number(buf.subarray(1, eol).toString('latin1'));
  if (!Number.isInteger(count) || count > MAX_ARGS) return { kind: 'error', message: 'invalid multibulk length' };
  let pos = eol + 2;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    if (pos >= buf.length) return { kind: 'incomplete' };
    if (buf[pos] !== 0x24 /* '$' */) return { kind: 'error', message: `expected '$', got '${String.fromCharCode(buf[pos] ?? 0)}'` };
    const e = buf.indexOf('\r\n', pos);
    if (e < 0) return { kind: 'incomplete' };
    const len = Number(buf.subarray(pos + 1, e).toString('latin1'));
    if (!Number.isInteger(len) || len < 0 || len > MAX_BULK) return { kind: 'error', message: 'invalid bulk length' };
    if (buf.length < e + 2 + len + 2) return { kind: 'incomplete' };
    args.push(buf.subarray(e + 2, e + 2 + len).toString('latin1'));
    pos = e + 2 + len + 2;
  }
  return { kind: 'command', args, rest: buf.subarray(pos) };
}

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

function infoText(o: RedisOptions, port: number, startedAt: number): string {
  const uptime = Math.floor((Date.now() - startedAt) / 1000);
  return [
    '# Server',
    `redis_version:${o.version}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_mode:standalone',
    'os:Linux 6.1.0-18-amd64 x86_64',
    'arch_bits:64',
    'gcc_version:12.2.0',
    'process_id:811',
    `tcp_port:${port}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86_400)}`,
    'config_file:/etc/redis/redis.conf',
    '',
    '# Clients',
    'connected_clients:1',
    '',
    '# Memory',
    'used_memory:1015432',
    'used_memory_human:991.63K',
    'maxmemory_policy:noeviction',
    '',
    '# Persistence',
    'loading:0',
    'rdb_changes_since_last_save:0',
    '',
    '# Keyspace',
    'db0:keys=3,expires=0,avg_ttl=0',
    '',
  ].join('\r\n');
}

export function redisService(o: RedisOptions): ServiceSpec {
  const startedAt = Date.now();
  return {
    name: 'redis',
    product: 'Redis key-value store',
    version: o.version,
    start: (ip, port, limits) =>
      serveTcp(ip, port, `redis ${ip}:${port}`, (socket) => {
        let buf: Buffer = Buffer.alloc(0);
        let authed = o.requirePass === undefined;
        socket.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          if (buf.length > MAX_BUFFER) {
            replyAndClose(socket, '-ERR Protocol error: too big request\r\n');
            return;
          }
          for (;;) {
            const p = parseRespCommand(buf);
            if (p.kind === 'incomplete') return;
            if (p.kind === 'error') {
              replyAndClose(socket, `-ERR Protocol error: ${p.message}\r\n`);
              return;
            }
            buf = p.rest;
            if (p.args.length === 0) continue;
            if (!answer(p.args)) return;
          }
        });

        // Returns false once the connection is finished.
        const answer = (args: string[]): boolean => {
          const cmd = (args[0] ?? '').toLowerCase();
          // Redis drops connections that look like HTTP (cross-protocol scripting protection).
          if (cmd === 'post' || cmd === 'host:') {
            socket.destroy();
            return false;
          }
          if (cmd === 'quit') {
            replyAndClose(socket, '+OK\r\n');
            return false;
          }
          if (cmd === 'auth') {
            const pass = args[args.length - 1];
            if (args.length < 2 || args.length > 3) reply(socket, "-ERR wrong number of arguments for 'auth' command\r\n");
            else if (o.requirePass === undefined)
              reply(socket, '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
            else if (pass === o.requirePass && (args.length === 2 || args[1] === 'default')) {
              authed = true;
              reply(socket, '+OK\r\n');
            } else reply(socket, '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
            return true;
          }
          if (!authed) {
            reply(socket, '-NOAUTH Authentication required.\r\n');
            return true;
          }
          switch (cmd) {
            case 'ping':
              reply(socket, args.length > 1 ? bulk(args[1] ?? '') : '+PONG\r\n');
              break;
            case 'echo':
              reply(socket, args.length === 2 ? bulk(args[1] ?? '') : "-ERR wrong number of arguments for 'echo' command\r\n");
              break;
            case 'info':
              reply(socket, bulk(infoText(o, port, startedAt)));
              break;
            case 'select':
              reply(socket, '+OK\r\n');
              break;
            case 'dbsize':
              reply(socket, ':3\r\n');
              break;
            case 'get':
              reply(socket, args.length === 2 ? '$-1\r\n' : "-ERR wrong number of arguments for 'get' command\r\n");
              break;
            default: {
              const rest = args.slice(1, 4).map((a) => `'${a.slice(0, 64)}'`).join(' ');
              reply(socket, `-ERR unknown command '${(args[0] ?? '').slice(0, 64)}', with args beginning with: ${rest}\r\n`);
            }
          }
          return true;
        };
      }, limits),
  };
}
