/** Append-only raw facts produced by engines. The store keys each one by its natural identity. */
export type Proto = 'tcp' | 'udp';
export type PortState = 'open' | 'closed' | 'filtered';

/** How the engine learned the state: a completed handshake, a reset, or silence after all retries. */
export type PortEvidence = 'syn-ack' | 'reset' | 'timeout' | 'unreachable';

export interface PortObservation {
  readonly type: 'port';
  readonly scanId: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: Proto;
  readonly state: PortState;
  /** ISO-8601 time the state was observed. */
  readonly ts: string;
  readonly evidence: PortEvidence;
  /** Round-trip time of the answering probe, in milliseconds, when there was one. */
  readonly rttMs?: number;
  /** The hostname the address came from, when the target was a name. */
  readonly hostname?: string;
  readonly worker?: string;
}

export type Observation = PortObservation;
