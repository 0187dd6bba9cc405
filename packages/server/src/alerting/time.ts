/**
 * Times as Alertmanager's JSON carries them: RFC 3339 with up to nanosecond fractions. Vigil
 * keeps Unix milliseconds; 0 stands for Go's zero time, which Alertmanager prints as
 * `0001-01-01T00:00:00Z` and uses for "not set".
 */

export const ZERO_TIME_TEXT = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time into Unix milliseconds (fractions below a millisecond are dropped).
 * Go's zero time parses to 0. Returns undefined for anything else.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC maps years 0-99 to 1900-1999.
  if (Number(y) < 100) {
    const date = new Date(ms);
    date.setUTCFullYear(Number(y));
    ms = date.getTime();
  }
  if (frac) ms += Math.floor(Number(`0.${frac}`) * 1000 + 1e-9);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  if (ms === GO_ZERO_MS) return 0;
  return Number.isFinite(ms) ? ms : undefined;
}

/** 0001-01-01T00:00:00Z, Go's zero time, in Unix milliseconds. */
const GO_ZERO_MS = (() => {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(1);
  return d.getTime();
})();

/** Formats Unix milliseconds the way Go's time.Time marshals to JSON (RFC 3339, trailing zeros trimmed). */
export function formatRfc3339(ms: number): string {
  if (ms === 0) return ZERO_TIME_TEXT;
  const iso = new Date(ms).toISOString();
  // 2024-01-02T03:04:05.600Z → 2024-01-02T03:04:05.6Z; .000 disappears.
  return iso.replace(/\.(\d{3})Z$/, (_m, frac: string) => {
    const trimmed = frac.replace(/0+$/, '');
    return trimmed ? `.${trimmed}Z` : 'Z';
  });
}
