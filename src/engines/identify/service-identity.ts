/**
 * What the identify stage says about one open port. Field names follow nmap's <service> element so
 * XML output maps one to one; `facts` carries the structured, per-protocol detail a handshake found.
 */
export type IdentifyMethod = 'probed' | 'handshake' | 'table';

export interface ServiceIdentity {
  /** nmap service name: http, ssh, ftp, smtp, redis, microsoft-ds, mqtt, mysql, ... ('unknown' if none). */
  readonly name: string;
  readonly product?: string;
  readonly version?: string;
  readonly extrainfo?: string;
  readonly hostname?: string;
  readonly ostype?: string;
  readonly devicetype?: string;
  /** 'ssl' when the service was reached through TLS. */
  readonly tunnel?: 'ssl';
  /** CPE 2.2 URIs, as nmap prints them (cpe:/a:openbsd:openssh:9.2p1). */
  readonly cpe: readonly string[];
  readonly method: IdentifyMethod;
  /** 0-10 like nmap's conf: 10 = a hard match or a completed handshake, 3 = port table guess. */
  readonly confidence: number;
  /** Per-protocol facts: { tls: {...}, http: {...}, ssh: {...} ... } — JSON-serialisable. */
  readonly facts?: Readonly<Record<string, unknown>>;
}

export interface IdentifyTarget {
  readonly ip: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** SNI / Host header to use, when the target came from a hostname. */
  readonly hostname?: string;
}
