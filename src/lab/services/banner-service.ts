import { reply, serveTcp, type ServiceSpec } from './lab-service.js';

export interface BannerOptions {
  readonly name: string;
  /** Sent on connect, followed by CR LF (LF only when `lf` is set); none for a silent service. */
  readonly banner?: string;
  readonly lf?: boolean;
  readonly product?: string;
  readonly version?: string;
}

/**
 * A service that greets (or stays silent) and then only listens: for ports whose protocol the
 * labs do not speak beyond its first line. Input is discarded; 16 KiB of it ends the session.
 */
export function bannerService(o: BannerOptions): ServiceSpec {
  const spec: ServiceSpec = {
    name: o.name,
    ...(o.product === undefined ? {} : { product: o.product }),
    ...(o.version === undefined ? {} : { version: o.version }),
    ...(o.banner === undefined ? {} : { banner: o.banner }),
    start: (ip, port, limits) =>
      serveTcp(ip, port, `${o.name} ${ip}:${port}`, (socket) => {
        if (o.banner !== undefined) reply(socket, `${o.banner}${o.lf ? '\n' : '\r\n'}`);
        let seen = 0;
        socket.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 16_384) socket.destroy();
        });
      }, limits),
  };
  return spec;
}
