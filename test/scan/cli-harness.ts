import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

export const trawlBin = fileURLToPath(new URL('../../../bin/trawl.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (bin/trawl.js) under the current Node in a child process. */
export function runTrawl(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  const child = spawnTrawl(args, opts);
  return collect(child);
}

export function spawnTrawl(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [trawlBin, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Plain TCP listeners on loopback addresses: the ground truth of open ports for a test. */
export async function listenAll(endpoints: readonly { ip: string; port: number }[]): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  for (const e of endpoints) {
    const s = createServer((sock) => { sock.on('error', () => {}); sock.end(); });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(e.port, e.ip, () => resolve());
    });
    servers.push(s);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}

export function parseJsonl(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}
