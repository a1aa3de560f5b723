import type { Ecosystem } from '../package-ref.js';
import { alpineVersions } from './alpine-version.js';
import { cratesVersions } from './crates-version.js';
import { debianVersions } from './debian-version.js';
import { goVersions } from './go-version.js';
import { mavenVersions } from './maven-version.js';
import { npmVersions } from './npm-version.js';
import { pep440Versions } from './pep440-version.js';
import { rubygemsVersions } from './rubygems-version.js';
import type { VersionScheme } from './version-scheme.js';

const SCHEMES: Partial<Record<Ecosystem, VersionScheme>> = {
  npm: npmVersions,
  PyPI: pep440Versions,
  Go: goVersions,
  Maven: mavenVersions,
  RubyGems: rubygemsVersions,
  Debian: debianVersions,
  Alpine: alpineVersions,
  'crates.io': cratesVersions,
};

/**
 * The version order of an OSV ecosystem (the part before any `:release` qualifier), or undefined for
 * ecosystems without one yet (Packagist, NuGet): their advisories still match by explicit version lists.
 */
export function versionSchemeFor(ecosystem: string): VersionScheme | undefined {
  const base = ecosystem.split(':', 1)[0]!;
  return Object.hasOwn(SCHEMES, base) ? SCHEMES[base as Ecosystem] : undefined;
}

export { alpineVersions, cratesVersions, debianVersions, goVersions, mavenVersions, npmVersions, pep440Versions, rubygemsVersions };
export type { VersionScheme } from './version-scheme.js';
