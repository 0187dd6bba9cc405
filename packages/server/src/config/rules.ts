import { z } from 'zod';

/** Prometheus's `rule_files:` globs, relative to the config file. Owned by rules/. */
export const ruleFilesSchema = z.array(z.string());
