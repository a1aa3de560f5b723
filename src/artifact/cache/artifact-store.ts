import type { Finding } from '../osv/osv-matcher.js';
import type { PackageRef } from '../package-ref.js';

/** A scanned artifact as kept: its inventory survives, so findings can be recomputed without the code. */
export interface StoredArtifact {
  /** Lower-case hex SHA-256 of the code (zip, layer, image layer). */
  readonly sha256: string;
  /** 'lambda-function', 'lambda-layer', 'file', 'directory', 'image-layer', ... */
  readonly kind: string;
  /** Name or ARN it was last seen under. */
  readonly name: string;
  readonly scannedAt: string;
  readonly matchedAt: string;
  /** Advisory data version the stored findings were computed against. */
  readonly dataVersion: number;
  readonly packages: readonly PackageRef[];
  readonly warnings: readonly string[];
}

/** The cache side of the store: inventories and findings keyed by code hash. */
export interface ArtifactStore {
  getArtifact(sha256: string): Promise<StoredArtifact | undefined>;
  /** Stores the artifact and replaces its findings, in one transaction. */
  putArtifact(artifact: StoredArtifact, findings: readonly Finding[]): Promise<void>;
  /** Replaces the findings after a re-match, recording the data version and time. */
  replaceFindings(sha256: string, dataVersion: number, matchedAt: string, findings: readonly Finding[]): Promise<void>;
  getFindings(sha256: string): Promise<Finding[]>;
}
