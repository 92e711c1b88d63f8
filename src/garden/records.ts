/**
 * Reading back the JSON records the backends keep (`container.json`, `process.json`,
 * `offsets.json`). Records are written atomically (atomic-file.ts), yet a disk can still hand
 * back an empty, cut short or foreign file; adoption must then give up that one container, not
 * the node. So a read never throws: it answers the value, or which file is damaged and why.
 */
import { readFileSync } from 'node:fs';

/** A record that cannot be read as what it should hold. */
export interface DamagedFile {
  file: string;
  error: string;
}

export type RecordRead<T> = { ok: true; value: T } | { ok: false; damaged: DamagedFile };

/**
 * Reads `file` as JSON and checks it with `shapeError` (undefined when the value has the right
 * shape, else what is wrong). A missing file is damage too; callers that allow one check first.
 */
export function readRecord<T>(file: string, shapeError: (value: unknown) => string | undefined): RecordRead<T> {
  let value: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    if (text.trim() === '') return { ok: false, damaged: { file, error: 'empty file' } };
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, damaged: { file, error: (error as Error).message } };
  }
  const wrong = shapeError(value);
  return wrong === undefined ? { ok: true, value: value as T } : { ok: false, damaged: { file, error: wrong } };
}

type Shape = 'string' | 'number' | 'boolean' | 'object' | 'string|null' | 'count';

/** What is wrong with `value` as an object whose fields have these shapes; undefined if nothing. */
export function fieldsError(value: unknown, fields: Record<string, Shape>): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  for (const [name, shape] of Object.entries(fields)) {
    const field = record[name];
    const fits =
      shape === 'count' ? Number.isSafeInteger(field) && (field as number) >= 0
      : shape === 'string|null' ? field === null || typeof field === 'string'
      : shape === 'object' ? typeof field === 'object' && field !== null
      : typeof field === shape;
    if (!fits) return `field ${name}: expected ${shape === 'count' ? 'a non-negative integer' : shape}, got ${JSON.stringify(field) ?? 'nothing'}`;
  }
  return undefined;
}

/** The shape of a `container.json` (both backends keep the same), for the container `handle`. */
export function containerRecordError(value: unknown, handle: string): string | undefined {
  const top = fieldsError(value, { spec: 'object', ports: 'object', memory: 'object', properties: 'object', createdAt: 'number' });
  if (top) return top;
  const record = value as { spec: unknown; ports: unknown };
  const spec = fieldsError(record.spec, { handle: 'string', rootfs: 'string' });
  if (spec) return `spec: ${spec}`;
  if ((record.spec as { handle: string }).handle !== handle) return `spec.handle is not ${handle}`;
  if (!Array.isArray(record.ports)) return 'field ports: expected an array';
  for (const port of record.ports) {
    const wrong = fieldsError(port, { containerPort: 'count', hostPort: 'count' });
    if (wrong) return `ports: ${wrong}`;
  }
  return undefined;
}
