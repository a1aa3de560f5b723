/**
 * The `trawl` command of this build. bin/trawl.js always loads dist/, so tests that run from a
 * build of their own (TRAWL_DIST=.dist-…) launch this file instead: exactly src/apps/cli/main.ts.
 */
import { main } from '../../src/apps/cli/main.js';

main(process.argv).then((code) => { process.exitCode = code; }, (err: unknown) => { console.error(err); process.exitCode = 70; });
