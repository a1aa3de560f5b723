import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
/** `dist/web` by default; TRAWL_WEB_OUT lets parallel builds use their own folder. */
const outDir = resolve(here, '..', process.env['TRAWL_WEB_OUT'] ?? 'dist/web');

/** Writes .gz and .br beside each text asset, which the server's static plugin serves as is. */
function precompress(): Plugin {
  return {
    name: 'trawl-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const full = join(dir, name);
          if (statSync(full).isDirectory()) walk(full);
          else if (/\.(js|css|html|svg|json)$/.test(name)) {
            const body = readFileSync(full);
            if (body.length < 1024) continue;
            writeFileSync(`${full}.gz`, gzipSync(body, { level: 9 }));
            writeFileSync(`${full}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
          }
        }
      };
      walk(outDir);
    },
  };
}

export default defineConfig({
  root: here,
  base: '/ui/',
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `vite --config web/vite.config.ts` against a running `trawl serve` on 127.0.0.1:8080.
    proxy: Object.fromEntries(
      ['/session', '/me', '/org', '/assets', '/services', '/findings', '/changes', '/assessments', '/scans', '/schedules', '/notification-rules', '/notification-deliveries', '/api-keys', '/users', '/audit-log', '/trends', '/risk', '/openapi.json']
        .map((p) => [p, { target: process.env['TRAWL_API'] ?? 'http://127.0.0.1:8080', changeOrigin: false }]),
    ),
  },
});
