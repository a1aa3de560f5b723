import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckRegistry, builtinRegistry, parseCheckSelection } from '../../src/checks/check-registry.js';
import { BUILTIN_CHECKS } from '../../src/checks/builtin/index.js';
import type { Check } from '../../src/checks/check.js';
import { isTrawlError } from '../../src/errors/index.js';

/** An intrusive check for the selection rules (never run here). */
const intrusive: Check = {
  id: 'demo-intrusive',
  title: 'Demo intrusive check',
  severity: 'high',
  safe: false,
  traffic: 'requests',
  description: 'stands for an opt-in check that is not read-only',
  remediation: 'n/a',
  references: {},
  appliesTo: () => true,
  run: async () => [],
};

describe('--checks selection', () => {
  const registry = new CheckRegistry([...BUILTIN_CHECKS, intrusive]);
  const ids = (spec: string): string[] => parseCheckSelection(spec, registry).map((c) => c.id);

  it('none selects nothing; all selects everything, intrusive included; safe excludes it', () => {
    assert.deepEqual(ids('none'), []);
    assert.equal(ids('all').length, BUILTIN_CHECKS.length + 1);
    assert.ok(ids('all').includes('demo-intrusive'));
    assert.deepEqual(ids('safe'), BUILTIN_CHECKS.map((c) => c.id));
    assert.ok(!ids('safe').includes('demo-intrusive'));
  });

  it('ids select exactly those, in registry order, without duplicates; keywords mix in', () => {
    assert.deepEqual(ids('ssh-terrapin,tls-expired-cert,ssh-terrapin'), ['tls-expired-cert', 'ssh-terrapin']);
    assert.deepEqual(ids(' redis-no-auth , demo-intrusive '), ['redis-no-auth', 'demo-intrusive']);
    assert.equal(ids('safe,demo-intrusive').length, BUILTIN_CHECKS.length + 1);
  });

  it('an unknown id is a TrawlError naming it', () => {
    assert.throws(
      () => parseCheckSelection('tls-expired-cert,tls-expird-cert', registry),
      (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION' && e.message.includes("'tls-expird-cert'") && e.detail['value'] === 'tls-expird-cert',
    );
    assert.throws(() => parseCheckSelection('', registry), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION');
    assert.throws(() => parseCheckSelection('safe,,x', registry), (e: unknown) => isTrawlError(e) && /empty entry/.test(e.message));
    assert.throws(() => parseCheckSelection('none,redis-no-auth', registry), (e: unknown) => isTrawlError(e) && /none/.test(e.message));
  });

  it('the default registry holds the built-in checks; ids are unique and well-formed', () => {
    assert.deepEqual(parseCheckSelection('all').map((c) => c.id), BUILTIN_CHECKS.map((c) => c.id));
    assert.throws(() => builtinRegistry().register(BUILTIN_CHECKS[0]!), (e: unknown) => isTrawlError(e) && /registered twice/.test(e.message));
    assert.throws(() => new CheckRegistry().register({ ...intrusive, id: 'Bad Id' }), (e: unknown) => isTrawlError(e) && /'Bad Id'/.test(e.message));
  });
});
