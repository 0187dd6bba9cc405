/**
 * Go's regexp.Expand, which relabeling uses for `replacement` and `target_label`: `$1` and `${1}`
 * insert a numbered group, `$name`/`${name}` a named one, `$$` a literal `$`. A reference is the
 * longest run of letters, digits and `_` after `$`, so `$1x` means the group named "1x" (which
 * does not exist, so it expands to nothing); write `${1}x`. A `$` not followed by a valid
 * reference is kept as is. Groups that did not take part in the match expand to "".
 */
export interface MatchGroups {
  /** Group texts by number (0 = whole match); null for groups that did not participate. */
  readonly groups: readonly (string | null)[];
  /** Named group numbers. */
  readonly names: Readonly<Record<string, number>>;
}

const NAME_CHARS = /^[\p{L}\p{Nd}_]+/u;

/** Expands `template` with the groups of a match, as Go's Regexp.ExpandString. */
export function expandTemplate(template: string, match: MatchGroups): string {
  if (template.indexOf('$') === -1) return template;
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar === -1) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractReference(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = ref.rest;
    const index = ref.num >= 0 ? ref.num : match.names[ref.name];
    if (index !== undefined && index < match.groups.length) out += match.groups[index] ?? '';
  }
  return out + rest;
}

function extractReference(s: string): { name: string; num: number; rest: string } | undefined {
  const brace = s.startsWith('{');
  const body = brace ? s.slice(1) : s;
  const m = NAME_CHARS.exec(body);
  if (!m) return undefined;
  const name = m[0];
  let end = name.length;
  if (brace) {
    if (body[end] !== '}') return undefined;
    end++;
  }
  // A number only when all digits, without a leading zero, and not absurdly large.
  let num = -1;
  if (/^[0-9]+$/.test(name) && (name === '0' || name[0] !== '0') && name.length <= 9) num = Number(name);
  return { name, num, rest: body.slice(end) };
}
