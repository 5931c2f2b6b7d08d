#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm ci builds it through the "prepare" script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('bindwall: not built yet; run "npm run build" (npm ci does it for you)\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
