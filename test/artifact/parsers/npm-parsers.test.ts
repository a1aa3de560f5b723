import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { npmInstalledParser } from '../../../src/artifact/parsers/npm-installed-parser.js';
import { npmLockParser } from '../../../src/artifact/parsers/npm-lock-parser.js';
import { pnpmLockParser } from '../../../src/artifact/parsers/pnpm-lock-parser.js';
import { yarnLockParser } from '../../../src/artifact/parsers/yarn-lock-parser.js';
import { readFixture } from '../fixtures/fixture-files.js';

const brief = (refs: PackageRef[]): string[] => refs.map((r) => `${r.name}@${r.version}${r.dev === true ? ' dev' : ''}`).sort();

describe('npm package-lock.json', () => {
  it('v1: walks the nested dependencies tree, resolves aliases, skips file: specs with a note', () => {
    const notes: string[] = [];
    const refs = npmLockParser.parse('package-lock.json', readFixture('npm/package-lock-v1.json'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['@types/node@14.18.63 dev', 'axios@0.21.1', 'follow-redirects@1.14.8', 'lodash@4.17.20', 'minimist@1.2.5', 'node-fetch@2.6.1', 'whatwg-url@5.0.0']);
    const scoped = refs.find((r) => r.name === '@types/node');
    assert.equal(scoped?.purl, 'pkg:npm/%40types/node@14.18.63');
    assert.equal(scoped?.source, 'package-lock.json');
    assert.equal(scoped?.ecosystem, 'npm');
    assert.deepEqual(notes, ['package-lock.json: 1 non-registry dependencies not matched (e.g. local-utils@file:../local-utils)']);
  });

  it('v2: reads "packages" (nested install paths included), not the duplicate v1 tree', () => {
    const refs = npmLockParser.parse('app/package-lock.json', readFixture('npm/package-lock-v2.json'));
    assert.deepEqual(brief(refs), ['jest@29.7.0 dev', 'jsonwebtoken@8.5.1', 'semver@5.7.1', 'semver@7.3.7']);
  });

  it('v3: honours "name" of aliased installs, skips links and workspace sources', () => {
    const refs = npmLockParser.parse('package-lock.json', readFixture('npm/package-lock-v3.json'));
    assert.deepEqual(brief(refs), ['@aws-sdk/client-s3@3.400.0', '@img/sharp-linux-x64@0.33.2', 'string-width@4.2.3', 'vitest@1.2.2 dev']);
    assert.equal(refs.find((r) => r.name === '@aws-sdk/client-s3')?.purl, 'pkg:npm/%40aws-sdk/client-s3@3.400.0');
  });

  it('matches lockfiles outside node_modules only', () => {
    assert.ok(npmLockParser.match('package-lock.json'));
    assert.ok(npmLockParser.match('app/npm-shrinkwrap.json'));
    assert.equal(npmLockParser.match('node_modules/x/package-lock.json'), false);
  });

  it('rejects what is not a lockfile with TRAWL_E_ARTIFACT_FORMAT', () => {
    assert.throws(() => npmLockParser.parse('package-lock.json', Buffer.from('{"name":"x"}')), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT' && /package-lock\.json: neither/.test(e.message));
    assert.throws(() => npmLockParser.parse('package-lock.json', Buffer.from('{"packages":')), /not valid JSON/);
  });

  it('bounds the v1 tree depth', () => {
    let deps = '{}';
    for (let i = 0; i < 300; i++) deps = `{"d${i}":{"version":"1.0.0","dependencies":${deps}}}`;
    assert.throws(() => npmLockParser.parse('package-lock.json', Buffer.from(`{"dependencies":${deps}}`)), /dependency tree deeper than 256/);
  });
});

describe('yarn.lock', () => {
  it('v1: entries with several specifiers once, aliases to the real package, git entries noted', () => {
    const notes: string[] = [];
    const refs = yarnLockParser.parse('yarn.lock', readFixture('npm/yarn-v1.lock'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['@babel/code-frame@7.12.13', 'ansi-regex@5.0.0', 'lodash@4.17.15', 'string-width@4.2.3']);
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /1 non-registry entries not matched \(e\.g\. my-fork@1\.0\.0\)/);
  });

  it('berry: npm resolutions only (workspace and patch entries are not packages)', () => {
    const refs = yarnLockParser.parse('yarn.lock', readFixture('npm/yarn-berry.lock'));
    assert.deepEqual(brief(refs), ['@types/aws-lambda@8.10.119', 'minimist@1.2.5', 'resolve@1.22.8']);
  });
});

describe('pnpm-lock.yaml', () => {
  it('v5 keys /name/version_peer', () => {
    const refs = pnpmLockParser.parse('pnpm-lock.yaml', readFixture('npm/pnpm-lock-v5.yaml'));
    assert.deepEqual(brief(refs), ['@babel/runtime@7.20.7', 'express@4.17.1', 'react-dom@18.2.0', 'typescript@4.9.5 dev']);
  });

  it('v6 keys /name@version(peer)', () => {
    const refs = pnpmLockParser.parse('pnpm-lock.yaml', readFixture('npm/pnpm-lock-v6.yaml'));
    assert.deepEqual(brief(refs), ['@aws-sdk/client-dynamodb@3.450.0', 'esbuild@0.19.5 dev', 'react-dom@18.2.0', 'react@18.2.0']);
  });

  it('v9 keys name@version, tarball entries noted', () => {
    const notes: string[] = [];
    const refs = pnpmLockParser.parse('pnpm-lock.yaml', readFixture('npm/pnpm-lock-v9.yaml'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['@middy/core@5.1.0', 'react-dom@18.2.0', 'react@18.2.0']);
    assert.match(notes[0] ?? '', /tiny-helper@https:/);
  });

  it('refuses YAML alias bombs', () => {
    const lines = ['lockfileVersion: 5.4', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const t = performance.now();
    assert.throws(() => pnpmLockParser.parse('pnpm-lock.yaml', Buffer.from(lines.join('\n'))), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT');
    assert.ok(performance.now() - t < 1000);
  });
});

describe('installed node_modules package.json', () => {
  it('reads the package at node_modules/<name>/package.json, scoped or not', () => {
    const refs = npmInstalledParser.parse('var/task/node_modules/express/package.json', readFixture('npm/express-package.json'));
    assert.deepEqual(refs, [{ ecosystem: 'npm', name: 'express', version: '4.17.1', purl: 'pkg:npm/express@4.17.1', source: 'var/task/node_modules/express/package.json' }]);
    assert.ok(npmInstalledParser.match('node_modules/@smithy/types/package.json'));
    assert.ok(npmInstalledParser.match('node_modules/a/node_modules/b/package.json'));
    assert.ok(npmInstalledParser.match('node_modules/.pnpm/a@1.0.0/node_modules/a/package.json'));
  });

  it('ignores package.json files that are not package roots', () => {
    assert.equal(npmInstalledParser.match('package.json'), false);
    assert.equal(npmInstalledParser.match('node_modules/uuid/dist/esm-node/package.json'), false);
    assert.equal(npmInstalledParser.match('node_modules/.bin/package.json'), false);
    assert.deepEqual(npmInstalledParser.parse('node_modules/x/package.json', Buffer.from('{"type":"module"}')), []);
  });
});
