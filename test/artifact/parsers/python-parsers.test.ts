import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { pipfileLockParser } from '../../../src/artifact/parsers/pipfile-lock-parser.js';
import { poetryLockParser } from '../../../src/artifact/parsers/poetry-lock-parser.js';
import { pythonMetadataParser } from '../../../src/artifact/parsers/python-metadata-parser.js';
import { requirementsParser } from '../../../src/artifact/parsers/requirements-parser.js';
import { readFixture } from '../fixtures/fixture-files.js';

const brief = (refs: PackageRef[]): string[] => refs.map((r) => `${r.name}@${r.version}${r.dev === true ? ' dev' : ''}`).sort();

describe('requirements.txt', () => {
  it('takes exact pins only and notes the rest as of unknown version', () => {
    const notes: string[] = [];
    const refs = requirementsParser.parse('requirements.txt', readFixture('python/requirements.txt'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['Pillow@9.0.0', 'boto3@1.28.57', 'botocore@1.31.57', 'urllib3@1.26.17']);
    assert.equal(refs.find((r) => r.name === 'Pillow')?.purl, 'pkg:pypi/pillow@9.0.0');
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /4 requirements not pinned with ==, version unknown: requests >=2\.28, PyYAML, certifi @ https:\/\/files\.pythonhosted\.org\/packages\/certifi-2023\.7\.22-py3-none-any\.whl, Django ==4\.2\.\*/);
  });

  it('matches requirements*.txt anywhere but in site-packages', () => {
    assert.ok(requirementsParser.match('requirements.txt'));
    assert.ok(requirementsParser.match('app/requirements-prod.txt'));
    assert.equal(requirementsParser.match('lib/python3.11/site-packages/x/requirements.txt'), false);
    assert.equal(requirementsParser.match('dev-requirements.md'), false);
  });
});

describe('poetry.lock', () => {
  it('reads [[package]] tables, flags old-style dev category, notes git sources', () => {
    const notes: string[] = [];
    const refs = poetryLockParser.parse('poetry.lock', readFixture('python/poetry.lock'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['Jinja2@3.1.2', 'certifi@2023.7.22', 'pytest@7.4.3 dev']);
    assert.equal(refs.find((r) => r.name === 'Jinja2')?.purl, 'pkg:pypi/jinja2@3.1.2');
    assert.deepEqual(notes, ['poetry.lock: 1 packages from non-PyPI sources not matched: imgtools (git)']);
  });
});

describe('Pipfile.lock', () => {
  it('reads default and develop, strips ==, notes VCS entries', () => {
    const notes: string[] = [];
    const refs = pipfileLockParser.parse('Pipfile.lock', readFixture('python/Pipfile.lock'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['black@23.11.0 dev', 'flask@2.2.2', 'werkzeug@2.2.3']);
    assert.match(notes[0] ?? '', /imgtools/);
  });
});

describe('installed METADATA', () => {
  it('reads Name and Version from the header block only', () => {
    const path = 'python/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA';
    assert.ok(pythonMetadataParser.match(path));
    assert.ok(pythonMetadataParser.match('site-packages/foo.egg-info/PKG-INFO'));
    assert.equal(pythonMetadataParser.match('METADATA'), false);
    assert.deepEqual(pythonMetadataParser.parse(path, readFixture('python/METADATA')), [{ ecosystem: 'PyPI', name: 'urllib3', version: '1.26.5', purl: 'pkg:pypi/urllib3@1.26.5', source: path }]);
  });
});
