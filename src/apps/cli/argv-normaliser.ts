/**
 * nmap's two-letter short options (-oJ, -iL, -Pn) are not POSIX short options, so commander would
 * read `-oJ` as `-o J`. They are rewritten to long options before parsing; `-p-` stays as is.
 */
const ALIASES: Record<string, string> = {
  '-oJ': '--output-json',
  '-oX': '--output-xml',
  '-oC': '--output-csv',
  '-iL': '--input-list',
  '-Pn': '--no-ping',
  '-sT': '--connect-scan',
  '-sV': '--service-version',
};

export function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const alias = ALIASES[a];
    if (alias) out.push(alias);
    else if (a === '-p-') out.push('-p', '-');
    else out.push(a);
  }
  return out;
}
