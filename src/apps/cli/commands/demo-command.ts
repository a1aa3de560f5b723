import type { Command } from 'commander';
import { isTrawlError } from '../../../errors/index.js';
import { startLoopbackLab, type LoopbackLab } from '../../../lab/loopback-lab.js';
import { scanCommand, type CliIo } from './scan-command.js';

interface DemoOptions {
  db: string;
  outputJson: string;
}

/**
 * The README's first command ends here: start the loopback lab in this process, scan it into the
 * embedded store and a JSON-lines file, show the result, stop the lab. No root, no servers.
 */
export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('start the loopback lab, scan it into an embedded store, show the results')
    .option('--db <path>', 'embedded store to write', 'trawl-demo.db')
    .option('--output-json <file>', 'JSON lines of the open ports', 'trawl-demo.jsonl')
    .action(async (o: DemoOptions) => {
      // The default subnet may be held by a `trawl lab up` or another demo: take the next free one.
      let lab: LoopbackLab | undefined;
      for (let i = 0; lab === undefined; i++) {
        try {
          lab = await startLoopbackLab({ subnet: `127.77.${i}.0/24` });
        } catch (e) {
          if (!(isTrawlError(e) && e.code === 'TRAWL_E_LAB' && /in use/.test(e.message)) || i >= 15) throw e;
        }
      }
      try {
        const ports = [...new Set(lab.services.map((s) => s.port).concat(lab.closed.map((c) => c.port)))].sort((a, b) => a - b);
        io.stderr.write(`trawl demo: loopback lab up on ${lab.cidr} with ${lab.services.length} services; scanning ports ${ports.join(',')}\n`);
        const code = await scanCommand([lab.cidr], { ports: ports.join(','), db: o.db, outputJson: o.outputJson, seed: '1' }, io);
        io.stdout.write(`\nopen ports found (from ${o.outputJson}):\n`);
        const { readFile } = await import('node:fs/promises');
        const rows = (await readFile(o.outputJson, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ip: string; port: number });
        const truth = new Map(lab.services.map((s) => [`${s.ip}:${s.port}`, s]));
        for (const r of rows) {
          const s = truth.get(`${r.ip}:${r.port}`);
          io.stdout.write(`  ${`${r.ip}:${r.port}`.padEnd(22)} ${s ? `${s.name}${s.product ? ` (${s.product}${s.version ? ` ${s.version}` : ''})` : ''}` : ''}\n`);
        }
        io.stdout.write(`\n${rows.length} open of ${lab.services.length} lab services.\nLook again any time:  npx trawl results --db ${o.db} --scan latest\n`);
        io.exitCode = code;
      } finally {
        await lab.stop();
      }
    });
}
