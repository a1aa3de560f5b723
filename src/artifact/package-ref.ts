/**
 * One installed or locked dependency found inside an artifact (function package, layer, image).
 * Ecosystem names are OSV's, so matching needs no translation table.
 */
export type Ecosystem =
  | 'npm' | 'PyPI' | 'Go' | 'crates.io' | 'RubyGems' | 'Packagist' | 'Maven' | 'NuGet' | 'Debian' | 'Alpine';

export interface PackageRef {
  readonly ecosystem: Ecosystem;
  /** Name as the ecosystem spells it (npm scope included, Maven as group:artifact, Go module path). */
  readonly name: string;
  readonly version: string;
  /** Package URL (https://github.com/package-url/purl-spec), e.g. pkg:npm/%40scope/name@1.2.3. */
  readonly purl: string;
  /** Path inside the artifact of the file this came from (lockfile, METADATA, jar, dpkg status...). */
  readonly source: string;
  /** For OS packages: the distro release when known (e.g. 'Debian:12', 'Alpine:v3.19'), as OSV ecosystems qualify them. */
  readonly distro?: string;
  /**
   * For OS packages built from a differently named or versioned source package (Debian `Source:`, Alpine
   * `o:` origin): OSV's Debian and Alpine advisories are keyed by the source package, not the binary one.
   */
  readonly sourcePackage?: { readonly name: string; readonly version: string };
  /** Dev-only dependency (lockfiles that say so); kept, but flagged. */
  readonly dev?: boolean;
}

/**
 * The (name, version) an advisory database knows a package by. OSV's Debian and Alpine records are
 * keyed by *source* package (openssl), while an installed system lists binary packages (libssl3).
 */
export function advisoryIdentity(pkg: PackageRef): { readonly name: string; readonly version: string } {
  if ((pkg.ecosystem === 'Debian' || pkg.ecosystem === 'Alpine') && pkg.sourcePackage) return pkg.sourcePackage;
  return { name: pkg.name, version: pkg.version };
}
