import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressReporter, formatProgressLine, progressModeFor } from '../../src/progress/progress-reporter.js';

describe('progress reporter', () => {
  it('formats done/planned, rate, open found and ETA', () => {
    const line = formatProgressLine({ phase: 'scan ports', done: 250, planned: 1000, sent: 300, openFound: 7 }, 2000, undefined);
    assert.match(line, /25\.0% 250\/1000 probes/);
    assert.match(line, /150\/s/);
    assert.match(line, /open 7/);
    assert.match(line, /ETA 00:06/);
    const bar = formatProgressLine({ phase: 'scan ports', done: 500, planned: 1000, sent: 500, openFound: 0 }, 1000, 100);
    assert.match(bar, /\[#+\.+\]/);
  });

  it('picks a mode from the stream and -q', () => {
    assert.equal(progressModeFor(Object.assign(new PassThrough(), { isTTY: true }), false), 'tty');
    assert.equal(progressModeFor(new PassThrough(), false), 'plain');
    assert.equal(progressModeFor(Object.assign(new PassThrough(), { isTTY: true }), true), 'off');
  });

  it('writes plain lines periodically, nothing when off', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString(); });
    const r = new ProgressReporter(out, 'plain', () => ({ phase: 'p', done: 1, planned: 2, sent: 1, openFound: 0 }), 20);
    r.start();
    await new Promise((res) => setTimeout(res, 110));
    r.stop();
    assert.ok(text.split('\n').filter(Boolean).length >= 3, text);
    assert.ok(!text.includes('\r'));
    const silent = new PassThrough();
    let any = '';
    silent.on('data', (d: Buffer) => { any += d.toString(); });
    const off = new ProgressReporter(silent, 'off', () => ({ phase: 'p', done: 1, planned: 2, sent: 1, openFound: 0 }), 10);
    off.start();
    await new Promise((res) => setTimeout(res, 40));
    off.stop();
    assert.equal(any, '');
  });
});
