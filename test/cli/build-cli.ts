/**
 * The `trawl` command of this build. bin/trawl.js always loads dist/, so tests that run from a
 * build of their own (TRAWL_DIST=.dist-…) launch this file instead: exactly src/apps/cli/main.ts.
 */
import { runCli } from '../../src/apps/cli/main.js';

runCli(process.argv);
