/**
 * Plain-text output for people: aligned columns and `key: value` blocks. Written here rather
 * than taken from a package: a dozen lines cover what the commands need (left-aligned columns,
 * two spaces apart, a header row), and the output stays stable for scripts that grep it.
 */

export interface Column<T> {
  /** printed upper-case in the header */
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
}

/** Left-aligned columns two spaces apart, a header row first; trailing spaces trimmed. */
export function table<T>(columns: Array<Column<T>>, rows: readonly T[]): string {
  const cells = [columns.map((c) => c.header.toUpperCase()), ...rows.map((row) => columns.map((c) => cellText(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** `key: value` lines with the values aligned; undefined values are left out. */
export function fields(entries: Array<[string, string | number | boolean | null | undefined]>): string {
  const shown = entries.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)} ${cellText(v)}`.trimEnd()).join('\n') + '\n';
}

function cellText(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/** How long ago a nanosecond timestamp was, for people: `42s`, `5m`, `3h`, `2d`; `-` for 0. */
export function age(sinceNs: number | undefined, nowMs: number): string {
  if (!sinceNs) return '-';
  const seconds = Math.max(0, Math.floor((nowMs - sinceNs / 1e6) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Compact JSON cut to `max` characters, for one-line summaries. */
export function brief(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
