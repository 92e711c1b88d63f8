/** One environment variable, as BBS spells it in DesiredLRP, Task and run action `env`. */
export interface EnvVar {
  name: string;
  value: string;
}
