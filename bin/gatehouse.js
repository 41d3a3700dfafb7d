#!/usr/bin/env node
// The CLI runs from the bundled build (dist/bundle/, see scripts/build.mjs); `npm install` (prepare) produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('gatehouse: the build is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(entry.href);
