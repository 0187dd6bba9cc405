/**
 * Prometheus relabeling: the `relabel_configs` schema and the engine that applies it to label
 * sets. Used by scraping (target and metric relabeling) and by anything else that takes
 * Prometheus relabel rules.
 */
export { LabelsBuilder } from './builder.ts';
export type { RelabelAction, RelabelConfig, RelabelConfigInput } from './config.ts';
export {
  DEFAULT_REGEX,
  DEFAULT_REPLACEMENT,
  DEFAULT_SEPARATOR,
  RELABEL_ACTIONS,
  relabelConfigSchema,
  validateRelabelConfig,
} from './config.ts';
export type { MatchGroups } from './expand.ts';
export { expandTemplate } from './expand.ts';
export type { RelabelRule } from './relabel.ts';
export { compileRelabelRules, hashMod, processBuilder, relabel } from './relabel.ts';
