/**
 * Benchmark dispatcher: `node dist/bench/run.js NAME` imports ./NAME.js and runs its `main()`.
 * Each benchmark prints progress to stderr and one JSON line, last, to stdout.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .map((f) => f.slice(0, -'.js'.length))
  .sort();

const name = process.argv[2];
if (!name || !available.includes(name)) {
  process.stderr.write(`${name ? `unknown benchmark "${name}"` : 'no benchmark named'}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
const bench = (await import(`./${name}.js`)) as { main: () => Promise<void> };
await bench.main();
