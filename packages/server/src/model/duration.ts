/**
 * Prometheus durations: `1h30m`, `90s`, `500ms`, units y w d h m s ms concatenated from
 * largest to smallest, each at most once. A year is 365 days, as in Prometheus.
 */
const UNITS: readonly [string, number][] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds, or undefined when the text is not a Prometheus duration. `0` is valid. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const m = DURATION.exec(text);
  if (!m) return undefined;
  let ms = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNITS[i][1];
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Formats milliseconds the way Prometheus prints durations (`1h30m`, `0s`, `30d`). As Prometheus's
 * model.Duration, years and weeks are used only when they divide the whole duration: `90d`, not
 * `12w6d`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  for (const [unit, size] of UNITS) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    if (rest >= size) {
      out += Math.floor(rest / size) + unit;
      rest %= size;
    }
  }
  return out;
}
