import { Command, CommanderError } from 'commander';
import { trawlVersion } from '../../output/package-version.js';
import { normaliseArgv } from './argv-normaliser.js';
import { registerArtifactCommand } from './commands/artifact-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerDiffCommand } from './commands/diff-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerWorkerCommand } from './commands/worker-command.js';
import { registerLabCommand } from './commands/lab-command.js';
import { registerResultsCommand } from './commands/results-command.js';
import { registerScanCommand, type CliIo } from './commands/scan-command.js';
import { reportError } from './exit-codes.js';

/** Runs the CLI and resolves to the process exit code (see README: exit codes). */
export async function main(argv: readonly string[]): Promise<number> {
  const args = normaliseArgv(argv.slice(2));
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, args: argv.slice(2), exitCode: 0 };
  const program = new Command();
  program
    .name('trawl')
    .description('Trawl maps and assesses a network attack surface: scope, permuted plan, fast scanning, inventory.')
    .version(trawlVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerScanCommand(program, io);
  registerResultsCommand(program, io);
  registerLabCommand(program);
  registerDemoCommand(program, io);
  registerArtifactCommand(program, io);
  registerDiffCommand(program, io);
  registerServeCommand(program, io);
  registerWorkerCommand(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return io.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successful exits; usage mistakes are EX_USAGE.
      return err.exitCode === 0 ? 0 : 64;
    }
    return reportError(err);
  }
}

/**
 * The process entry: runs `main` and sets the exit code. If the event loop drains while the command
 * is still pending — a promise that nothing will ever settle — Node would exit 0 with the command's
 * results unwritten; that is reported as an internal error instead, with what was still pending.
 */
export function runCli(argv: readonly string[]): void {
  let settled = false;
  const onExit = (): void => {
    if (settled) return;
    process.stderr.write(`trawl: error TRAWL_E_INTERNAL: the command stopped before it finished (nothing left to wait for; pending: ${process.getActiveResourcesInfo().join(', ') || 'none'})\n`);
    process.exitCode = 70;
  };
  process.once('exit', onExit);
  main(argv).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (err: unknown) => {
      settled = true;
      console.error(err);
      process.exitCode = 70;
    },
  );
}
