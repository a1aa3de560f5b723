import { SemVer } from 'semver';
import { badVersion, defineScheme } from './version-scheme.js';

/**
 * crates.io: Cargo versions are strict SemVer 2.0 (no `v` prefix, no loose forms); order is SemVer
 * precedence, which is what OSV's SEMVER ranges for crates mean.
 */
export const cratesVersions = defineScheme<SemVer>(
  'Cargo semver',
  (version) => {
    if (!/^[0-9]/.test(version)) throw badVersion('Cargo semver', version, 'must start with a digit');
    try {
      return new SemVer(version);
    } catch (e) {
      throw badVersion('Cargo semver', version, (e as Error).message);
    }
  },
  (a, b) => a.compare(b),
);
