/**
 * One replication log entry as stored and shipped (replication-log.ts): the msgpack of
 * `{t: term, o: LoggedOp[]}`, plain maps (no records), so any msgpack reader decodes it. The
 * primary encodes it once; the same bytes go into its log, over the wire and into each standby's
 * log.
 */
import { Packr } from 'msgpackr';
import type { LoggedOp } from './store-ops.js';

/** What an entry holds. */
export interface LogValue {
  t: number;
  o: LoggedOp[];
}

const PACKR = new Packr({ useRecords: false, variableMapSize: true } as ConstructorParameters<typeof Packr>[0]);

/** The entry's bytes (a copy: msgpackr reuses the buffer it packs into). */
export function encodeEntry(value: LogValue): Buffer {
  return Buffer.from(PACKR.pack(value));
}

export function decodeEntry(bytes: Uint8Array): LogValue {
  return PACKR.unpack(bytes) as LogValue;
}

/**
 * The term of an entry without decoding its ops (the primary reads it for every append it
 * sends): {@link encodeEntry} writes `t` first, as a fixmap key; any other layout is decoded.
 */
export function termOf(bytes: Uint8Array): number {
  // fixmap of 2, key "t"
  if (bytes[0] === 0x82 && bytes[1] === 0xa1 && bytes[2] === 0x74) {
    const tag = bytes[3]!;
    const view = () => new DataView(bytes.buffer, bytes.byteOffset + 4, bytes.byteLength - 4);
    if (tag < 0x80) return tag;
    if (tag === 0xcc) return bytes[4]!;
    if (tag === 0xcd) return view().getUint16(0);
    if (tag === 0xce) return view().getUint32(0);
    if (tag === 0xcb) return view().getFloat64(0);
  }
  return decodeEntry(bytes).t;
}
