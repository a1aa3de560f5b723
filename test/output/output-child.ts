// Child process for the output tests that need a real stdout, a kill, or another user.
// Usage: output-child.js <mode> [args...]; errors are reported on stderr as "ERR <code> <message>".
import { isTrawlError } from '../../src/errors/index.js';
import { formatSummaryText, openResultWriter, writeResults } from '../../src/output/result-writer.js';
import { iterate, obs, sample, summaryInfo } from './output-fixtures.js';

function rows(n: number) {
  return Array.from({ length: n }, (_, i) => obs(`127.0.${(i >> 16) & 255}.${(i >> 8) & 255}`, 1 + (i & 255), { rttMs: i / 10, hostname: `h${i}.example.test` }));
}

async function main(): Promise<void> {
  const [mode, arg1, arg2] = process.argv.slice(2);
  const info = summaryInfo();
  switch (mode) {
    case 'jsonl-stdout': {
      const n = await writeResults('jsonl', '-', info, iterate(rows(Number(arg1))));
      process.stderr.write(formatSummaryText(info));
      process.stderr.write(`ROWS ${n}\n`);
      return;
    }
    case 'xml-stdout-spooled': {
      const w = await openResultWriter('xml', '-');
      for (const o of sample) await w.write(o);
      await w.finish(info);
      return;
    }
    case 'write-then-hang': {
      const w = await openResultWriter('jsonl', arg1!);
      for (const o of rows(Number(arg2))) await w.write(o);
      process.stderr.write('READY\n');
      setInterval(() => undefined, 1000);
      return;
    }
    case 'open': {
      const w = await openResultWriter('jsonl', arg1!);
      await w.abort();
      process.stderr.write('OK\n');
      return;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: unknown) => {
  if (isTrawlError(err)) {
    process.stderr.write(`ERR ${err.code} ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`CRASH ${String(err)}\n`);
    process.exitCode = 99;
  }
});
