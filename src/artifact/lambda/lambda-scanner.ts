import { GetFunctionCommand, GetLayerVersionCommand, paginateListFunctions, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrawlError } from '../../errors/trawl-error.js';
import type { ArtifactScanResult, Inventory, ScanCache } from '../cache/scan-cache.js';
import type { Finding } from '../osv/osv-matcher.js';
import { awsMessage, LambdaAccess, type LambdaAccessOptions } from './lambda-access.js';
import { parseFunctionArn, parseLayerVersionArn, resolveFunctionRef, type FunctionArn } from './lambda-arn.js';
import { downloadCode } from './code-download.js';
import { NameFilter } from './name-filter.js';
import { mapLimit, withThrottleRetry } from './throttle.js';

/** Takes the inventory of a downloaded package (src/artifact/inventory.ts's `inventoryArtifact`). */
export type Inventorier = (path: string) => Promise<Inventory>;

export interface LambdaScanOptions extends LambdaAccessOptions {
  /** Function ARNs to scan; when absent, every function of every region in `regions`. */
  readonly functions?: readonly string[];
  /** Glob patterns on function name or ARN to leave out. */
  readonly exclude?: readonly string[];
  /** Functions scanned at once (default 4). */
  readonly concurrency?: number;
  /** Size cap per downloaded package (default 300 MiB). */
  readonly maxCodeBytes?: number;
  /** Scan the layers of each function (default true). */
  readonly layers?: boolean;
  /**
   * The function this process runs as, never scanned: default from AWS_LAMBDA_FUNCTION_NAME (and
   * AWS_REGION) when running inside Lambda. An ARN here compares exactly.
   */
  readonly self?: { readonly functionName?: string; readonly region?: string; readonly arn?: string };
  readonly inventory: Inventorier;
  readonly cache: ScanCache;
  readonly env?: NodeJS.ProcessEnv;
}

export type FunctionStatus = 'scanned' | 'skipped' | 'failed';

export interface LayerResult {
  readonly arn: string;
  readonly status: 'scanned' | 'failed';
  readonly result?: ArtifactScanResult;
  readonly error?: string;
}

export interface FunctionResult {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly status: FunctionStatus;
  /** Why it was skipped or failed ('self', 'excluded by …', 'container image …', the error). */
  readonly reason?: string;
  readonly packageType?: string;
  readonly imageUri?: string;
  readonly code?: ArtifactScanResult;
  readonly layers: readonly LayerResult[];
  /** Function code and layer findings together, one per (purl, advisory). */
  readonly findings: readonly Finding[];
  /** Some layer failed though the function code was scanned. */
  readonly partial: boolean;
}

export interface LambdaScanReport {
  readonly functions: readonly FunctionResult[];
  /** Regions whose listing failed, with the error. */
  readonly listErrors: readonly { readonly region: string; readonly error: string }[];
  /** True when anything failed: the report holds what could be scanned. */
  readonly partial: boolean;
  readonly throttleRetries: number;
}

const DEFAULT_MAX_CODE = 300 * 1024 * 1024;

/**
 * Scans Lambda functions: lists them (every region asked for, paginated) or takes the given ARNs,
 * drops itself and the excluded ones, then per function (bounded concurrency, throttling retried
 * with backoff) reads GetFunction, scans the code through the code-hash cache (downloading the
 * presigned package only when the cache cannot answer), and each layer via GetLayerVersion, a
 * layer shared by several functions being fetched once. One function failing marks the report
 * partial and does not stop the others. Container-image functions are reported as skipped: pulling
 * from ECR is not implemented yet.
 */
export async function scanLambda(opts: LambdaScanOptions): Promise<LambdaScanReport> {
  const access = new LambdaAccess(opts);
  const filter = new NameFilter(opts.exclude ?? []);
  const env = opts.env ?? process.env;
  const self = opts.self ?? selfFromEnv(env);
  let throttleRetries = 0;
  const retry = { ...opts.retry, onRetry: (e: unknown, attempt: number, delay: number) => {
    throttleRetries++;
    opts.retry?.onRetry?.(e, attempt, delay);
  } };
  const work = await mkdtemp(join(tmpdir(), 'trawl-lambda-'));
  const layerScans = new Map<string, Promise<LayerResult>>();
  const listErrors: { region: string; error: string }[] = [];
  try {
    const targets: { fn: FunctionArn; config?: FunctionConfiguration }[] = [];
    if (opts.functions !== undefined) {
      for (const ref of opts.functions) targets.push({ fn: parseFunctionArn(ref) });
    } else {
      for (const region of access.regions) {
        try {
          for await (const page of paginateListFunctions({ client: access.client(region), pageSize: 50 }, {})) {
            for (const f of page.Functions ?? []) {
              if (f.FunctionArn === undefined) continue;
              targets.push({ fn: parseFunctionArn(f.FunctionArn), config: f });
            }
          }
        } catch (e) {
          listErrors.push({ region, error: awsMessage(e) });
        }
      }
    }

    const scanLayer = (arn: string): Promise<LayerResult> => {
      let p = layerScans.get(arn);
      if (p === undefined) {
        p = (async (): Promise<LayerResult> => {
          try {
            const layer = parseLayerVersionArn(arn);
            const out = await withThrottleRetry(() => access.client(layer.region).send(new GetLayerVersionCommand({ LayerName: layer.layerArn, VersionNumber: layer.version })), retry);
            const location = out.Content?.Location;
            const sha = out.Content?.CodeSha256;
            if (location === undefined || sha === undefined) throw new TrawlError('TRAWL_E_CLOUD_API', `${arn}: GetLayerVersion returned no code location or hash`, { arn });
            const result = await opts.cache.scan({ kind: 'lambda-layer', name: arn, sha256: base64ToHex(sha, arn), inventory: () => fetchAndInventory(location, arn) });
            return { arn, status: 'scanned', result };
          } catch (e) {
            return { arn, status: 'failed', error: awsMessage(e) };
          }
        })();
        layerScans.set(arn, p);
      }
      return p;
    };

    let seq = 0;
    const fetchAndInventory = async (location: string, what: string): Promise<Inventory> => {
      const file = join(work, `package-${++seq}.zip`);
      try {
        const dl = await downloadCode(location, file, what, { maxBytes: opts.maxCodeBytes ?? DEFAULT_MAX_CODE });
        const inv = await opts.inventory(file);
        // The hash is of the bytes we read, whatever the inventory step computed.
        return { ...inv, sha256: dl.sha256 };
      } finally {
        await rm(file, { force: true });
      }
    };

    const scanOne = async ({ fn, config }: { fn: FunctionArn; config?: FunctionConfiguration }): Promise<FunctionResult> => {
      const base = { arn: fn.arn, name: fn.functionName, region: fn.region, layers: [] as LayerResult[], findings: [] as Finding[], partial: false };
      if (isSelf(fn, self)) return { ...base, status: 'skipped', reason: 'self: a function never scans itself' };
      const excluded = filter.excludes(fn.functionName, fn.arn);
      if (excluded !== undefined) return { ...base, status: 'skipped', reason: `excluded by ${JSON.stringify(excluded)}` };
      try {
        const out = await withThrottleRetry(() => access.client(fn.region).send(new GetFunctionCommand({ FunctionName: fn.arn, ...(fn.qualifier !== undefined ? { Qualifier: fn.qualifier } : {}) })), retry);
        const cfg = out.Configuration ?? config;
        const packageType = cfg?.PackageType ?? 'Zip';
        if (packageType === 'Image') {
          return { ...base, status: 'skipped', packageType, ...(out.Code?.ImageUri !== undefined ? { imageUri: out.Code.ImageUri } : {}), reason: 'container image: pulling from the registry is not implemented yet' };
        }
        const location = out.Code?.Location;
        const sha = cfg?.CodeSha256;
        if (location === undefined || sha === undefined) throw new TrawlError('TRAWL_E_CLOUD_API', `${fn.arn}: GetFunction returned no code location or hash`, { arn: fn.arn });
        const code = await opts.cache.scan({ kind: 'lambda-function', name: fn.arn, sha256: base64ToHex(sha, fn.arn), inventory: () => fetchAndInventory(location, fn.arn) });
        const layers = opts.layers === false ? [] : await Promise.all((cfg?.Layers ?? []).flatMap((l) => (l.Arn !== undefined ? [scanLayer(l.Arn)] : [])));
        return {
          ...base,
          status: 'scanned',
          packageType,
          code,
          layers,
          findings: dedupe([...code.findings, ...layers.flatMap((l) => l.result?.findings ?? [])]),
          partial: layers.some((l) => l.status === 'failed'),
        };
      } catch (e) {
        return { ...base, status: 'failed', reason: awsMessage(e), partial: true };
      }
    };

    const functions = await mapLimit(targets, opts.concurrency ?? 4, scanOne);
    return {
      functions,
      listErrors,
      partial: listErrors.length > 0 || functions.some((f) => f.status === 'failed' || f.partial),
      throttleRetries,
    };
  } finally {
    access.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

function selfFromEnv(env: NodeJS.ProcessEnv): LambdaScanOptions['self'] {
  const name = env['AWS_LAMBDA_FUNCTION_NAME'];
  if (name === undefined || name === '') return undefined;
  return { functionName: name, ...(env['AWS_REGION'] ? { region: env['AWS_REGION'] } : {}) };
}

function isSelf(fn: FunctionArn, self: LambdaScanOptions['self']): boolean {
  if (self === undefined) return false;
  if (self.arn !== undefined) {
    try {
      if (parseFunctionArn(self.arn).arn === fn.arn) return true;
    } catch {
      // A malformed self ARN compares as a name below.
    }
  }
  if (self.functionName === undefined) return false;
  let name = self.functionName;
  if (name.startsWith('arn:')) {
    try {
      name = resolveFunctionRef(name, {}).functionName;
    } catch {
      return false;
    }
  }
  return name === fn.functionName && (self.region === undefined || self.region === fn.region);
}

/** Lambda reports CodeSha256 as base64; the cache keys by hex. */
export function base64ToHex(b64: string, what: string): string {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== 32) throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: CodeSha256 ${JSON.stringify(b64.slice(0, 60))} is not a base64 SHA-256`, { what });
  return buf.toString('hex');
}

function dedupe(findings: Finding[]): Finding[] {
  const m = new Map<string, Finding>();
  for (const f of findings) m.set(`${f.purl}\u0000${f.advisoryId}`, f);
  return [...m.values()];
}
