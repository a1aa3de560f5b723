import { LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { TrawlError } from '../../errors/trawl-error.js';
import { checkRegion, checkRoleArn } from './lambda-arn.js';
import { withThrottleRetry, type RetryOptions } from './throttle.js';

/** Static AWS credentials (what the SDK calls an AwsCredentials). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface AssumeRoleOptions {
  /** arn:aws:iam::ACCOUNT:role/NAME in the account to scan. */
  readonly roleArn: string;
  /** The external id the role's trust policy demands (confused-deputy protection). */
  readonly externalId?: string;
  readonly sessionName?: string;
  readonly durationSeconds?: number;
}

export interface LambdaAccessOptions {
  /** Regions to list (and the default for bare names); at least one. */
  readonly regions: readonly string[];
  /** Endpoint override for Lambda and STS (tests, LocalStack); default: the SDK's regional endpoints. */
  readonly endpoint?: string;
  /** Base credentials; default: the SDK's default chain (environment, profile, instance role). */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  readonly assumeRole?: AssumeRoleOptions;
  readonly retry?: RetryOptions;
}

/** Renew assumed credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * Lambda clients per region, sharing one credential source: the base credentials, or temporary ones
 * from STS AssumeRole (with external id) for a cross-account scan, renewed before expiry. Clients
 * retry nothing themselves (maxAttempts 1): throttling is retried by `withThrottleRetry`.
 */
export class LambdaAccess {
  readonly regions: readonly string[];
  readonly #clients = new Map<string, LambdaClient>();
  readonly #credentials: AwsCredentials | AwsCredentialsProvider | undefined;

  constructor(private readonly opts: LambdaAccessOptions) {
    if (opts.regions.length === 0) throw new TrawlError('TRAWL_E_BAD_OPTION', 'no AWS region given (use --region)', {});
    this.regions = opts.regions.map(checkRegion);
    if (opts.endpoint !== undefined) checkEndpoint(opts.endpoint);
    this.#credentials = opts.assumeRole === undefined ? opts.credentials : this.#assumedRoleProvider(opts.assumeRole);
  }

  client(region: string): LambdaClient {
    let c = this.#clients.get(region);
    if (c === undefined) {
      c = new LambdaClient({
        region: checkRegion(region),
        maxAttempts: 1,
        ...(this.opts.endpoint !== undefined ? { endpoint: this.opts.endpoint } : {}),
        ...(this.#credentials !== undefined ? { credentials: this.#credentials } : {}),
      });
      this.#clients.set(region, c);
    }
    return c;
  }

  #assumedRoleProvider(role: AssumeRoleOptions): AwsCredentialsProvider {
    checkRoleArn(role.roleArn);
    if (role.externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(role.externalId)) {
      throw new TrawlError('TRAWL_E_BAD_OPTION', 'external id must be 2 to 1224 characters of [A-Za-z0-9+=,.@:/_-]', {});
    }
    const sts = new STSClient({
      region: this.regions[0]!,
      maxAttempts: 1,
      ...(this.opts.endpoint !== undefined ? { endpoint: this.opts.endpoint } : {}),
      ...(this.opts.credentials !== undefined ? { credentials: this.opts.credentials } : {}),
    });
    let current: Promise<AwsCredentials> | undefined;
    let expires = 0;
    const fetchCreds = async (): Promise<AwsCredentials> => {
      try {
        const out = await withThrottleRetry(
          () => sts.send(new AssumeRoleCommand({
            RoleArn: role.roleArn,
            RoleSessionName: role.sessionName ?? 'trawl-artifact-scan',
            DurationSeconds: role.durationSeconds ?? 3600,
            ...(role.externalId !== undefined ? { ExternalId: role.externalId } : {}),
          })),
          this.opts.retry,
        );
        const c = out.Credentials;
        if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) throw new Error('the response carries no credentials');
        expires = c.Expiration?.getTime() ?? Date.now() + 15 * 60 * 1000;
        return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken !== undefined ? { sessionToken: c.SessionToken } : {}), expiration: new Date(expires) };
      } catch (e) {
        current = undefined;
        throw new TrawlError('TRAWL_E_CLOUD_API', `AssumeRole ${role.roleArn} failed: ${awsMessage(e)}`, { roleArn: role.roleArn }, { cause: e });
      }
    };
    return () => {
      if (current === undefined || Date.now() > expires - REFRESH_MARGIN_MS) current = fetchCreds();
      return current;
    };
  }

  destroy(): void {
    for (const c of this.#clients.values()) c.destroy();
    this.#clients.clear();
  }
}

function checkEndpoint(endpoint: string): void {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `endpoint ${JSON.stringify(endpoint.slice(0, 200))} is not a URL`, { value: endpoint.slice(0, 200) });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TrawlError('TRAWL_E_BAD_OPTION', `endpoint ${JSON.stringify(endpoint)} must be http or https`, { value: endpoint });
}

/** "Name: message" of an SDK error, for one-line reports. */
export function awsMessage(e: unknown): string {
  if (e instanceof TrawlError) return e.message;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}${status !== undefined ? ` (HTTP ${status})` : ''}`;
}
