import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteArtifactDb, type ArtifactDb } from '../../../src/artifact/cache/artifact-db.js';
import { ScanCache } from '../../../src/artifact/cache/scan-cache.js';
import { scanLambda, type FunctionResult, type LambdaScanOptions } from '../../../src/artifact/lambda/lambda-scanner.js';
import { readAdvisories } from '../../../src/artifact/osv/osv-importer.js';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { DATA_DIR } from '../osv/fixtures.js';
import { buildZip } from '../osv/zip-writer.js';
import { BASE_ACCESS_KEY, BASE_SECRET, FakeAws, type FakeFunction } from './fake-aws.js';
import { lockfileInventory, packageLock } from './lock-inventory.js';

const A = '111111111111';
const B = '222222222222';
const LAYER = `arn:aws:lambda:us-east-1:${A}:layer:shared-deps:3`;

const fnZip = (deps: Record<string, string>): Buffer => buildZip([
  { name: 'index.js', data: 'exports.handler = async () => ({ statusCode: 200 });\n' },
  { name: 'package.json', data: '{"name":"fn","version":"1.0.0"}' },
  { name: 'package-lock.json', data: packageLock('fn', deps) },
]);

function functions(): FakeFunction[] {
  return [
    { name: 'orders-api', account: A, region: 'us-east-1', zip: fnZip({ lodash: '4.17.15', minimist: '1.2.5' }), layers: [LAYER] },
    { name: 'billing-api', account: A, region: 'us-east-1', zip: fnZip({ lodash: '4.17.21' }), layers: [LAYER] },
    { name: 'image-fn', account: A, region: 'us-east-1', packageType: 'Image' },
    { name: 'trawl-scanner', account: A, region: 'us-east-1', zip: fnZip({ minimist: '1.2.0' }) },
    { name: 'reports-debug', account: A, region: 'eu-west-1', zip: fnZip({ minimist: '1.2.0' }) },
    { name: 'broken-fn', account: A, region: 'eu-west-1', zip: fnZip({ lodash: '4.17.15' }), brokenCode: true },
    { name: 'busy-fn', account: A, region: 'eu-west-1', zip: fnZip({ minimist: '0.2.1' }), throttle: 2 },
    { name: 'partner-fn', account: B, region: 'us-east-1', zip: fnZip({ minimist: '1.2.5' }) },
  ];
}

describe('Lambda scanning against a local Lambda REST API, with the real AWS SDK', () => {
  let fake: FakeAws;
  let db: ArtifactDb;
  let cache: ScanCache;

  before(async () => {
    fake = new FakeAws({
      functions: functions(),
      layers: [{ arn: LAYER, zip: buildZip([{ name: 'nodejs/package-lock.json', data: packageLock('layer', { 'node-serialize': '0.0.4' }) }]) }],
      baseAccount: A,
      roles: [{ roleArn: `arn:aws:iam::${B}:role/TrawlScanner`, externalId: 'trawl-ext-7f3a', account: B }],
      pageSize: 2,
    });
    await fake.start();
    db = await openSqliteArtifactDb(':memory:');
    await db.migrate();
    await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'ghsa')));
    cache = new ScanCache(db);
  });
  after(async () => {
    await fake.stop();
    await db.close();
  });

  const options = (extra: Partial<LambdaScanOptions> = {}): LambdaScanOptions => ({
    regions: ['us-east-1', 'eu-west-1'],
    endpoint: fake.endpoint,
    credentials: { accessKeyId: BASE_ACCESS_KEY, secretAccessKey: BASE_SECRET },
    exclude: ['*-debug'],
    concurrency: 3,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    inventory: lockfileInventory,
    cache,
    env: { AWS_LAMBDA_FUNCTION_NAME: 'trawl-scanner', AWS_REGION: 'us-east-1' },
    ...extra,
  });
  const byName = (fs: readonly FunctionResult[]): Map<string, FunctionResult> => new Map(fs.map((f) => [f.name, f]));
  const ids = (f: FunctionResult | undefined): string[] => (f?.findings ?? []).map((x) => `${x.package}@${x.installedVersion}:${x.advisoryId}`).sort();

  it('lists every region (paginated), scans code and layers, skips itself, excluded and image functions, keeps partial results', async () => {
    const report = await scanLambda(options());
    const fns = byName(report.functions);
    assert.deepEqual([...fns.keys()].sort(), ['billing-api', 'broken-fn', 'busy-fn', 'image-fn', 'orders-api', 'reports-debug', 'trawl-scanner']);
    // Pages of two: us-east-1 has 4 functions of account A (2 pages), eu-west-1 has 3 (2 pages).
    assert.equal(fake.count((r) => /^\/2015-03-31\/functions\/?$/.test(r.path) && r.region === 'us-east-1'), 2);
    assert.equal(fake.count((r) => /^\/2015-03-31\/functions\/?$/.test(r.path) && r.region === 'eu-west-1'), 2);

    assert.deepEqual(ids(fns.get('orders-api')), ['lodash@4.17.15:GHSA-p6mc-m468-83gw', 'minimist@1.2.5:GHSA-xvch-5gv4-984h', 'node-serialize@0.0.4:GHSA-q4v7-4rhw-9hqm']);
    assert.equal(fns.get('orders-api')?.code?.packages, 2);
    assert.equal(fns.get('orders-api')?.layers[0]?.status, 'scanned');
    assert.deepEqual(ids(fns.get('billing-api')), ['node-serialize@0.0.4:GHSA-q4v7-4rhw-9hqm'], 'clean code, vulnerable shared layer');
    assert.equal(fake.count((r) => r.path.startsWith('/2018-10-31/layers/')), 1, 'a layer shared by two functions is fetched once');
    assert.equal(fake.count((r) => r.path.startsWith('/code/layer-')), 1);

    assert.equal(fns.get('trawl-scanner')?.status, 'skipped');
    assert.match(fns.get('trawl-scanner')?.reason ?? '', /self/);
    assert.equal(fns.get('reports-debug')?.status, 'skipped');
    assert.match(fns.get('reports-debug')?.reason ?? '', /excluded by "\*-debug"/);
    assert.equal(fake.count((r) => /functions\/(trawl-scanner|reports-debug|arn[^/]*(trawl-scanner|reports-debug))$/.test(decodeURIComponent(r.path))), 0, 'no GetFunction for skipped functions');

    const image = fns.get('image-fn');
    assert.equal(image?.status, 'skipped');
    assert.equal(image?.packageType, 'Image');
    assert.match(image?.imageUri ?? '', /dkr\.ecr\.us-east-1\.amazonaws\.com\/image-fn:latest/);

    const broken = fns.get('broken-fn');
    assert.equal(broken?.status, 'failed');
    assert.match(broken?.reason ?? '', /broken-fn: downloading http:\/\/127\.0\.0\.1:\d+\/code\/fn-[^?]*\?… answered HTTP 500/);
    assert.doesNotMatch(broken?.reason ?? '', /X-Amz-Signature/, 'presigned query never printed');

    const busy = fns.get('busy-fn');
    assert.equal(busy?.status, 'scanned', 'throttled twice, then served');
    assert.deepEqual(ids(busy), ['minimist@0.2.1:GHSA-xvch-5gv4-984h']);
    assert.ok(report.throttleRetries >= 2);
    assert.equal(report.partial, true);
    assert.deepEqual(report.listErrors, []);
  });

  it('a second run answers from the code-hash cache without downloading', async () => {
    const before = fake.count((r) => r.path.startsWith('/code/'));
    const report = await scanLambda(options({ exclude: ['*-debug', 'broken-*'] }));
    const fns = byName(report.functions);
    assert.equal(fake.count((r) => r.path.startsWith('/code/')), before, 'no package downloaded again');
    assert.equal(fns.get('orders-api')?.code?.cache, 'hit');
    assert.equal(fns.get('orders-api')?.layers[0]?.result?.cache, 'hit');
    assert.equal(ids(fns.get('orders-api')).length, 3);
    assert.equal(report.partial, false);
  });

  it('scans another account through AssumeRole with an external id', async () => {
    const report = await scanLambda(options({ regions: ['us-east-1'], assumeRole: { roleArn: `arn:aws:iam::${B}:role/TrawlScanner`, externalId: 'trawl-ext-7f3a' } }));
    assert.deepEqual(report.functions.map((f) => f.arn), [`arn:aws:lambda:us-east-1:${B}:function:partner-fn`]);
    assert.deepEqual(ids(report.functions[0]), ['minimist@1.2.5:GHSA-xvch-5gv4-984h']);
    assert.ok(fake.count((r) => r.service === 'sts') >= 1);
  });

  it('a wrong external id fails the listing with the STS error, not the run', async () => {
    const report = await scanLambda(options({ regions: ['us-east-1'], assumeRole: { roleArn: `arn:aws:iam::${B}:role/TrawlScanner`, externalId: 'wrong-id' } }));
    assert.deepEqual(report.functions, []);
    assert.equal(report.partial, true);
    assert.match(report.listErrors[0]?.error ?? '', /AssumeRole arn:aws:iam::222222222222:role\/TrawlScanner failed: AccessDenied/);
  });

  it('explicit ARNs: a malformed one is refused naming it, an unknown one fails alone', async () => {
    await assert.rejects(
      scanLambda(options({ functions: ['arn:aws:lambda:us-east-1:1234:function:short-account'] })),
      (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_TARGET' && e.message.includes('arn:aws:lambda:us-east-1:1234:function:short-account'),
    );
    const report = await scanLambda(options({ functions: [`arn:aws:lambda:us-east-1:${A}:function:orders-api`, `arn:aws:lambda:us-east-1:${A}:function:no-such-fn`] }));
    assert.deepEqual(report.functions.map((f) => f.status), ['scanned', 'failed']);
    assert.match(report.functions[1]?.reason ?? '', /ResourceNotFoundException/);
    assert.equal(report.partial, true);
  });

  it('a size cap stops an oversized package', async () => {
    const report = await scanLambda(options({ functions: [`arn:aws:lambda:eu-west-1:${A}:function:busy-fn`], maxCodeBytes: 100, cache: new ScanCache(db, { ttlMs: -1 }) }));
    assert.equal(report.functions[0]?.status, 'failed');
    assert.match(report.functions[0]?.reason ?? '', /more than the 100-byte cap/);
  });
});
