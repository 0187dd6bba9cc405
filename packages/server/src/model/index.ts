export { formatDuration, parseDuration } from './duration.ts';
export type { Label, Labels } from './labels.ts';
export {
  compareLabels,
  duplicateLabelName,
  formatLabels,
  getLabel,
  isLegacyLabelName,
  isLegacyMetricName,
  isValidUtf8Name,
  labelsEqual,
  labelsFromPairs,
  labelsFromRecord,
  labelsKey,
  labelsToRecord,
  METRIC_NAME,
  metricName,
  withLabel,
  withoutLabels,
} from './labels.ts';
export type { Matcher, MatchType } from './matcher.ts';
export { formatMatcher, matchesEmpty, newMatcher } from './matcher.ts';
export type { CompiledRegex } from './regex.ts';
export { compileRegex, RegexError } from './regex.ts';
export type { SeriesSamples } from './sample.ts';
export { isStaleNaN, STALE_NAN } from './sample.ts';
