/**
 * Prints how much of a nuclei template collection Trawl can run: the share that parses, the share
 * supported, the reasons for the rest (most common first) and one line per template.
 *
 *   node dist/bench/nuclei-corpus-report.js [templates-dir] [--json]
 *
 * Defaults to the test corpus (test/checks/nuclei/corpus). Point it at a copy of the community
 * collection (nuclei-templates, MIT) to measure coverage there.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSupportReport, loadTemplates, supportReport } from '../src/checks/nuclei/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const dir = args.find((a) => !a.startsWith('--')) ?? resolve(here, '../../test/checks/nuclei/corpus');

const t0 = performance.now();
const { report } = await loadTemplates(dir);
const ms = performance.now() - t0;
if (json) {
  process.stdout.write(`${JSON.stringify({ dir: report.dir, loadMs: Math.round(ms), summary: supportReport(report), entries: report.entries }, null, 2)}\n`);
} else {
  process.stdout.write(`${formatSupportReport(report)}\nloaded ${report.entries.length} files in ${ms.toFixed(0)} ms\n`);
}
