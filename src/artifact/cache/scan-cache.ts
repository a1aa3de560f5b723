import { TrawlError } from '../../errors/trawl-error.js';
import type { AdvisoryStore } from '../osv/advisory-store.js';
import { AdvisoryIndex, type Finding, type MatchResult } from '../osv/osv-matcher.js';
import { normalisePackageName } from '../osv/package-name.js';
import { advisoryIdentity, type PackageRef } from '../package-ref.js';
import type { ArtifactStore, StoredArtifact } from './artifact-store.js';

/** What an inventory step returns (the shape of src/artifact/inventory.ts's `inventoryArtifact`). */
export interface Inventory {
  readonly packages: readonly PackageRef[];
  readonly sha256: string;
  readonly warnings: readonly string[];
}

export interface ArtifactScanRequest {
  readonly kind: string;
  readonly name: string;
  /**
   * The code hash when known before reading the code (Lambda reports CodeSha256): a fresh cached
   * inventory is then used without fetching anything.
   */
  readonly sha256?: string;
  /** Fetches the code and takes its inventory; called only when the cache cannot answer. */
  readonly inventory: () => Promise<Inventory>;
}

/**
 * hit: inventory and findings reused; rematched: inventory reused, findings recomputed because
 * advisories changed; miss: first scan of this code; expired: inventory older than the TTL, retaken.
 */
export type CacheOutcome = 'hit' | 'rematched' | 'miss' | 'expired';

export interface ArtifactScanResult {
  readonly sha256: string;
  readonly kind: string;
  readonly name: string;
  readonly packages: number;
  readonly findings: readonly Finding[];
  readonly warnings: readonly string[];
  readonly cache: CacheOutcome;
  readonly scannedAt: string;
  readonly dataVersion: number;
  /** Present when findings were computed in this call. */
  readonly stats?: MatchResult['stats'];
}

export const DEFAULT_CACHE_TTL_MS = 30 * 24 * 3600 * 1000;
const SHA256 = /^[0-9a-f]{64}$/;

export interface ScanCacheOptions {
  /** How long an inventory is trusted for unchanged code (default 30 days). */
  readonly ttlMs?: number;
  readonly now?: () => Date;
}

/**
 * Scans artifacts through the code-hash cache. The inventory of a code hash is kept; findings are
 * recomputed from it whenever the advisory data version moved (no code fetch), and the code is read
 * again only when it is new or its inventory is older than the TTL.
 */
export class ScanCache {
  readonly #ttlMs: number;
  readonly #now: () => Date;

  constructor(
    private readonly stores: { readonly advisories: AdvisoryStore; readonly artifacts: ArtifactStore },
    opts: ScanCacheOptions = {},
  ) {
    this.#ttlMs = opts.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#now = opts.now ?? (() => new Date());
  }

  async scan(req: ArtifactScanRequest): Promise<ArtifactScanResult> {
    const dataVersion = await this.stores.advisories.dataVersion();
    const now = this.#now();
    let outcome: CacheOutcome = 'miss';
    if (req.sha256 !== undefined) {
      const sha = checkSha(req.sha256, req.name);
      const cached = await this.stores.artifacts.getArtifact(sha);
      if (cached !== undefined) {
        if (now.getTime() - Date.parse(cached.scannedAt) <= this.#ttlMs) return this.#reuse(cached, req, dataVersion, now);
        outcome = 'expired';
      }
    }
    const inv = await req.inventory();
    const sha = checkSha(inv.sha256, req.name);
    if (req.sha256 !== undefined && sha !== req.sha256.toLowerCase()) {
      throw new TrawlError('TRAWL_E_CLOUD_API', `${req.name}: code hash ${sha} differs from the declared ${req.sha256.toLowerCase()} (changed while fetching, or corrupted)`, { name: req.name, declared: req.sha256, actual: sha });
    }
    if (outcome === 'miss' && req.sha256 === undefined) {
      const cached = await this.stores.artifacts.getArtifact(sha);
      if (cached !== undefined) outcome = 'expired';
    }
    const { findings, stats } = await this.match(inv.packages);
    const at = now.toISOString();
    const artifact: StoredArtifact = { sha256: sha, kind: req.kind, name: req.name, scannedAt: at, matchedAt: at, dataVersion, packages: inv.packages, warnings: inv.warnings };
    await this.stores.artifacts.putArtifact(artifact, findings);
    return { sha256: sha, kind: req.kind, name: req.name, packages: inv.packages.length, findings, warnings: inv.warnings, cache: outcome, scannedAt: at, dataVersion, stats };
  }

  async #reuse(cached: StoredArtifact, req: ArtifactScanRequest, dataVersion: number, now: Date): Promise<ArtifactScanResult> {
    const base = { sha256: cached.sha256, kind: req.kind, name: req.name, packages: cached.packages.length, warnings: cached.warnings, scannedAt: cached.scannedAt, dataVersion };
    if (cached.dataVersion === dataVersion) {
      return { ...base, findings: await this.stores.artifacts.getFindings(cached.sha256), cache: 'hit' };
    }
    const { findings, stats } = await this.match(cached.packages);
    await this.stores.artifacts.replaceFindings(cached.sha256, dataVersion, now.toISOString(), findings);
    return { ...base, findings, cache: 'rematched', stats };
  }

  /** Matches packages against the stored advisories of their (ecosystem, name) keys only. */
  async match(packages: readonly PackageRef[]): Promise<MatchResult> {
    const keys = packages.map((p) => ({ ecosystem: p.ecosystem, name: normalisePackageName(p.ecosystem, advisoryIdentity(p).name) }));
    const index = new AdvisoryIndex(await this.stores.advisories.entriesFor(keys));
    return index.match(packages);
  }
}

function checkSha(sha: string, name: string): string {
  const s = sha.toLowerCase();
  if (!SHA256.test(s)) throw new TrawlError('TRAWL_E_INTERNAL', `${name}: code hash ${JSON.stringify(sha)} is not a hex SHA-256`, { name });
  return s;
}
