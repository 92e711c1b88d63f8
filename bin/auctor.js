#!/usr/bin/env -S node --max-semi-space-size=64
// The `auctor` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the `prepare` script), so this shim only loads the compiled entry point. The shebang's flags
// are src/cli/node-flags.ts's NODE_FLAGS (`env -S` splits them; GNU and BSD env both have it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('auctor: dist/ is missing; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(2);
}
await import(entry.href);
