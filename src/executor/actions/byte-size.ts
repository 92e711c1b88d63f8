/**
 * Sizes as Diego prints them in `Downloaded droplet (1.2M)` (code.cloudfoundry.org/bytefmt
 * ByteSize): powers of 1024, one decimal with a trailing `.0` dropped, unit letters B K M G T.
 */
const UNITS: Array<[number, string]> = [
  [1024 ** 4, 'T'],
  [1024 ** 3, 'G'],
  [1024 ** 2, 'M'],
  [1024, 'K'],
  [1, 'B'],
];

export function byteSize(bytes: number): string {
  if (bytes <= 0) return '0B';
  for (const [unit, letter] of UNITS) {
    if (bytes >= unit) return `${(bytes / unit).toFixed(1).replace(/\.0$/, '')}${letter}`;
  }
  return `${bytes}B`;
}
