/** One environment variable, as BBS spells it in DesiredLRP, Task and run action `env`. */
export interface EnvVar {
  name: string;
  value: string;
}

/** `env` as stored: each entry its name and value only, an absent or null value `''`. */
export function envOf(entries: ReadonlyArray<{ name: string; value?: string | null }>): EnvVar[] {
  return entries.map((entry) => ({ name: entry.name, value: entry.value ?? '' }));
}
