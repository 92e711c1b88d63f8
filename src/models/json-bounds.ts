/**
 * Bounds any parsed JSON must keep before anything stores it or sends it on, whatever its schema:
 * containers nested at most {@link MAX_JSON_DEPTH} deep (10,000-deep `routes` crashed the LRP
 * registry, and a message that deep could not be encoded for another node), and every string
 * and key well-formed Unicode (a lone UTF-16 surrogate cannot be written as UTF-8: it came back
 * as U+FFFD after a restart), and no key `__proto__` (JSON.parse makes it an ordinary key, but
 * the store's msgpack decoder renames it `__proto_` and a plain assignment drops it: a `routes`
 * holding one was acknowledged, then answered changed). The gateway checks every body once when
 * it parses it; the models' validators check their input too, so no path around the gateway
 * stores such a value.
 */
import { invalidField } from '../base/errors.js';
import { MAX_JSON_DEPTH } from './limits.js';

/** How many leading segments of the path a too-deep error names (`routes.cf-router`, `input.routes`). */
const NAMED_SEGMENTS = 2;

interface WellFormed {
  isWellFormed(): boolean;
}

/** Whether `text` is well-formed Unicode: no lone surrogate. */
export function isWellFormedText(text: string): boolean {
  return (text as unknown as WellFormed).isWellFormed();
}

/**
 * Throws the `InvalidRequest` error naming the field when `value` nests deeper than `maxDepth`
 * (the root object is level 1), holds a string or key that is not well-formed Unicode, or a key
 * `__proto__`.
 * `root` is the path of `value` itself ('' at the top of a body: its fields are named bare).
 */
export function checkJsonBounds(value: unknown, root = '', maxDepth = MAX_JSON_DEPTH): void {
  const segments: Array<string | number> = [];
  const walk = (node: unknown, depth: number): void => {
    if (typeof node === 'string') {
      if (!isWellFormedText(node)) throw invalidField(pathOf(root, segments), 'not valid Unicode (a lone UTF-16 surrogate)');
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (depth > maxDepth) throw invalidField(pathOf(root, segments.slice(0, NAMED_SEGMENTS)), `nested deeper than ${maxDepth} levels`);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        segments.push(i);
        walk(node[i], depth + 1);
        segments.pop();
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (!isWellFormedText(key)) throw invalidField(pathOf(root, segments), 'a key is not valid Unicode (a lone UTF-16 surrogate)');
      if (key === '__proto__') throw invalidField(pathOf(root, segments), 'a key may not be "__proto__" (it cannot be stored)');
      segments.push(key);
      walk(child, depth + 1);
      segments.pop();
    }
  };
  walk(value, 1);
}

/** `routes.cf-router[0].port`: `root`, then the segments (`root` '' names top-level fields bare). */
function pathOf(root: string, segments: ReadonlyArray<string | number>): string {
  let path = root;
  for (const segment of segments) path += typeof segment === 'number' ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  return path === '' ? 'body' : path;
}
