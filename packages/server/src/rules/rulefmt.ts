/**
 * Prometheus rule files (model/rulefmt): YAML groups of recording and alerting rules, decoded
 * strictly (unknown keys are errors unless ignored) and validated with Prometheus's messages and
 * `line:column` positions, including the template syntax of alerting rules' labels and
 * annotations. Parsing never throws: every problem is returned as an error string.
 */

import type { Node } from 'yaml';
import { isLegacyLabelName, isLegacyMetricName, isValidUtf8Name, METRIC_NAME } from '../model/labels.ts';
import { parseExpr } from '../promql/index.ts';
import { checkTemplateSyntax } from './template.ts';
import {
  FatalDecodeError,
  type Pos,
  parseYamlDocument,
  unmarshalErrors,
  type YamlDecoder,
} from './yaml-decode.ts';

/** One rule as written. `for`/`keepFiringFor` in ms. */
export interface RuleSpec {
  readonly record: string;
  readonly alert: string;
  readonly expr: string;
  readonly for: number;
  readonly keepFiringFor: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One group as written. Durations in ms; `interval`/`queryOffset` undefined when not set. */
export interface GroupSpec {
  readonly name: string;
  readonly interval: number | undefined;
  readonly queryOffset: number | undefined;
  readonly limit: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly RuleSpec[];
}

/** How label and metric names are validated: Prometheus 3's UTF-8 names, or the legacy charset. */
export type NameValidation = 'utf8' | 'legacy';

export interface ParseRulesOptions {
  /** Accept keys the format does not know (promtool's --ignore-unknown-fields). */
  readonly ignoreUnknownFields?: boolean;
  readonly nameValidation?: NameValidation;
}

/** The result of parsing: groups (when decoding succeeded) and every problem found. */
export interface ParsedRules {
  readonly groups: readonly GroupSpec[];
  /** Prometheus-style messages without the file name, e.g. `5:15: group "g", rule 1, "x": ...`. */
  readonly errors: readonly string[];
  /** Non-fatal notes (a second YAML document is ignored, as Prometheus does). */
  readonly warnings: readonly string[];
}

const GROUPS_FIELDS = ['groups'];
const GROUP_FIELDS = ['name', 'interval', 'query_offset', 'limit', 'rules', 'labels'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

interface DecodedRule {
  spec: RuleSpec;
  recordPos: Pos;
  alertPos: Pos;
  exprPos: Pos;
}
interface DecodedGroup {
  spec: GroupSpec;
  pos: Pos;
  rules: DecodedRule[];
}

/**
 * Parses and validates a rule file's text. Errors read like Prometheus's (rulefmt.Parse):
 * decoding problems first (`yaml: unmarshal errors: ...`), else every validation problem.
 */
export function parseRules(text: string, options: ParseRulesOptions = {}): ParsedRules {
  const warnings: string[] = [];
  const parsed = parseYamlDocument(text, options.ignoreUnknownFields ?? false);
  if ('error' in parsed) return { groups: [], errors: [parsed.error], warnings };
  if (parsed.multiple)
    warnings.push(
      'Multiple document yaml rules files are not supported, only the first document is processed',
    );
  const dec = parsed.decoder;
  let decoded: DecodedGroup[];
  try {
    decoded = decodeGroups(dec, parsed.root);
  } catch (err) {
    if (err instanceof FatalDecodeError) return { groups: [], errors: [err.message], warnings };
    throw err;
  }
  if (dec.typeErrors.length > 0) return { groups: [], errors: [unmarshalErrors(dec.typeErrors)], warnings };

  const errors = validate(decoded, options.nameValidation ?? 'utf8');
  return { groups: decoded.map((g) => g.spec), errors, warnings };
}

function decodeGroups(dec: YamlDecoder, root: Node | null): DecodedGroup[] {
  const top = dec.struct(root, 'rulefmt.RuleGroups', GROUPS_FIELDS);
  const groups: DecodedGroup[] = [];
  for (const gNode of dec.seq(top.get('groups')?.node, '[]rulefmt.RuleGroup')) {
    const f = dec.struct(gNode, 'rulefmt.RuleGroup', GROUP_FIELDS);
    const rules: DecodedRule[] = [];
    for (const rNode of dec.seq(f.get('rules')?.node, '[]rulefmt.Rule')) {
      const r = dec.struct(rNode, 'rulefmt.Rule', RULE_FIELDS);
      const spec: RuleSpec = {
        record: dec.string(r.get('record')?.node),
        alert: dec.string(r.get('alert')?.node),
        expr: dec.string(r.get('expr')?.node),
        for: dec.duration(r.get('for')?.node) ?? 0,
        keepFiringFor: dec.duration(r.get('keep_firing_for')?.node) ?? 0,
        labels: dec.stringMap(r.get('labels')?.node),
        annotations: dec.stringMap(r.get('annotations')?.node),
      };
      rules.push({
        spec,
        recordPos: dec.pos(r.get('record')?.node),
        alertPos: dec.pos(r.get('alert')?.node),
        exprPos: dec.pos(r.get('expr')?.node),
      });
    }
    const spec: GroupSpec = {
      name: dec.string(f.get('name')?.node),
      interval: dec.duration(f.get('interval')?.node),
      queryOffset: dec.duration(f.get('query_offset')?.node),
      limit: dec.int(f.get('limit')?.node),
      labels: dec.stringMap(f.get('labels')?.node),
      rules: rules.map((r) => r.spec),
    };
    groups.push({ spec, pos: dec.pos(gNode), rules });
  }
  return groups;
}

function validLabelName(name: string, scheme: NameValidation): boolean {
  if (scheme === 'legacy') return isLegacyLabelName(name);
  return isValidUtf8Name(name);
}

function validMetricName(name: string, scheme: NameValidation): boolean {
  if (scheme === 'legacy') return isLegacyMetricName(name);
  return isValidUtf8Name(name);
}

function at(p: Pos): string {
  return `${p.line}:${p.col}: `;
}

function validate(groups: readonly DecodedGroup[], scheme: NameValidation): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    const { spec } = g;
    if (spec.name === '') errors.push(`${at(g.pos)}Groupname must not be empty`);
    if (seen.has(spec.name))
      errors.push(`${at(g.pos)}groupname: "${spec.name}" is repeated in the same file`);
    for (const [k, v] of Object.entries(spec.labels)) {
      if (!validLabelName(k, scheme) || k === METRIC_NAME) errors.push(`invalid label name: ${k}`);
      if (!wellFormed(v)) errors.push(`invalid label value: ${v}`);
    }
    seen.add(spec.name);
    g.rules.forEach((r, i) => {
      const name = r.spec.alert !== '' ? r.spec.alert : r.spec.record;
      for (const problem of validateRule(r, scheme))
        errors.push(
          `${problem.pos}group ${JSON.stringify(spec.name)}, rule ${i + 1}, ${JSON.stringify(name)}: ${problem.message}`,
        );
    });
  }
  return errors;
}

function validateRule(r: DecodedRule, scheme: NameValidation): { pos: string; message: string }[] {
  const out: { pos: string; message: string }[] = [];
  const { spec } = r;
  const both = `${at(r.recordPos)}${at(r.alertPos)}`;
  if (spec.record !== '' && spec.alert !== '')
    out.push({ pos: both, message: "only one of 'record' and 'alert' must be set" });
  if (spec.record === '' && spec.alert === '')
    out.push({ pos: both, message: "one of 'record' or 'alert' must be set" });
  if (spec.expr === '') out.push({ pos: at(r.exprPos), message: "field 'expr' must be set in rule" });
  else {
    try {
      parseExpr(spec.expr);
    } catch (err) {
      out.push({ pos: at(r.exprPos), message: `could not parse expression: ${(err as Error).message}` });
    }
  }
  if (spec.record !== '') {
    const p = at(r.recordPos);
    if (Object.keys(spec.annotations).length > 0)
      out.push({ pos: p, message: "invalid field 'annotations' in recording rule" });
    if (spec.for !== 0) out.push({ pos: p, message: "invalid field 'for' in recording rule" });
    if (spec.keepFiringFor !== 0)
      out.push({ pos: p, message: "invalid field 'keep_firing_for' in recording rule" });
    if (!validMetricName(spec.record, scheme))
      out.push({ pos: p, message: `invalid recording rule name: ${spec.record}` });
    if (spec.record.includes('{') || spec.record.includes('}'))
      out.push({
        pos: p,
        message: `braces present in the recording rule name; should it be in expr?: ${spec.record}`,
      });
  }
  for (const [k, v] of Object.entries(spec.labels)) {
    if (!validLabelName(k, scheme) || k === METRIC_NAME)
      out.push({ pos: '', message: `invalid label name: ${k}` });
    if (!wellFormed(v)) out.push({ pos: '', message: `invalid label value: ${v}` });
  }
  for (const k of Object.keys(spec.annotations))
    if (!validLabelName(k, scheme)) out.push({ pos: '', message: `invalid annotation name: ${k}` });
  if (spec.alert !== '') {
    const name = `__alert_${spec.alert}`;
    for (const [k, v] of Object.entries(spec.labels).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const err = checkTemplateSyntax(v, name);
      if (err) out.push({ pos: '', message: `label ${JSON.stringify(k)}: ${err}` });
    }
    for (const [k, v] of Object.entries(spec.annotations).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const err = checkTemplateSyntax(v, name);
      if (err) out.push({ pos: '', message: `annotation ${JSON.stringify(k)}: ${err}` });
    }
  }
  return out;
}

/** Valid UTF-16 (no lone surrogates): Go's utf8.ValidString for text read from YAML. */
function wellFormed(s: string): boolean {
  return s === '' || isValidUtf8Name(s);
}
