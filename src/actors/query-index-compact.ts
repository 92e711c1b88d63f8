/**
 * Makes the records the rebuild decoded (query-index-rebuild.ts) hold no more heap than they
 * need, before the query index keeps them for the node's lifetime.
 *
 * Why: msgpackr's native string extraction (the decoder lmdb-js uses) decodes a value's strings
 * at once into one string and hands out slices of it, and V8 keeps a slice of 13 characters or
 * more as a view that holds the whole parent alive. A decoded RUNNING row kept ~940 B and a
 * DesiredLRP ~1.1 KB; with their strings copied out and the short ones shared, ~500 B an
 * instance for both (bench/index-rebuild.ts `heap_bytes`). The live path is not touched: rows
 * that events carry are built in JS (and shared with the actors).
 *
 * Replacing a string by an equal one changes nothing a reader can see, so the records are
 * compacted in place; they are freshly decoded and not yet shared.
 */

import type { ActualLRP } from '../models/actual-lrp.js';

/** Strings shorter than this are shared through the pool; V8 copies them out of a slice anyway. */
const SHORT = 13;

export class StringCompactor {
  /** short strings seen (domains, states, cell ids, ...): one copy each; dropped with the compactor */
  private readonly pool = new Map<string, string>();

  /** Compacts every string in `value` (plain objects and arrays, any depth) in place; returns it. */
  compact<T>(value: T): T {
    if (value !== null && typeof value === 'object') this.walk(value as Record<string, unknown>);
    return value;
  }

  /**
   * An ActualLRP (the most numerous record: 250k at the scale mix), by its fields rather than by
   * the walk, which costs about twice as much: the fields of few values shared, the unique ones
   * (instance guid, epoch, texts) copied. `ports` holds numbers only. A string field the model
   * gains later and is not listed here is kept as decoded (correct, only larger).
   */
  row(row: ActualLRP, processGuid: string): ActualLRP {
    if (typeof row !== 'object' || row === null) return row; // a malformed journal's: indexed as it is
    if (row.process_guid === processGuid) row.process_guid = processGuid;
    row.domain = this.string(row.domain);
    row.cell_id = this.string(row.cell_id);
    row.address = this.string(row.address);
    row.state = this.string(row.state) as ActualLRP['state'];
    row.presence = this.string(row.presence) as ActualLRP['presence'];
    row.instance_guid = this.string(row.instance_guid);
    row.crash_reason = this.string(row.crash_reason);
    row.placement_error = this.string(row.placement_error);
    if (row.availability_zone !== undefined) row.availability_zone = this.string(row.availability_zone);
    const tag = row.modification_tag;
    if (tag) tag.epoch = this.string(tag.epoch);
    return row;
  }

  private walk(node: Record<string, unknown>): void {
    for (const key in node) {
      const v = node[key];
      if (typeof v === 'string') node[key] = this.string(v);
      else if (v !== null && typeof v === 'object') this.walk(v as Record<string, unknown>);
    }
  }

  private string(s: string): string {
    if (typeof s !== 'string' || s.length === 0) return s; // a malformed record's field; '' is one string already
    if (s.length < SHORT) {
      const pooled = this.pool.get(s);
      if (pooled !== undefined) return pooled;
      this.pool.set(s, s);
      return s;
    }
    // a copy that owns its characters: flattening the concatenation copies them, and the slice
    // that drops the space points into that copy, not into the decoder's string
    return (' ' + s).slice(1);
  }
}
