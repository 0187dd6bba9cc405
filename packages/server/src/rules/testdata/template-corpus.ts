/**
 * Prometheus's template functions as real Prometheus expands them: run through Debian's promtool
 * 2.42 by gotemplate/testdata/record-go-outputs.ts into template-outputs.json, and checked by
 * template.test.ts. Same shape as the engine's own corpus (gotemplate/testdata/go-corpus.ts).
 */
import type { CorpusCase, Scenario } from '../../gotemplate/testdata/go-corpus.ts';

export const SCENARIOS: readonly Scenario[] = [
  { labels: { job: 'node', instance: 'host.example.com:9100' }, value: '1234567' },
  { labels: { job: 'node', instance: '10.0.0.1:9100' }, value: '0.000123' },
  { labels: { job: 'x' }, value: 'NaN' },
  { labels: { job: 'x' }, value: '1700000000.123' },
];

/** Data for `query`: loaded as input series. */
export const INPUT_SERIES: readonly (readonly [string, string])[] = [
  ['up{job="node", instance="b:9100"}', '1'],
  ['up{job="node", instance="a:9100"}', '0'],
  ['node_load1{instance="a:9100"}', '1.5'],
];

export const EXEC_CASES: readonly CorpusCase[] = [
  [
    'humanize',
    '{{ humanize 0 }} {{ humanize 1 }} {{ humanize 1234567 }} {{ humanize 1e6 }} {{ humanize 999.95 }} {{ humanize 0.001234 }} {{ humanize -5e-9 }} {{ humanize 1e30 }}',
  ],
  ['humanize-value', '{{ $value | humanize }} {{ humanize $value }}', 0],
  ['humanize-small-value', '{{ $value | humanize }} {{ $value | humanizePercentage }}', 1],
  [
    'humanize-nan',
    '{{ humanize $value }} {{ humanize1024 $value }} {{ humanizeDuration $value }} {{ humanizeTimestamp $value }}',
    2,
  ],
  [
    'humanize-string',
    '{{ humanize "1234" }} {{ humanize "1e3" }} {{ humanize "Inf" }} {{ humanize "-inf" }}',
  ],
  ['humanize-bad-string', '{{ humanize "abc" }}'],
  ['humanize-bad-type', '{{ humanize true }}'],
  [
    'humanize1024',
    '{{ humanize1024 0 }} {{ humanize1024 1 }} {{ humanize1024 1023 }} {{ humanize1024 1024 }} {{ humanize1024 1048576 }} {{ humanize1024 1.5e12 }} {{ humanize1024 -2048 }} {{ humanize1024 0.5 }}',
  ],
  [
    'humanizeDuration',
    '{{ humanizeDuration 0 }}|{{ humanizeDuration 0.5 }}|{{ humanizeDuration 1.5 }}|{{ humanizeDuration 61 }}|{{ humanizeDuration 3661 }}|{{ humanizeDuration 90061 }}|{{ humanizeDuration -3661 }}|{{ humanizeDuration 0.00001 }}|{{ humanizeDuration 59.999 }}',
  ],
  [
    'humanizePercentage',
    '{{ humanizePercentage 0.1234 }} {{ humanizePercentage 1 }} {{ humanizePercentage 0 }} {{ humanizePercentage 0.000012345 }}',
  ],
  [
    'humanizeTimestamp',
    '{{ humanizeTimestamp 1700000000.123 }}|{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp 1.5 }}',
  ],
  ['humanizeTimestamp-value', '{{ $value | humanizeTimestamp }}', 3],
  [
    'case',
    '{{ toUpper "héllo" }} {{ toLower "HÉLLO" }} {{ title "hello world-foo bar_baz don\'t 1st élan" }}',
  ],
  [
    'reReplaceAll',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp replacement syntax, not JS
    '{{ reReplaceAll "(a+)(b)?" "<$1|$2>" "aab ab b" }}|{{ reReplaceAll "a*" "X" "baaac" }}|{{ reReplaceAll "(a)" "${1}x$1x" "a" }}|{{ reReplaceAll "(?P<h>[^:]+):(?P<p>.*)" "$p@$h" "host:80" }}',
  ],
  ['reReplaceAll-labels', '{{ reReplaceAll ":.*" "" $labels.instance }}', 0],
  ['reReplaceAll-bad', '{{ reReplaceAll "(" "x" "y" }}'],
  [
    'match',
    '{{ match "^a.c$" "abc" }} {{ match "b" "abc" }} {{ match "^b" "abc" }} {{ if match "^host" $labels.instance }}yes{{ end }}',
    0,
  ],
  ['match-bad', '{{ match "[" "x" }}'],
  [
    'stripPort',
    '{{ stripPort "host:9100" }}|{{ stripPort "[::1]:80" }}|{{ stripPort "host" }}|{{ stripPort "a:b:c" }}|{{ stripPort $labels.instance }}',
    0,
  ],
  [
    'stripDomain',
    '{{ stripDomain "host.example.com:9100" }}|{{ stripDomain "10.0.0.1:80" }}|{{ stripDomain "host.example.com" }}|{{ stripDomain "[::1]:80" }}|{{ stripDomain "a.b" }}',
    0,
  ],
  [
    'parseDuration',
    '{{ parseDuration "1h30m" }} {{ parseDuration "-5m" }} {{ parseDuration "0" }} {{ parseDuration "500ms" }}',
  ],
  ['parseDuration-bad', '{{ parseDuration "bad" }}'],
  ['args', '{{ with args 1 "x" 2.5 }}{{ .arg0 }} {{ .arg1 }} {{ .arg2 }} [{{ .arg3 }}]{{ end }}'],
  [
    'args-template',
    '{{ define "pair" }}{{ .arg0 }}={{ .arg1 }}{{ end }}{{ template "pair" args "k" $value }}',
    1,
  ],
  ['safeHtml', '{{ safeHtml "<b>x</b>" }}'],
  ['links', '{{ graphLink "rate(x[5m]) > 0" }} {{ tableLink "up == 0" }}'],
  ['query-len', '{{ with query "up" }}{{ . | len }}{{ end }}'],
  ['query-first-value', '{{ query "up == 1" | first | value }}'],
  ['query-range', '{{ range query "sort(up)" }}{{ .Labels.instance }}={{ .Value }};{{ end }}'],
  ['query-sortByLabel', '{{ range sortByLabel "instance" (query "up") }}{{ .Labels.instance }};{{ end }}'],
  [
    'query-label',
    '{{ with query "node_load1" }}{{ . | first | label "instance" }} {{ . | first | value | humanize }}{{ end }}',
  ],
  ['query-strvalue', '[{{ query "up == 1" | first | strvalue }}]'],
  ['query-empty', '{{ with query "nonexistent" }}{{ . | first | value }}{{ else }}none{{ end }}'],
  ['query-first-empty', '{{ query "nonexistent" | first | value }}'],
  ['query-scalar', '{{ query "1 + 2" | first | value }}'],
  ['query-printf', '{{ printf "up{instance=%q}" "b:9100" | query | first | value }}'],
  [
    'query-nested',
    '{{ $x := query "up == 1" | first | label "instance" }}{{ printf "node_load1{instance=%q}" $x | query | len }}',
  ],
  ['query-parse-error', '{{ query "up{" }}'],
  ['query-chain', '{{ (query "up == 1" | first).Labels.job }}'],
  ['externalLabels', '{{ $externalLabels.region }} {{ .ExternalLabels.region }}'],
  ['value-print', '{{ $value }} {{ .Value }} {{ printf "%.2f" $value }}', 0],
];

export const PARSE_CASES: readonly CorpusCase[] = [
  ['p-unknown-func', '{{ humanise 1 }}'],
  ['p-label-typo', '{{ $label.instance }}'],
];
