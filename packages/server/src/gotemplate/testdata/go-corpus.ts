/**
 * Templates whose output real Go produced. Each runs the way a Prometheus alert annotation is
 * expanded: the data is {Labels, ExternalLabels, ExternalURL, Value}, the text is prefixed with
 * Prometheus's `{{$labels := .Labels}}...{{$value := .Value}}` definitions, the template is named
 * `__alert_<rule>` and `missingkey=zero` is set. record-go-outputs.ts runs them through Debian's
 * promtool 2.42 (Go 1.19) and writes go-outputs.json; go-corpus.test.ts checks our engine against
 * that file. Only builtins are used here; Prometheus's functions have their own corpus in rules/.
 */

/** The alert data a case runs with: labels plus the sample value. */
export interface Scenario {
  readonly labels: Readonly<Record<string, string>>;
  /** The value as a PromQL literal (vector(VALUE)). */
  readonly value: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { labels: { job: 'api', instance: 'host.example.com:9100', path: '/a b&c' }, value: '1000000' },
  { labels: { job: 'node', severity: 'critical' }, value: '0.5' },
  { labels: { job: 'x' }, value: '-2.75' },
  { labels: { job: 'x' }, value: 'NaN' },
  { labels: { job: 'x' }, value: '+Inf' },
  { labels: { job: 'x' }, value: '0' },
  { labels: { job: 'x' }, value: '123456.789' },
  { labels: { job: 'x' }, value: '1e-7' },
  { labels: { job: 'x' }, value: '1e21' },
  { labels: { job: 'x' }, value: '-Inf' },
];

/** [id, template text, scenario index]. Ids are stable keys into go-outputs.json. */
export type CorpusCase = readonly [id: string, text: string, scenario?: number];

export const EXEC_CASES: readonly CorpusCase[] = [
  // Printing values with {{ }} (fmt's %v).
  ['value-1e6', '{{ $value }}', 0],
  ['value-half', '{{ $value }}', 1],
  ['value-neg', '{{ $value }}', 2],
  ['value-nan', '{{ $value }}', 3],
  ['value-inf', '{{ $value }}', 4],
  ['value-neginf', '{{ $value }}', 9],
  ['value-zero', '{{ $value }}', 5],
  ['value-123456', '{{ $value }}', 6],
  ['value-tiny', '{{ $value }}', 7],
  ['value-1e21', '{{ $value }}', 8],
  ['dot-struct', '{{ . }}', 1],
  ['labels-map', '{{ $labels }}', 0],
  ['plusv-struct', '{{ printf "%+v" . }}', 1],
  ['sharpv-map', '{{ printf "%#v" $labels }}', 1],
  ['type-names', '{{ printf "%T %T %T %T %T" $labels $value "s" 1 true }}', 1],
  [
    'literals',
    '{{ 1 }} {{ 1.0 }} {{ 1.5 }} {{ 1e3 }} {{ 0x10 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ -3 }} {{ .5 }}',
  ],
  ['literal-char', "{{ 'a' }} {{ '\\n' }} {{ printf \"%c %q\" 'x' 'y' }}"],
  ['literal-strings', '{{ "a\\tb" }}|{{ `raw\\n` }}|{{ "\\u00e9\\x41" }}'],
  ['literal-bool-nil', '{{ true }} {{ false }} {{ print nil }}'],
  // printf verbs and flags.
  ['printf-f', '{{ printf "%f %.0f %.1f %.2f %.3f" 3.14159 2.5 0.05 2.675 1.0005 }}'],
  ['printf-f-value', '{{ printf "%.2f" $value }} {{ printf "%.0f" $value }} {{ printf "%f" $value }}', 6],
  [
    'printf-f-width',
    '{{ printf "[%8.2f] [%-8.2f] [%08.2f] [%+.2f] [% .2f]" 3.14159 3.14159 -3.14159 3.14159 3.14159 }}',
  ],
  ['printf-e', '{{ printf "%e %E %.2e %.0e" 123456.789 0.000123 1e21 5e-324 }}'],
  ['printf-g', '{{ printf "%g %G %.3g %.10g %.1g %g" 123456.789 1e-7 0.0001234 1e6 99.9 100000000.0 }}'],
  ['printf-g-small', '{{ printf "%g %g %g %g" 0.0001 0.00001 1e20 1e21 }}'],
  ['printf-v-floats', '{{ printf "%v %v %v %v %v" 1e20 1e21 123456789.0 0.000001 100.0 }}'],
  ['printf-special', '{{ printf "%f %5.1f %05.1f %+f %v" $value $value $value $value $value }}', 3],
  ['printf-inf', '{{ printf "%f %08.2f %+.1e %g" $value $value $value $value }}', 4],
  [
    'printf-d',
    '{{ printf "%d %5d %-5d| %05d %+d % d %.3d %x %X %o %O %b %#x %#o %#b" 42 42 42 -42 42 42 7 255 255 8 8 5 255 8 5 }}',
  ],
  ['printf-c-q-u', '{{ printf "%c %q %U %#U" 9731 65 9731 9731 }}'],
  [
    'printf-s',
    '{{ printf "[%s] [%5s] [%-5s] [%.2s] [%q] [%x] [% x] [%X] [%#q]" "ab" "ab" "ab" "abc" "a\\"b" "hi" "hi" "hi" "ab" }}',
  ],
  ['printf-q-unicode', '{{ printf "%q %+q" "é\\u2028\\x01" "é" }}'],
  ['printf-t', '{{ printf "%t %v %5t" true false true }}'],
  ['printf-percent', '{{ printf "100%% %d%%" 5 }}'],
  ['printf-bad-verb', '{{ printf "%d %s %t %z" "x" 1.5 1 2 }}'],
  ['printf-missing', '{{ printf "%d %d" 1 }}'],
  ['printf-extra', '{{ printf "%d" 1 2 "three" }}'],
  ['printf-noverb', '{{ printf "abc%" }}'],
  ['printf-index', '{{ printf "%[2]d %[1]d %d" 1 2 }} {{ printf "%[3]d" 1 }} {{ printf "%[x]d" 1 }}'],
  ['printf-star', '{{ printf "[%*d] [%-*d] [%.*f] [%*d]" 5 1 4 2 2 3.14159 "x" 3 }}'],
  ['printf-nil', '{{ printf "%v %s %d" nil nil nil }}'],
  ['printf-map-slice', '{{ printf "%v|%s|%q|%d" $labels $labels $labels $labels }}', 1],
  ['printf-value-s', '{{ printf "%s" $value }} {{ printf "%d" $value }}', 1],
  ['printf-labels', '{{ printf "%s on %s" $labels.job $labels.instance }}', 0],
  ['printf-pipe', '{{ $value | printf "%.1f" }} {{ "x" | printf "%s-%s" "a" }}', 1],
  ['printf-zero-pad-str', '{{ printf "%05s|%-05d|%05.1f" "ab" 3 -1.5 }}'],
  ['printf-sharp-g', '{{ printf "%#g %#.3g %#v" 1.0 2.5 1.5 }}'],
  // print, println.
  ['print', '{{ print 1 2 }}|{{ print "a" 1 2 "b" "c" }}|{{ print 1.5 true nil }}'],
  ['println', '{{ println 1 "a" 2.5 }}|{{ println }}'],
  // Builtins.
  ['len', '{{ len "héllo" }} {{ len $labels }} {{ len "" }}', 0],
  ['index-map', '{{ index $labels "job" }}|{{ index $labels "missing" }}|{{ index .Labels "instance" }}', 0],
  ['index-string', '{{ index "abc" 1 }}'],
  ['slice-string', '{{ slice "hello" 1 3 }}|{{ slice "hello" 2 }}|{{ slice "hello" }}'],
  ['and-or-not', '{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 "" "x" }} {{ or 0 "" }} {{ not 0 }} {{ not "a" }}'],
  ['and-or-values', '{{ and $labels.job $labels.missing }}|{{ or $labels.missing $labels.job }}', 1],
  [
    'eq-ne',
    '{{ eq 1 1 }} {{ eq "a" "b" }} {{ eq 1 2 3 1 }} {{ ne 1 2 }} {{ eq $labels.job "node" }} {{ eq true true }}',
    1,
  ],
  [
    'lt-gt',
    '{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }} {{ lt $value 1.0 }} {{ gt $value 0.1 }}',
    1,
  ],
  ['html', '{{ html "<a href=\\"x\\">Tom & \'Jerry\'</a>" }}'],
  ['js', '{{ js "it\'s <b>\\"x\\"</b> & a=b\\n" }}'],
  ['urlquery', '{{ urlquery "a b&c=d/é?" }} {{ urlquery 1 "x" }}'],
  ['html-multi', '{{ html 1 2 "<" }} {{ js 1.5 }}'],
  ['html-missing', '{{ html .Labels.missing }}|{{ urlquery .Labels.missing }}'],
  // Control flow.
  [
    'if-else',
    '{{ if eq $labels.severity "critical" }}PAGE{{ else if eq $labels.severity "warning" }}WARN{{ else }}INFO{{ end }}',
    1,
  ],
  ['if-value', '{{ if gt $value 0.0 }}pos{{ else }}nonpos{{ end }}', 2],
  [
    'if-string',
    '{{ if $labels.job }}has job{{ end }}{{ if $labels.missing }}has missing{{ else }}no missing{{ end }}',
    1,
  ],
  ['with', '{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.missing }}x{{ else }}none{{ end }}', 1],
  ['range-map', '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}', 0],
  ['range-map-one-var', '{{ range $v := $labels }}{{ $v }},{{ end }}', 0],
  ['range-map-dot', '{{ range $labels }}<{{ . }}>{{ end }}', 0],
  ['range-else', '{{ range .ExternalLabels }}x{{ else }}empty{{ end }}', 0],
  [
    'range-break',
    '{{ range $k, $v := $labels }}{{ if eq $k "job" }}{{ break }}{{ end }}{{ $k }};{{ end }}',
    0,
  ],
  [
    'range-continue',
    '{{ range $k, $v := $labels }}{{ if eq $k "job" }}{{ continue }}{{ end }}{{ $k }};{{ end }}',
    0,
  ],
  ['range-vars-scope', '{{ $x := "outer" }}{{ range $labels }}{{ $x = . }}{{ end }}{{ $x }}', 0],
  ['range-dollar', '{{ range $labels }}{{ $.Value }} {{ end }}', 1],
  ['variables', '{{ $a := 1 }}{{ $b := "two" }}{{ $a }} {{ $b }}{{ $a = 3 }} {{ $a }}'],
  ['variable-scope-if', '{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }} {{ $x }}'],
  [
    'paren-pipeline',
    '{{ (printf "%s-%s" "a" "b") }} {{ len (printf "%d" 12345) }} {{ (index $labels "job") | printf "%q" }}',
    1,
  ],
  ['chain-paren', '{{ (.Labels).job }}', 1],
  [
    'define-template',
    '{{ define "t1" }}[{{ . }}]{{ end }}{{ template "t1" "x" }}{{ template "t1" $labels.job }}',
    1,
  ],
  ['define-no-dot', '{{ define "t2" }}<{{ . }}>{{ end }}{{ template "t2" }}'],
  ['block', '{{ block "b1" $labels.job }}({{ . }}){{ end }}', 1],
  [
    'define-vars',
    '{{ define "t3" }}{{ $labels := "shadow" }}{{ $labels }}{{ end }}{{ template "t3" }} {{ $labels.job }}',
    1,
  ],
  ['template-dollar', '{{ define "t4" }}{{ $ }}{{ end }}{{ template "t4" 42 }}'],
  // Whitespace trimming and comments.
  ['trim', 'a  {{- " b " -}}  c'],
  ['trim-newlines', 'x\n  {{- 1 }}\n  {{- 2 -}}\n  y'],
  ['trim-number', '{{- 3 -}} {{ -3 }}'],
  ['comment', 'a{{/* a comment */}}b{{- /* trimmed */ -}} c'],
  ['multiline-action', '{{ printf "%s %s"\n  "a"\n  "b" }}'],
  // Field access.
  ['field-map', '{{ .Labels.job }} {{ .Labels.missing }}|{{ $labels.job }}', 1],
  ['field-chain-missing', '{{ $labels.missing }}|{{ .ExternalLabels.x }}|{{ .ExternalURL }}', 1],
  // Execution errors.
  ['err-missing-field', '{{ .Nope }}'],
  ['err-field-on-string', '{{ $labels.job.x }}', 1],
  ['err-field-on-float', '{{ .Value.X }}', 1],
  ['err-call-nonfunc', '{{ $labels.job 1 }}', 1],
  ['err-wrong-args', '{{ len 1 2 }}'],
  ['err-len-int', '{{ len 3 }}'],
  ['err-len-float', '{{ len $value }}', 1],
  ['err-index-range', '{{ index "abc" 5 }}'],
  ['err-index-type', '{{ index $value 1 }}', 1],
  ['err-index-key-type', '{{ index $labels 1 }}', 1],
  ['err-slice-range', '{{ slice "abc" 2 1 }}'],
  ['err-eq-types', '{{ eq 1 "a" }}'],
  ['err-lt-bool', '{{ lt true false }}'],
  ['err-eq-missing', '{{ eq 1 }}'],
  ['err-lt-map', '{{ lt $labels $labels }}', 1],
  ['err-range-float', '{{ range $value }}x{{ end }}', 1],
  ['err-range-string', '{{ range "abc" }}x{{ end }}'],
  ['err-not-function-arg', '{{ "x" | $labels.job }}', 1],
  ['err-nil-command', '{{ nil }}'],
  ['err-template-undefined', '{{ template "nope" }}'],
  ['err-printf-type', '{{ printf 1 }}'],
  ['err-pipe-into-literal', '{{ 1 | printf "%d %d" 2 }}'],
  ['err-second-line', 'ok\n{{ .Missing }}'],
  ['err-in-define', '{{ define "bad" }}x{{ .Zap }}{{ end }}{{ template "bad" . }}'],
  ['err-multibyte-col', 'é€{{ .Missing }}'],
  ['err-call-nil', '{{ call .Labels.job }}', 1],
  ['err-and-arity', '{{ and }}'],
];

/** Templates that must fail to parse; the recorder takes Go's error from `promtool check rules`. */
export const PARSE_CASES: readonly CorpusCase[] = [
  ['p-unclosed-action', '{{ .Foo'],
  ['p-undefined-func', '{{ foo }}'],
  ['p-undefined-var', '{{ $x }}'],
  ['p-unexpected-end', '{{ end }}'],
  ['p-unexpected-else', '{{ else }}'],
  ['p-missing-value-if', '{{ if }}x{{ end }}'],
  ['p-unclosed-if', '{{ if 1 }}x'],
  ['p-else-if-in-range', '{{ range $labels }}{{ else if 1 }}{{ end }}'],
  ['p-non-exec-stage', '{{ 1 | 2 }}'],
  ['p-bad-number', '{{ 1x }}'],
  ['p-unterminated-string', '{{ "abc }}'],
  ['p-unterminated-raw', '{{ `abc }}'],
  ['p-bad-char', '{{ # }}'],
  ['p-unclosed-comment', '{{/* abc }}'],
  ['p-comment-before-delim', '{{/* abc */ x }}'],
  ['p-unclosed-paren', '{{ (1 }}'],
  ['p-extra-paren', '{{ 1) }}'],
  ['p-empty-action', '{{ }}'],
  ['p-break-outside', '{{ break }}'],
  ['p-continue-outside', '{{ continue }}'],
  ['p-dot-after-literal', '{{ "a".b }}'],
  ['p-range-decl', '{{ range $a, $b, $c := $labels }}{{ end }}'],
  ['p-too-many-decl', '{{ $a, $b := 1 }}'],
  ['p-multiple-define', '{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}'],
  ['p-define-name', '{{ define a }}x{{ end }}'],
  ['p-template-name', '{{ template x }}'],
  ['p-bad-escape', '{{ "\\q" }}'],
  ['p-undefined-var-after-scope', '{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}'],
  ['p-unclosed-multiline', '{{ if 1 }}\nx\n{{ printf "a"\n'],
  ['p-integer-overflow', '{{ 99999999999999999999 }}'],
  ['p-colon', '{{ $x : 1 }}'],
  ['p-expected-end', '{{ if 1 }}a{{ else }}b{{ else }}c{{ end }}'],
];
