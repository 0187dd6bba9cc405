import { z } from 'zod';

/**
 * The `dashboards:` section: where dashboard files live (JSON or YAML, one dashboard per file,
 * editable in the UI and saved back there). Owned by api/vigil/dashboards.ts; docs/ui.md
 * describes the file format.
 */
export const dashboardsConfigSchema = z
  .object({
    /**
     * The folder of dashboard files. Relative paths resolve against the config file's folder.
     * Empty: `dashboards/` next to the config file, or `<data-dir>/dashboards` without one.
     */
    dir: z.string().default(''),
    /** Refuse edits from the UI (dashboards provisioned from files only). */
    read_only: z.boolean().default(false),
  })
  .strict();
