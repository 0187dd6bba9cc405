import { isLegacyLabelName, type Labels } from '../../model/labels.ts';
import { quote } from '../parser/go-strings.ts';

export { formatGoFloat as formatGoF, formatGoFloatV as formatGoG } from '../parser/printer.ts';

/** Prometheus's Labels.String(): `{__name__="x", a="b"}`, names quoted when not legacy. */
export function formatLabelsProm(metric: Labels): string {
  const parts = metric.map((l) => `${isLegacyLabelName(l.name) ? l.name : quote(l.name)}=${quote(l.value)}`);
  return `{${parts.join(', ')}}`;
}
