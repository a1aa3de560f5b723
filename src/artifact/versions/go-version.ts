import { SemVer } from 'semver';
import { badVersion, defineScheme } from './version-scheme.js';

const GO_SEMVER = /^v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * Go modules (golang.org/x/mod/semver): SemVer with a `v` prefix (OSV writes ranges without it, so it
 * is optional here), `v1` and `v1.2` as shorthands for `v1.0.0` and `v1.2.0`, and build metadata such
 * as `+incompatible` ignored. Pseudo-versions (v0.0.0-20191109021931-daa7c04131f5,
 * v1.2.4-0.20191109021931-daa7c04131f5) are ordinary pre-releases and sort by their timestamp.
 */
export const goVersions = defineScheme<SemVer>(
  'Go module',
  (version) => {
    const m = GO_SEMVER.exec(version);
    if (m === null) throw badVersion('Go module', version, 'expected vMAJOR[.MINOR[.PATCH]][-pre][+build]');
    // Go accepts the shorthands only without pre-release/build parts.
    if ((m[2] === undefined || m[3] === undefined) && (m[4] !== undefined || m[5] !== undefined)) {
      throw badVersion('Go module', version, 'a shortened version cannot carry a pre-release or build suffix');
    }
    const text = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}`;
    try {
      return new SemVer(text);
    } catch (e) {
      throw badVersion('Go module', version, (e as Error).message);
    }
  },
  (a, b) => a.compare(b),
);
