/**
 * Byte-exact string limits. BBS measures annotations, routes, results and reasons in bytes (Go
 * `len`), so Auctor does too, in UTF-8, and never cuts a character in half.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Length of `text` in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let cut = Math.max(0, maxBytes);
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return decoder.decode(bytes.subarray(0, cut));
}

/** BBS truncates `failure_reason`, `crash_reason` and `placement_error` to this many bytes. */
export const MAX_REASON_BYTES = 1024;

/** A reason as BBS stores it: at most 1024 bytes. */
export function truncateReason(reason: string): string {
  return truncateUtf8(reason, MAX_REASON_BYTES);
}
