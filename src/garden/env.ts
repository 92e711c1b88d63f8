/**
 * The environment a container process sees, in API.md's order: what the backend sets (PORT,
 * INSTANCE_*, CF_INSTANCE_*), then the LRP's or task's env, then the action's; a later entry
 * with the same name wins (Diego: an action's `OVERRIDE=D` beats the LRP's `OVERRIDE=B`).
 */
import type { ContainerIdentity, EnvVar, PortMapping } from './backend.js';

/** The variables the backend sets for a container, before any user env. */
export function containerVariables(identity: ContainerIdentity | undefined, ports: PortMapping[], ip: string): EnvVar[] {
  const vars: EnvVar[] = [];
  const first = ports[0];
  if (first) vars.push({ name: 'PORT', value: String(first.hostPort) });
  if (identity) {
    if (identity.index !== undefined) {
      vars.push({ name: 'INSTANCE_INDEX', value: String(identity.index) });
      vars.push({ name: 'CF_INSTANCE_INDEX', value: String(identity.index) });
    }
    vars.push({ name: 'INSTANCE_GUID', value: identity.guid });
    vars.push({ name: 'CF_INSTANCE_GUID', value: identity.guid });
  }
  vars.push({ name: 'CF_INSTANCE_IP', value: ip });
  vars.push({ name: 'CF_INSTANCE_INTERNAL_IP', value: ip });
  if (first) {
    vars.push({ name: 'CF_INSTANCE_PORT', value: String(first.hostPort) });
    vars.push({ name: 'CF_INSTANCE_ADDR', value: `${ip}:${first.hostPort}` });
  }
  vars.push({
    name: 'CF_INSTANCE_PORTS',
    value: JSON.stringify(ports.map((p) => ({ external: p.hostPort, internal: p.containerPort }))),
  });
  return vars;
}

/** Layers env lists, later ones winning, and returns them as an object for child_process. */
export function mergeEnv(...layers: Array<EnvVar[] | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of layers) for (const { name, value } of layer ?? []) env[name] = value;
  return env;
}
