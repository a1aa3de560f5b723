/**
 * Runs inside the daemon lab's namespace (`ip netns exec <ns> node port-wait-main.js ...`) and
 * polls TCP connects until every target accepts or the time is up. Prints one JSON line per target
 * that accepted ({"ready":"ip:port"}) and a last line {"done":true,"pending":[...]}; exit 0 when all
 * accepted, 1 otherwise. Targets are confined to 127.0.0.0/8: the namespace has nothing else.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

function parseArgs(argv: string[]): { targets: Array<{ ip: string; port: number }>; timeoutMs: number } {
  let targets: Array<{ ip: string; port: number }> = [];
  let timeoutMs = 20_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--targets' && v !== undefined) {
      targets = v.split(',').filter((s) => s !== '').map((s) => {
        const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{1,5})$/.exec(s);
        if (m === null) throw new Error(`bad target ${s} (want 127.x.y.z:port)`);
        return { ip: m[1]!, port: Number(m[2]) };
      });
      i++;
    } else if (a === '--timeout' && v !== undefined) {
      timeoutMs = Number(v);
      i++;
    }
  }
  return { targets, timeoutMs };
}

function accepts(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_000);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function main(): Promise<void> {
  const { targets, timeoutMs } = parseArgs(process.argv.slice(2));
  const pending = new Map(targets.map((t) => [`${t.ip}:${t.port}`, t]));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all([...pending].map(async ([key, t]) => {
      if (await accepts(t.ip, t.port)) {
        pending.delete(key);
        process.stdout.write(`${JSON.stringify({ ready: key })}\n`);
      }
    }));
    if (pending.size > 0) await sleep(100);
  }
  process.stdout.write(`${JSON.stringify({ done: true, pending: [...pending.keys()] })}\n`);
  process.exitCode = pending.size === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
