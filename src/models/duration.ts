/**
 * Durations as Diego's Go code prints them (`time.Duration.String()`), because users match on
 * its messages: `exceeded 500ms timeout`, `Instance never healthy after 3s: ...`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trim(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = trim(rest / 1000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** Go prints the shortest exact decimal: 1.5s, 2s, 0.25ms is 250µs but we stop at ms. */
function trim(n: number): string {
  return String(Number(n.toFixed(3)));
}
