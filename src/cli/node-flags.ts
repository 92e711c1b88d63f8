/**
 * The V8 flags every Auctor node runs with. bin/auctor.js's shebang carries the same list (it
 * runs before any module could set them, and V8 reads heap sizes only at startup), `auctor up`
 * passes it to the nodes it starts, and `npm run bench` runs with it.
 *
 * `--max-semi-space-size=64` (MB; Node 20's default is 16): a control node placing a burst of
 * instances holds one actor per instance and allocates fast, and young-generation collections took a
 * quarter of its CPU. bench/auction.ts at 100k instances: 2114 → 2759 placements/s, scavenges
 * 1118 → 295 taking 13.8 → 8.8 s; the longest pause grows from 36 to 128 ms (256 MB: no faster,
 * pauses up to 234 ms). An idle node does not grow its young generation, so it costs nothing there.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
