#!/usr/bin/env node
// Entry point of the `atp-siem` command. `npm ci` builds dist/ through the
// `prepare` script; from a source checkout without a build, say how to make one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('atp-siem is not built yet: run `npm ci` (or `npm run build`) in the package folder.');
  process.exit(2);
}
await import(main);
