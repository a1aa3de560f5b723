import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { cargoLockParser } from '../../../src/artifact/parsers/cargo-lock-parser.js';
import { composerLockParser } from '../../../src/artifact/parsers/composer-lock-parser.js';
import { dotnetDepsParser } from '../../../src/artifact/parsers/dotnet-deps-parser.js';
import { gemfileLockParser } from '../../../src/artifact/parsers/gemfile-lock-parser.js';
import { jarManifestParser, parseProperties, pomPropertiesParser, reconcileJarRefs } from '../../../src/artifact/parsers/java-archive-parser.js';
import { readFixture } from '../fixtures/fixture-files.js';

const brief = (refs: PackageRef[]): string[] => refs.map((r) => `${r.name}@${r.version}${r.dev === true ? ' dev' : ''}`).sort();

describe('Cargo.lock', () => {
  it('crates.io (git index and sparse) only; workspace members skipped; git crates noted', () => {
    const notes: string[] = [];
    const refs = cargoLockParser.parse('Cargo.lock', readFixture('rust/Cargo.lock'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['aho-corasick@1.1.2', 'lambda_runtime@0.8.3', 'memchr@2.6.4', 'regex@1.5.4']);
    assert.equal(refs.find((r) => r.name === 'regex')?.purl, 'pkg:cargo/regex@1.5.4');
    assert.deepEqual(notes, ['Cargo.lock: 1 crates not from crates.io not matched: internal-sdk (git+https://github.com/acme/internal-sdk)']);
  });
});

describe('Gemfile.lock', () => {
  it('GEM specs at four spaces, platform split off the version, GIT gems noted', () => {
    const notes: string[] = [];
    const refs = gemfileLockParser.parse('Gemfile.lock', readFixture('ruby/Gemfile.lock'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['actionpack@7.0.4', 'aws-eventstream@1.2.0', 'aws-sdk-core@3.171.0', 'jmespath@1.6.2', 'nokogiri@1.13.10', 'rack@2.2.6.2']);
    assert.equal(refs.find((r) => r.name === 'nokogiri')?.purl, 'pkg:gem/nokogiri@1.13.10?platform=x86_64-linux');
    assert.deepEqual(notes, ['Gemfile.lock: 1 gems from git/path sources not matched: lambda-helpers (GIT)']);
  });
});

describe('composer.lock', () => {
  it('packages and packages-dev, v prefix dropped, purl lowercased', () => {
    const refs = composerLockParser.parse('composer.lock', readFixture('php/composer.lock'));
    assert.deepEqual(brief(refs), ['Monolog/Monolog@2.9.1', 'guzzlehttp/guzzle@7.4.4', 'phpunit/phpunit@9.6.13 dev', 'symfony/http-foundation@6.3.0']);
    assert.equal(refs.find((r) => r.name === 'Monolog/Monolog')?.purl, 'pkg:composer/monolog/monolog@2.9.1');
  });
});

describe('.NET deps.json', () => {
  it('NuGet packages from "libraries", the project itself skipped', () => {
    const refs = dotnetDepsParser.parse('OrdersFunction.deps.json', readFixture('dotnet/OrdersFunction.deps.json'));
    assert.deepEqual(brief(refs), ['Amazon.Lambda.Core@2.2.0', 'Newtonsoft.Json@13.0.1', 'System.Text.Encodings.Web@4.7.1']);
    assert.equal(refs.find((r) => r.name === 'Newtonsoft.Json')?.purl, 'pkg:nuget/Newtonsoft.Json@13.0.1');
  });
});

describe('Java archives', () => {
  it('pom.properties gives Maven coordinates', () => {
    const path = 'lib/jackson-databind-2.13.4.1.jar!/META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties';
    assert.ok(pomPropertiesParser.match(path));
    assert.deepEqual(pomPropertiesParser.parse(path, readFixture('java/pom.properties')), [
      { ecosystem: 'Maven', name: 'com.fasterxml.jackson.core:jackson-databind', version: '2.13.4.1', purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4.1', source: path },
    ]);
  });

  it('MANIFEST.MF: vendor id + title, wrapped 72-column lines, main section only', () => {
    const refs = jarManifestParser.parse('x.jar!/META-INF/MANIFEST.MF', readFixture('java/MANIFEST.MF'));
    assert.deepEqual(brief(refs), ['com.fasterxml.jackson.core:jackson-databind@2.13.4.1']);
  });

  it('MANIFEST.MF: Bundle-SymbolicName (wrapped, with directives) as a fallback; an app manifest gives nothing', () => {
    assert.deepEqual(brief(jarManifestParser.parse('log4j-core.jar!/META-INF/MANIFEST.MF', readFixture('java/MANIFEST-bundle-only.MF'))), ['org.apache.logging.log4j:core@2.14.1']);
    assert.deepEqual(jarManifestParser.parse('META-INF/MANIFEST.MF', readFixture('java/MANIFEST-spring-boot.MF')), []);
    assert.ok(jarManifestParser.match('META-INF/MANIFEST.MF'));
    assert.equal(jarManifestParser.match('WEB-INF/classes/META-INF/MANIFEST.MF'), false);
  });

  it('pom.properties wins over MANIFEST.MF within the same jar, not across jars', () => {
    const pom = pomPropertiesParser.parse('a.jar!/META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties', readFixture('java/pom.properties'));
    const manifestA = jarManifestParser.parse('a.jar!/META-INF/MANIFEST.MF', readFixture('java/MANIFEST.MF'));
    const manifestB = jarManifestParser.parse('b.jar!/META-INF/MANIFEST.MF', readFixture('java/MANIFEST-bundle-only.MF'));
    const kept = reconcileJarRefs([...pom, ...manifestA, ...manifestB]);
    assert.deepEqual(kept.map((r) => r.source), ['a.jar!/META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties', 'b.jar!/META-INF/MANIFEST.MF']);
  });

  it('properties syntax: separators, continuations, escapes', () => {
    const p = parseProperties('# c\n! c\nkey1=value1\nkey2 : value2\nkey3 value3\nlong=a\\\n    b\\\\\nuni=\\u0041\n');
    assert.equal(p.get('key1'), 'value1');
    assert.equal(p.get('key2'), 'value2');
    assert.equal(p.get('key3'), 'value3');
    assert.equal(p.get('long'), 'ab\\');
    assert.equal(p.get('uni'), 'A');
  });
});
