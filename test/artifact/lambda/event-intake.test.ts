import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openSqliteArtifactDb, type ArtifactDb } from '../../../src/artifact/cache/artifact-db.js';
import { ScanCache } from '../../../src/artifact/cache/scan-cache.js';
import { createIntakeServer, handleEvent } from '../../../src/artifact/lambda/event-intake.js';
import { scanLambda, type FunctionResult } from '../../../src/artifact/lambda/lambda-scanner.js';
import { InProcessScanQueue } from '../../../src/artifact/lambda/scan-queue.js';
import { readAdvisories } from '../../../src/artifact/osv/osv-importer.js';
import { DATA_DIR } from '../osv/fixtures.js';
import { buildZip } from '../osv/zip-writer.js';
import { BASE_ACCESS_KEY, BASE_SECRET, FakeAws } from './fake-aws.js';
import { lockfileInventory, packageLock } from './lock-inventory.js';

const EVENTS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'test', 'artifact', 'lambda', 'events');
const event = (name: string): unknown => JSON.parse(readFileSync(join(EVENTS, name), 'utf8'));

describe('event intake: handleEvent on CloudTrail-shaped events', () => {
  it('CreateFunction via EventBridge: the ARN from responseElements', () => {
    assert.deepEqual(handleEvent(event('create-function.eventbridge.json')), {
      status: 202,
      body: { accepted: true, eventName: 'CreateFunction20150331', functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:orders-api' },
    });
  });
  it('UpdateFunctionCode via EventBridge and as a bare CloudTrail record (name resolved with region and account)', () => {
    const a = handleEvent(event('update-function-code.eventbridge.json'));
    assert.equal(a.status, 202);
    assert.equal(a.status === 202 && a.body.functionArn, 'arn:aws:lambda:eu-west-1:111111111111:function:busy-fn');
    const b = handleEvent(event('update-function-code.cloudtrail-record.json'));
    assert.equal(b.status === 202 && b.body.functionArn, 'arn:aws:lambda:us-east-1:111111111111:function:billing-api');
  });
  it('ignores failed calls and calls that change no code', () => {
    const denied = handleEvent(event('update-function-code.denied.json'));
    assert.equal(denied.status, 200);
    assert.match(JSON.stringify(denied.body), /AccessDenied/);
    const read = handleEvent(event('get-function.eventbridge.json'));
    assert.equal(read.status, 200);
    assert.match(JSON.stringify(read.body), /GetFunction20150331v2 does not change function code/);
    assert.equal(handleEvent({ source: 'aws.s3', detail: { eventName: 'PutObject' } }).status, 200);
  });
  it('rejects malformed events with 400 and the reason', () => {
    const noName = handleEvent(event('malformed-no-event-name.json'));
    assert.deepEqual(noName, { status: 400, body: { error: 'event has no detail.eventName' } });
    const badArn = handleEvent(event('malformed-bad-arn.json'));
    assert.equal(badArn.status, 400);
    assert.match(badArn.status === 400 ? badArn.body.error : '', /"arn:aws:lambda:us-east-1:111:function:orders-api" is not a Lambda function ARN/);
    for (const bad of [null, [], 'x', 42, { detail: { eventName: 'CreateFunction20150331' } }, { detail: { eventName: 'CreateFunction20150331', requestParameters: { functionName: 'f' } } }]) {
      assert.equal(handleEvent(bad).status, 400, JSON.stringify(bad));
    }
  });
});

describe('event intake: HTTP server → queue → scan', () => {
  const A = '111111111111';
  let fake: FakeAws;
  let db: ArtifactDb;
  const scanned: FunctionResult[] = [];
  let queue: InProcessScanQueue;
  let server: ReturnType<typeof createIntakeServer>;
  let url = '';

  before(async () => {
    fake = new FakeAws({
      functions: [
        { name: 'orders-api', account: A, region: 'us-east-1', zip: buildZip([{ name: 'package-lock.json', data: packageLock('orders', { lodash: '4.17.15' }) }]) },
        { name: 'busy-fn', account: A, region: 'eu-west-1', zip: buildZip([{ name: 'package-lock.json', data: packageLock('busy', { minimist: '1.2.5' }) }]) },
      ],
      layers: [],
      baseAccount: A,
    });
    await fake.start();
    db = await openSqliteArtifactDb(':memory:');
    await db.migrate();
    await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'ghsa')));
    const cache = new ScanCache(db);
    queue = new InProcessScanQueue(async (arn) => {
      const report = await scanLambda({
        regions: [arn.split(':')[3]!], endpoint: fake.endpoint, credentials: { accessKeyId: BASE_ACCESS_KEY, secretAccessKey: BASE_SECRET },
        functions: [arn], inventory: lockfileInventory, cache, env: {},
      });
      scanned.push(...report.functions);
    });
    server = createIntakeServer(queue, { maxBodyBytes: 64 * 1024 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await fake.stop();
    await db.close();
  });

  const post = (body: string, path = '/events', type = 'application/json'): Promise<Response> => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('accepts code-change events with 202 and scans the changed functions', async () => {
    const r1 = await post(readFileSync(join(EVENTS, 'create-function.eventbridge.json'), 'utf8'));
    assert.equal(r1.status, 202);
    assert.equal(((await r1.json()) as { functionArn: string }).functionArn, `arn:aws:lambda:us-east-1:${A}:function:orders-api`);
    const r2 = await post(readFileSync(join(EVENTS, 'update-function-code.eventbridge.json'), 'utf8'));
    assert.equal(r2.status, 202);
    await queue.idle();
    assert.deepEqual(scanned.map((f) => [f.name, f.status, f.findings.map((x) => x.advisoryId)]), [
      ['orders-api', 'scanned', ['GHSA-p6mc-m468-83gw']],
      ['busy-fn', 'scanned', ['GHSA-xvch-5gv4-984h']],
    ]);
  });

  it('answers 200 for ignored events and 400/404/405/413/415 for bad requests, enqueuing nothing', async () => {
    const n = scanned.length;
    assert.equal((await post(readFileSync(join(EVENTS, 'get-function.eventbridge.json'), 'utf8'))).status, 200);
    const bad = await post(readFileSync(join(EVENTS, 'malformed-bad-arn.json'), 'utf8'));
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /is not a Lambda function ARN/);
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post('{}', '/elsewhere')).status, 404);
    assert.equal((await fetch(`${url}/events`)).status, 405);
    assert.equal((await post('{}', '/events', 'text/plain')).status, 415);
    assert.equal((await post(JSON.stringify({ pad: 'x'.repeat(70 * 1024) }))).status, 413);
    await queue.idle();
    assert.equal(scanned.length, n);
    assert.deepEqual(queue.pending(), []);
  });
});
