import { z } from 'zod';
import { durationMs } from './units.ts';

/** Prometheus's `rule_files:` globs, relative to the config file. Owned by rules/. */
export const ruleFilesSchema = z.array(z.string());

/**
 * `rules:` — what Prometheus sets with its `--rules.alert.*` flags. Owned by rules/.
 */
export const rulesSettingsSchema = z
  .object({
    /** Firing alerts are re-sent this often (--rules.alert.resend-delay). */
    resend_delay: durationMs.prefault('1m'),
    /** How long Vigil may have been down for `for` state to be restored (--rules.alert.for-outage-tolerance). */
    for_outage_tolerance: durationMs.prefault('1h'),
    /**
     * Least time an alert stays pending after a restore; alerts with a shorter `for` are not
     * restored (--rules.alert.for-grace-period).
     */
    for_grace_period: durationMs.prefault('10m'),
  })
  .strict();
