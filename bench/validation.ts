/**
 * Validations/s of a typical DesiredLRP (`examples/hello-lrp.json`) through `validateDesiredLrp`
 * (the models' JSON Schemas through ajv, plus the bounds walk and the rules in code), accepted
 * and refused (`action.run.user` missing), against the raw limit: ajv's compiled validator of
 * `DesiredLRPRequest` alone. Medians of RUNS rounds of ROUND_MS each, the three interleaved.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { validateDesiredLrp } from '../src/models/desired-lrp.js';
import { MODEL_SCHEMAS } from '../src/models/schemas.js';

const RUNS = 3;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);

function rate(fn: () => unknown): number {
  let calls = 0;
  const started = performance.now();
  const end = started + ROUND_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
  }
  return calls / ((performance.now() - started) / 1000);
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

export async function main(): Promise<void> {
  const lrp = JSON.parse(readFileSync(new URL('../../examples/hello-lrp.json', import.meta.url), 'utf8'));
  const refused = structuredClone(lrp);
  delete refused.action.run.user;
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: false, verbose: true });
  ajv.addKeyword('components');
  ajv.addSchema({ $id: 'urn:auctor:bench', components: { schemas: MODEL_SCHEMAS } });
  const bare = ajv.getSchema('urn:auctor:bench#/components/schemas/DesiredLRPRequest')!;
  const cases: Record<string, () => unknown> = {
    accepted: () => validateDesiredLrp(lrp),
    refused: () => validateDesiredLrp(refused),
    ajvAlone: () => bare(lrp),
  };
  if (!validateDesiredLrp(lrp).ok || bare(lrp) !== true || validateDesiredLrp(refused).ok) throw new Error('hello-lrp.json is not what this bench expects');
  for (const fn of Object.values(cases)) rate(fn); // warm up, and compile the schemas
  const rates: Record<string, number[]> = { accepted: [], refused: [], ajvAlone: [] };
  for (let round = 0; round < RUNS; round++) {
    for (const [name, fn] of Object.entries(cases)) rates[name]!.push(rate(fn));
    process.stderr.write(`round ${round + 1}: ${Object.entries(rates).map(([name, xs]) => `${name} ${Math.round(xs.at(-1)!)}/s`).join(', ')}\n`);
  }
  const [accepted, refusedRate, ajvAlone] = [median(rates['accepted']!), median(rates['refused']!), median(rates['ajvAlone']!)];
  console.log(JSON.stringify({
    bench: 'validation',
    acceptedPerSec: Math.round(accepted),
    refusedPerSec: Math.round(refusedRate),
    ajvAlonePerSec: Math.round(ajvAlone),
    acceptedOfAjvAlone: +(accepted / ajvAlone).toFixed(3),
  }));
}
