/**
 * Sloth's built-in alert window catalogs (its internal/alert/windows google-30d and google-28d,
 * which follow the Google SRE workbook's recommended multiwindow, multi-burn-rate parameters):
 * for each of page and ticket, a quick and a slow pair of windows and the share of the period's
 * error budget each may burn.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One multiwindow condition: burning `errorBudgetPercent` of the budget within `longWindow`. */
export interface AlertWindow {
  readonly errorBudgetPercent: number;
  /** ms */
  readonly shortWindow: number;
  /** ms */
  readonly longWindow: number;
}

export interface WindowCatalog {
  /** The SLO period (ms). */
  readonly period: number;
  readonly page: { readonly quick: AlertWindow; readonly slow: AlertWindow };
  readonly ticket: { readonly quick: AlertWindow; readonly slow: AlertWindow };
}

/** The same windows serve 30d and 28d periods; only the burn-rate factors differ. */
function googleCatalog(periodDays: number): WindowCatalog {
  return {
    period: periodDays * DAY,
    page: {
      quick: { errorBudgetPercent: 2, shortWindow: 5 * 60_000, longWindow: HOUR },
      slow: { errorBudgetPercent: 5, shortWindow: 30 * 60_000, longWindow: 6 * HOUR },
    },
    ticket: {
      quick: { errorBudgetPercent: 10, shortWindow: 2 * HOUR, longWindow: DAY },
      slow: { errorBudgetPercent: 10, shortWindow: 6 * HOUR, longWindow: 3 * DAY },
    },
  };
}

export const CATALOGS: Readonly<Record<'30d' | '28d', WindowCatalog>> = {
  '30d': googleCatalog(30),
  '28d': googleCatalog(28),
};

/**
 * The burn-rate factor of a window, computed as Sloth does (left to right in float64, so that
 * 28d's 5.6000000000000005 comes out the same): budget% × period hours / 100 / long window hours.
 */
export function burnRateFactor(w: AlertWindow, period: number): number {
  return (w.errorBudgetPercent * (period / HOUR)) / 100 / (w.longWindow / HOUR);
}

/** The SLI windows Sloth records: the distinct alert windows ascending, then the period. */
export function sliWindows(c: WindowCatalog): number[] {
  const set = new Set<number>();
  for (const w of [c.page.quick, c.page.slow, c.ticket.quick, c.ticket.slow]) {
    set.add(w.shortWindow);
    set.add(w.longWindow);
  }
  set.delete(c.period);
  return [...[...set].sort((a, b) => a - b), c.period];
}
