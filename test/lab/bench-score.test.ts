import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseJsonLines, parseMasscanList, parseNmapXml, scorePairs, truthPairs } from '../../bench/bench-score.js';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const hasNmap = spawnSync('sh', ['-c', 'command -v nmap'], { encoding: 'utf8' }).status === 0;
const hasTrawl = existsSync(join(REPO, 'dist', 'src', 'apps', 'cli', 'main.js'));

describe('bench scoring', () => {
  it('parses masscan -oL and JSON lines, and scores recall and precision', () => {
    // Parsing only: these addresses are never contacted.
    const masscan = '#masscan\nopen tcp 80 198.19.0.5 1700000000\nopen tcp 22 198.19.0.9 1700000001\nbanner tcp 22 198.19.0.9 1700000001 ssh SSH-2.0-x\n# end\n';
    assert.deepEqual([...parseMasscanList(masscan)].sort(), ['198.19.0.5:80', '198.19.0.9:22']);
    const jsonl = [
      '{"type":"port","ip":"198.19.0.5","port":80,"proto":"tcp","state":"open"}',
      '{"type":"port","ip":"198.19.0.6","port":80,"proto":"tcp","state":"closed"}',
      'not json',
      '{"type":"port","ip":"198.19.0.7","port":443,"state":"open"}',
      '{"type":"port","ip":"198.19.0.8","po',
    ].join('\n');
    assert.deepEqual([...parseJsonLines(jsonl)].sort(), ['198.19.0.5:80', '198.19.0.7:443']);
    const truth = truthPairs({ '198.19.0.5': [80, 8080], '198.19.0.9': [22] });
    const s = scorePairs(truth, new Set(['198.19.0.5:80', '198.19.0.9:22', '198.19.0.10:22']));
    assert.deepEqual(s, { truth: 3, found: 3, correct: 2, recall: 2 / 3, precision: 2 / 3 });
    const limited = scorePairs(truth, new Set(['198.19.0.5:80']), new Set([80]));
    assert.deepEqual(limited, { truth: 1, found: 1, correct: 1, recall: 1, precision: 1 });
    assert.equal(scorePairs(truth, new Set()).precision, 0);
  });
});

describe('bench scoring against real scanners on the loopback lab', () => {
  let lab: LoopbackLab;
  let targets: string[];
  let ports: string;
  before(async () => {
    lab = await startLoopbackLab({ subnet: '127.77.206.0/24', seed: 9 });
    targets = [...new Set([...lab.services.map((s) => s.ip), ...lab.closed.map((c) => c.ip)])];
    ports = [...new Set([...lab.services.map((s) => s.port), ...lab.closed.map((c) => c.port)])].join(',');
  });
  after(async () => {
    await lab?.stop();
  });
  const truth = (): Set<string> => new Set(lab.services.map((s) => `${s.ip}:${s.port}`));

  it('nmap -sT -oX output scores recall 1 and precision 1', { skip: hasNmap ? false : 'nmap not installed' }, () => {
    const r = spawnSync('nmap', ['-sT', '-Pn', '-n', '-T4', '-p', ports, '-oX', '-', ...targets], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const found = parseNmapXml(r.stdout);
    assert.deepEqual([...found].sort(), [...truth()].sort());
    assert.deepEqual(scorePairs(truth(), found), { truth: lab.services.length, found: lab.services.length, correct: lab.services.length, recall: 1, precision: 1 });
  });

  it('trawl scan -oJ output is read the same way', { skip: hasTrawl ? false : 'trawl CLI not built' }, () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'trawl.js'), 'scan', ...targets, '-p', ports, '-oJ', '-', '-q'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TRAWL_EGRESS_ALLOW: '127.77.206.0/24' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...parseJsonLines(r.stdout)].sort(), [...truth()].sort());
  });
});
