import { randomBytes } from 'node:crypto';
import { reply, replyAndClose, serveTcp, type ServiceSpec } from './lab-service.js';

export interface SshFlavour {
  /** Identification string without CR LF, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`. */
  readonly banner: string;
  readonly product: string;
  readonly version: string;
  readonly kex: readonly string[];
  readonly hostKeys: readonly string[];
  readonly ciphers: readonly string[];
  readonly macs: readonly string[];
}

export const OPENSSH_DEBIAN12: SshFlavour = {
  banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
  product: 'OpenSSH',
  version: '9.2p1 Debian 2+deb12u3',
  kex: ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256', 'kex-strict-s-v00@openssh.com'],
  hostKeys: ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
  ciphers: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  macs: ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
};

export const DROPBEAR_2022: SshFlavour = {
  banner: 'SSH-2.0-dropbear_2022.83',
  product: 'Dropbear sshd',
  version: '2022.83',
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp521', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256', 'kexguess2@matt.ucc.asn.au'],
  hostKeys: ['ecdsa-sha2-nistp256', 'ssh-ed25519', 'rsa-sha2-256', 'ssh-rsa'],
  ciphers: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'],
  macs: ['hmac-sha1', 'hmac-sha2-256'],
};

function nameList(names: readonly string[]): Buffer {
  const body = Buffer.from(names.join(','), 'ascii');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An SSH_MSG_KEXINIT in the unencrypted binary packet format (RFC 4253 §6 and §7.1). */
export function kexInitPacket(f: SshFlavour): Buffer {
  const payload = Buffer.concat([
    Buffer.from([20]),
    randomBytes(16),
    nameList(f.kex),
    nameList(f.hostKeys),
    nameList(f.ciphers),
    nameList(f.ciphers),
    nameList(f.macs),
    nameList(f.macs),
    nameList(['none', 'zlib@openssh.com']),
    nameList(['none', 'zlib@openssh.com']),
    nameList([]),
    nameList([]),
    Buffer.from([0, 0, 0, 0, 0]),
  ]);
  // packet_length + padding_length + payload + padding must be a multiple of 8, padding at least 4.
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + pad);
  head.writeUInt8(pad, 4);
  return Buffer.concat([head, payload, Buffer.alloc(pad)]);
}

/**
 * Sends the identification string at once, as sshd does; after the client's own identification
 * line it sends a KEXINIT and then just reads (key exchange itself is not implemented).
 */
export function sshService(f: SshFlavour): ServiceSpec {
  return {
    name: 'ssh',
    product: f.product,
    version: f.version,
    banner: f.banner,
    start: (ip, port, limits) =>
      serveTcp(ip, port, `ssh ${ip}:${port}`, (socket) => {
        reply(socket, `${f.banner}\r\n`);
        let seen = 0;
        let head = '';
        let greeted = false;
        socket.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (!greeted) {
            head += chunk.toString('latin1');
            if (head.includes('\n')) {
              greeted = true;
              if (head.startsWith('SSH-')) reply(socket, kexInitPacket(f));
              else replyAndClose(socket, 'Invalid SSH identification string.\r\n');
            } else if (head.length > 255) {
              socket.destroy(); // RFC 4253: the identification line is at most 255 bytes
            }
          }
          // sshd gives up on a peer that sends this much without finishing key exchange.
          if (seen > 65_536) socket.destroy();
        });
      }, limits),
  };
}
