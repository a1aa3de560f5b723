// Shared fixtures for the output tests: observations and scan records built directly from the model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortObservation } from '../../src/model/observation.js';
import { emptyCounters, type ScanRecord } from '../../src/model/scan.js';
import type { ScanSummaryInfo } from '../../src/output/result-writer.js';

export const scanId = '01J9ZX4Q8T3VQ6P2M1N0ABCDEF';

export function obs(ip: string, port: number, extra: Partial<PortObservation> = {}): PortObservation {
  return { type: 'port', scanId, ip, port, proto: 'tcp', state: 'open', ts: '2024-05-06T07:08:09.000Z', evidence: 'syn-ack', ...extra };
}

/** A small (ip, port)-sorted set: IPv4 and IPv6, hostnames with XML/CSV metacharacters, a formula. */
export const sample: readonly PortObservation[] = [
  obs('127.0.0.1', 22, { rttMs: 0.42, hostname: 'local"host, <&> \'x\'' }),
  obs('127.0.0.1', 80, { rttMs: 1.5, hostname: 'local"host, <&> \'x\'' }),
  obs('127.0.0.1', 8081, { state: 'closed', evidence: 'reset' }),
  obs('127.0.0.2', 443, { hostname: '=HYPERLINK("http://evil.test","x")', rttMs: 3 }),
  obs('127.0.0.3', 3389, { hostname: '-2+3', ts: '2024-05-06T07:08:10.000Z' }),
  obs('::1', 5432, { hostname: 'six\nline\u0001ctl', rttMs: 0.1 }),
  obs('::1', 31337, { state: 'filtered', evidence: 'timeout' }),
];

export function scanRecord(overrides: Partial<ScanRecord> = {}): ScanRecord {
  const counters = { ...emptyCounters(), probesPlanned: 1200n, probesSent: 1210n, probesAnswered: 1100n, probesTimedOut: 100n, probesRetried: 10n, probesSkippedBlocklist: 3n, probesSkippedDown: 7n, openFound: 5n, discoveryProbesSent: 40n };
  return {
    id: scanId,
    createdAt: '2024-05-06T07:08:00.000Z',
    finishedAt: '2024-05-06T07:08:12.500Z',
    status: 'done',
    spec: {
      targets: ['127.0.0.0/30', '::1'], targetFiles: [], excludes: [], excludeFiles: [],
      ports: [22, 80, 443, 3389, 5432, 8081, 31337, 21, 23, 24, 25],
      resolved: {}, seed: '42', shard: { index: 0, count: 1 }, options: {},
    },
    counters,
    ...overrides,
  };
}

export function summaryInfo(overrides: Partial<ScanSummaryInfo> = {}): ScanSummaryInfo {
  return {
    scan: scanRecord(),
    startedAt: '2024-05-06T07:08:00.000Z',
    finishedAt: '2024-05-06T07:08:12.500Z',
    elapsedSeconds: 12.5,
    args: ['scan', '-p', '21-25,80,443', '--rate', '1000', '127.0.0.0/30', "it's <here>"],
    ...overrides,
  };
}

export async function* iterate<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) yield item;
}

/** A fresh directory under the OS temp dir; remove it with `cleanup`. */
export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-output-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
