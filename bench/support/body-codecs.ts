/**
 * The body codecs bench/remoting.ts compares in one run: the hand-written one the layer uses
 * (src/runtime/remoting/remote-codec.ts) and msgpackr alone (remote-msgpackr.ts). Both processes
 * switch together, between measurements, when nothing is in flight.
 * Not a benchmark (bench/run.ts lists only the files directly in bench/).
 */
import type { ChildProcess } from 'node:child_process';
import type { Interface } from 'node:readline';
import { encodeBody, useBodyCodec, type CodecContext } from '../../src/runtime/remoting/remote-codec.js';
import { msgpackrBodies } from './remote-msgpackr.js';

export type Codec = 'hand' | 'msgpackr';
export const CODECS: readonly Codec[] = ['hand', 'msgpackr'];
/** the one the layer uses */
export const DEFAULT_CODEC: Codec = 'hand';

/** This process writes and reads bodies with `codec` from now on. */
export const useCodec = (codec: Codec): void => useBodyCodec(codec === 'msgpackr' ? msgpackrBodies : undefined);

export const perCodec = <T>(make: (codec: Codec) => T): Record<Codec, T> => ({ hand: make('hand'), msgpackr: make('msgpackr') });

/** The child's answer to a `codec <name>` line on its stdin: it switches, then answers as to any line. */
export function childSwitch(line: string): void {
  if (line.startsWith('codec ')) useCodec(line.slice('codec '.length) as Codec);
}

/** Both processes switch to `codec`: the child first (it answers with a line), then this one. */
export async function switchCodec(child: ChildProcess, lines: Interface, codec: Codec): Promise<void> {
  const answer = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  child.stdin!.write(`codec ${codec}\n`);
  await answer;
  useCodec(codec);
}

/** enough context to encode a message that holds no refs */
const CTX: CodecContext = { node: 'bench', incarnation: 1, lookup: () => undefined, root: { type: 'system', path: { parts: [] }, system: { name: 'bench' } } };

/** The bytes of `message`'s body as each codec writes it now (the hand codec's once its shape is compiled). */
export function bodyBytes(message: unknown): Record<Codec, number> {
  const bytes = perCodec((codec) => {
    useCodec(codec);
    return encodeBody(message, CTX, true).length;
  });
  useCodec(DEFAULT_CODEC);
  return bytes;
}
