import { createServer as createHttpsServer } from 'node:https';
import { generate } from 'selfsigned';
import { boundHttpServer, siteHandler, type HttpSite } from './http-service.js';
import { serve, type ServiceSpec } from './lab-service.js';

export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
  /** SHA-1 fingerprint as selfsigned reports it (colon-separated hex). */
  readonly fingerprint: string;
}

/**
 * A fresh self-signed certificate, like the snakeoil one a default nginx install serves. Generated
 * at start so no key material lives in the repository.
 */
export async function selfSignedCert(commonName: string, ip: string): Promise<SelfSignedCert> {
  const now = new Date();
  const pems = await generate(
    [
      { name: 'commonName', value: commonName },
      { name: 'organizationName', value: 'Trawl Lab' },
      { name: 'countryName', value: 'XX' },
    ],
    {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - 86_400_000),
      notAfterDate: new Date(now.getTime() + 365 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: commonName }, { type: 7, ip }] },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert, fingerprint: pems.fingerprint };
}

export function httpsService(site: HttpSite, commonName: string): ServiceSpec {
  return {
    name: 'https',
    product: site.product,
    version: site.version,
    title: site.title,
    tls: true,
    start: async (ip, port, limits) => {
      const { key, cert } = await selfSignedCert(commonName, ip);
      const server = boundHttpServer(
        createHttpsServer({ key, cert, minVersion: 'TLSv1.2', maxHeaderSize: 8192, handshakeTimeout: 5_000 }, siteHandler(site)),
      );
      // Scanners open TLS ports and hang up mid-handshake all the time: that is not an error here.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      return serve(server, ip, port, `https ${ip}:${port}`, limits);
    },
  };
}
