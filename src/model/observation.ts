import type { FindingJson } from '../checks/finding.js';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';

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
  /** What the identify stage found listening here, when it ran (read back from the 'service' fact). */
  readonly service?: ServiceIdentity;
  /** What the check stage found here, when it ran (read back from the 'finding' fact). */
  readonly findings?: readonly FindingJson[];
}

/** The identify stage's fact about an open port: what speaks there, with per-protocol facts. */
export interface ServiceObservation {
  readonly type: 'service';
  readonly scanId: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: Proto;
  readonly ts: string;
  readonly service: ServiceIdentity;
  readonly hostname?: string;
  readonly worker?: string;
}

/**
 * The check stage's fact about one target: which checks ran (so a later scan can call a finding
 * fixed) and what they found. Stored as src/inventory/observation-data.ts describes.
 */
export interface FindingObservation {
  readonly type: 'finding';
  readonly scanId: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: Proto;
  readonly ts: string;
  readonly checks: readonly string[];
  readonly findings: readonly FindingJson[];
  readonly hostname?: string;
  readonly worker?: string;
}

export type Observation = PortObservation | ServiceObservation | FindingObservation;
