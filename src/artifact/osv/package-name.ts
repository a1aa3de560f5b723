/**
 * Package names as lookups compare them, per ecosystem: two spellings of one package must give the
 * same key, on the advisory side and on the inventory side alike.
 */
export function normalisePackageName(ecosystem: string, name: string): string {
  const base = ecosystem.split(':', 1)[0];
  switch (base) {
    case 'PyPI':
      // PEP 503: case-insensitive, runs of -, _ and . are one separator.
      return name.toLowerCase().replace(/[-_.]+/g, '-');
    case 'crates.io':
      // crates.io treats - and _ as the same character and names case-insensitively.
      return name.toLowerCase().replaceAll('_', '-');
    case 'NuGet':
    case 'Packagist':
    case 'Debian':
    case 'Alpine':
    case 'Ubuntu':
      return name.toLowerCase();
    default:
      // npm, Go module paths, Maven group:artifact and gems are case-sensitive.
      return name;
  }
}
