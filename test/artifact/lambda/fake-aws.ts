import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback server speaking the parts of the Lambda REST API (ListFunctions, GetFunction,
 * GetLayerVersion) and the STS query API (AssumeRole) that Trawl calls, driven by the real AWS SDK
 * with an endpoint override. It serves real zip packages from a fake presigned location, tells
 * regions and callers apart by the SigV4 credential scope, and can throttle or fail on purpose.
 */
export interface FakeFunction {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly zip?: Buffer;
  readonly packageType?: 'Zip' | 'Image';
  readonly layers?: readonly string[];
  /** GetFunction answers 429 TooManyRequestsException this many times first. */
  throttle?: number;
  /** The code location answers 500. */
  readonly brokenCode?: boolean;
}

export interface FakeLayer {
  readonly arn: string;
  readonly zip: Buffer;
}

export interface FakeRole {
  readonly roleArn: string;
  readonly externalId: string;
  /** Account whose functions the assumed credentials see. */
  readonly account: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly region?: string;
  readonly accessKey?: string;
  readonly service?: string;
}

export const BASE_ACCESS_KEY = 'AKIDTRAWLTESTBASE';
export const BASE_SECRET = 'trawl-test-secret-not-real';

const sha64 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

export class FakeAws {
  readonly requests: LoggedRequest[] = [];
  /** Access keys handed out by AssumeRole → the account they see. */
  readonly #sessions = new Map<string, string>();
  #server: Server | undefined;
  endpoint = '';

  constructor(
    private readonly opts: { readonly functions: FakeFunction[]; readonly layers: readonly FakeLayer[]; readonly baseAccount: string; readonly roles?: readonly FakeRole[]; readonly pageSize?: number },
  ) {}

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  count(pred: (r: LoggedRequest) => boolean): number {
    return this.requests.filter(pred).length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scope = /Credential=([^/]+)\/[0-9]{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    const entry: LoggedRequest = { method: req.method ?? '', path: url.pathname, ...(scope ? { accessKey: scope[1]!, region: scope[2]!, service: scope[3]! } : {}) };
    this.requests.push(entry);
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    try {
      if (url.pathname.startsWith('/code/')) return this.#code(url.pathname.slice('/code/'.length), res);
      if (scope === null) return lambdaError(res, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (scope[3] === 'sts') return this.#sts(body, scope[1]!, res);
      const account = scope[1] === BASE_ACCESS_KEY ? this.opts.baseAccount : this.#sessions.get(scope[1]!);
      if (account === undefined) return lambdaError(res, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      const region = scope[2]!;
      // The SDK sends it without the trailing slash; the API documents it with one. Both are served.
      if (req.method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(url.pathname)) return this.#list(url, account, region, res);
      const fm = /^\/2015-03-31\/functions\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && fm) return this.#getFunction(decodeURIComponent(fm[1]!), account, region, res);
      const lm = /^\/2018-10-31\/layers\/([^/]+)\/versions\/([0-9]+)$/.exec(url.pathname);
      if (req.method === 'GET' && lm) return this.#getLayer(decodeURIComponent(lm[1]!), Number(lm[2]), region, res);
      return lambdaError(res, 404, 'UnknownOperationException', `no route ${req.method} ${url.pathname}`);
    } catch (e) {
      return lambdaError(res, 500, 'ServiceException', (e as Error).message);
    }
  }

  #visible(account: string, region: string): FakeFunction[] {
    return this.opts.functions.filter((f) => f.account === account && f.region === region);
  }

  #arn(f: FakeFunction): string {
    return `arn:aws:lambda:${f.region}:${f.account}:function:${f.name}`;
  }

  #config(f: FakeFunction): Record<string, unknown> {
    const zip = f.zip ?? Buffer.alloc(0);
    return {
      FunctionName: f.name,
      FunctionArn: this.#arn(f),
      Runtime: f.packageType === 'Image' ? undefined : 'nodejs20.x',
      Role: `arn:aws:iam::${f.account}:role/lambda-exec`,
      Handler: 'index.handler',
      CodeSize: zip.length,
      CodeSha256: sha64(f.packageType === 'Image' ? Buffer.from(f.name) : zip),
      LastModified: '2024-06-01T00:00:00.000+0000',
      PackageType: f.packageType ?? 'Zip',
      Layers: (f.layers ?? []).map((arn) => ({ Arn: arn, CodeSize: this.opts.layers.find((l) => l.arn === arn)?.zip.length ?? 0 })),
    };
  }

  #list(url: URL, account: string, region: string, res: ServerResponse): void {
    const all = this.#visible(account, region);
    const start = Number(url.searchParams.get('Marker') ?? '0');
    const size = Math.min(Number(url.searchParams.get('MaxItems') ?? '50'), this.opts.pageSize ?? 50);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    json(res, 200, { Functions: page.map((f) => this.#config(f)), ...(next !== undefined ? { NextMarker: next } : {}) });
  }

  #getFunction(ref: string, account: string, region: string, res: ServerResponse): void {
    const f = this.#visible(account, region).find((x) => ref === x.name || ref === this.#arn(x));
    if (f === undefined) return lambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${ref}`);
    if (f.throttle !== undefined && f.throttle > 0) {
      f.throttle--;
      return lambdaError(res, 429, 'TooManyRequestsException', 'Rate exceeded', { Reason: 'CallerRateLimitExceeded' });
    }
    const code = f.packageType === 'Image'
      ? { RepositoryType: 'ECR', ImageUri: `${f.account}.dkr.ecr.${f.region}.amazonaws.com/${f.name}:latest`, ResolvedImageUri: `${f.account}.dkr.ecr.${f.region}.amazonaws.com/${f.name}@sha256:${'0'.repeat(64)}` }
      : { RepositoryType: 'S3', Location: `${this.endpoint}/code/fn-${encodeURIComponent(f.account)}-${encodeURIComponent(f.region)}-${encodeURIComponent(f.name)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${randomBytes(8).toString('hex')}` };
    json(res, 200, { Configuration: this.#config(f), Code: code, Tags: {} });
  }

  #getLayer(layerName: string, version: number, region: string, res: ServerResponse): void {
    const l = this.opts.layers.find((x) => x.arn === `${layerName}:${version}` && x.arn.split(':')[3] === region);
    if (l === undefined) return lambdaError(res, 404, 'ResourceNotFoundException', `Layer version ${layerName}:${version} does not exist`);
    json(res, 200, {
      Content: { Location: `${this.endpoint}/code/layer-${encodeURIComponent(l.arn)}?X-Amz-Signature=x`, CodeSha256: sha64(l.zip), CodeSize: l.zip.length },
      LayerArn: layerName,
      LayerVersionArn: l.arn,
      Version: version,
      CompatibleRuntimes: ['nodejs20.x'],
    });
  }

  #code(key: string, res: ServerResponse): void {
    const k = decodeURIComponent(key);
    let zip: Buffer | undefined;
    if (k.startsWith('layer-')) zip = this.opts.layers.find((l) => l.arn === k.slice('layer-'.length))?.zip;
    else {
      const f = this.opts.functions.find((x) => k === `fn-${x.account}-${x.region}-${x.name}`);
      if (f?.brokenCode === true) {
        res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code></Error>');
        return;
      }
      zip = f?.zip;
    }
    if (zip === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
  }

  #sts(body: string, accessKey: string, res: ServerResponse): void {
    const p = new URLSearchParams(body);
    if (p.get('Action') !== 'AssumeRole') return stsError(res, 400, 'InvalidAction', `unsupported action ${p.get('Action')}`);
    if (accessKey !== BASE_ACCESS_KEY) return stsError(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const role = this.opts.roles?.find((r) => r.roleArn === p.get('RoleArn'));
    if (role === undefined || p.get('ExternalId') !== role.externalId) {
      return stsError(res, 403, 'AccessDenied', `User: arn:aws:iam::${this.opts.baseAccount}:user/scanner is not authorized to perform: sts:AssumeRole on resource: ${p.get('RoleArn')}`);
    }
    const key = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    this.#sessions.set(key, role.account);
    const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    res.writeHead(200, { 'content-type': 'text/xml' }).end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>${key}</AccessKeyId>
      <SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey>
      <SessionToken>${randomBytes(32).toString('base64')}</SessionToken>
      <Expiration>${expires}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROATRAWLTEST:${p.get('RoleSessionName')}</AssumedRoleId>
      <Arn>arn:aws:sts::${role.account}:assumed-role/${role.roleArn.split('/').pop()}/${p.get('RoleSessionName')}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomBytes(8).toString('hex') }).end(text);
}

function lambdaError(res: ServerResponse, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  const text = JSON.stringify({ Type: 'User', Message: message, message, ...extra });
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomBytes(8).toString('hex') }).end(text);
}

function stsError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' }).end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`);
}
