/**
 * The CLI with the fleet commands, run from this build: `trawl scan`, `trawl worker`, `trawl status`
 * and `trawl serve`, as src/apps/cli/main.ts registers them (bin/trawl.js always loads dist/, so the
 * fleet tests launch this file to run the build they were compiled into).
 */
import { Command, CommanderError } from 'commander';
import { normaliseArgv } from '../../src/apps/cli/argv-normaliser.js';
import { registerScanCommand, type CliIo } from '../../src/apps/cli/commands/scan-command.js';
import { registerServeCommand } from '../../src/apps/cli/commands/serve-command.js';
import { registerWorkerCommand } from '../../src/apps/cli/commands/worker-command.js';
import { reportError } from '../../src/apps/cli/exit-codes.js';

async function main(argv: readonly string[]): Promise<number> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, args: argv, exitCode: 0 };
  const program = new Command().name('trawl').exitOverride();
  registerScanCommand(program, io);
  registerWorkerCommand(program, io);
  registerServeCommand(program, io);
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
    return io.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 64;
    return reportError(err);
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => { console.error(err); process.exitCode = 70; });
