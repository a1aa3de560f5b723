import { SemVer } from 'semver';
import { badVersion, defineScheme } from './version-scheme.js';

/**
 * npm: SemVer 2.0 precedence through the `semver` package npm itself uses. Build metadata is
 * ignored; a leading `v` or `=` is tolerated as npm does.
 */
export const npmVersions = defineScheme<SemVer>(
  'npm semver',
  (version) => {
    try {
      return new SemVer(version.trim());
    } catch (e) {
      throw badVersion('npm semver', version, (e as Error).message);
    }
  },
  (a, b) => a.compare(b),
);
