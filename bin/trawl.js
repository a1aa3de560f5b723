#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `trawl: Node.js ${process.versions.node} is too old; Trawl needs Node 22 or newer.\n` +
      '  Inside the repository, run it through npm (npx trawl …, npm run …), which uses the Node 22\n' +
      '  that `npm install` placed in node_modules/.bin, or put that folder first on PATH.\n',
  );
  process.exit(69);
}
const { runCli } = await import('../dist/src/apps/cli/main.js');
runCli(process.argv);
