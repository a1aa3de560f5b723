import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Ecosystem, PackageRef } from '../../../src/artifact/package-ref.js';

/** test/artifact/data in the source tree (tests run from dist, data is not compiled). */
export const DATA_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'test', 'artifact', 'data');

const PURL_TYPE: Record<Ecosystem, string> = {
  npm: 'npm', PyPI: 'pypi', Go: 'golang', 'crates.io': 'cargo', RubyGems: 'gem', Packagist: 'composer', Maven: 'maven', NuGet: 'nuget', Debian: 'deb', Alpine: 'apk',
};

export function pkg(ecosystem: Ecosystem, name: string, version: string, extra: { distro?: string; dev?: boolean } = {}): PackageRef {
  const purlName = ecosystem === 'Maven' ? name.replace(':', '/') : encodeURIComponent(name).replaceAll('%2F', '/');
  return { ecosystem, name, version, purl: `pkg:${PURL_TYPE[ecosystem]}/${purlName}@${encodeURIComponent(version)}`, source: 'test', ...extra };
}
