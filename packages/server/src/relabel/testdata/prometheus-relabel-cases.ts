// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} is relabel template syntax, not a JS template
/**
 * The TestRelabel table of Prometheus's model/relabel/relabel_test.go (commit d15adb9a; Copyright
 * The Prometheus Authors, Apache License 2.0), converted to data: the rules are in
 * relabel_configs YAML shape. As in the upstream harness, an empty or absent action, separator,
 * regex or replacement means the default.
 */
export interface UpstreamRelabelCase {
  readonly input: Readonly<Record<string, string>>;
  readonly rules: readonly Readonly<Record<string, unknown>>[];
  readonly output?: Readonly<Record<string, string>>;
  readonly drop?: boolean;
}

export const upstreamRelabelCases: readonly UpstreamRelabelCase[] = [
  {
    input: {
      a: 'foo',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'f(.*)',
        target_label: 'd',
        separator: ';',
        replacement: 'ch${1}-ch${1}',
        action: 'replace',
      },
    ],
    output: {
      a: 'foo',
      b: 'bar',
      c: 'baz',
      d: 'choo-choo',
    },
  },
  {
    input: {
      a: 'foo',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a', 'b'],
        regex: 'f(.*);(.*)r',
        target_label: 'a',
        separator: ';',
        replacement: 'b${1}${2}m',
        action: 'replace',
      },
      {
        source_labels: ['c', 'a'],
        regex: '(b).*b(.*)ba(.*)',
        target_label: 'd',
        separator: ';',
        replacement: '$1$2$2$3',
        action: 'replace',
      },
    ],
    output: {
      a: 'boobam',
      b: 'bar',
      c: 'baz',
      d: 'boooom',
    },
  },
  {
    input: {
      a: 'foo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: '.*o.*',
        action: 'drop',
      },
      {
        source_labels: ['a'],
        regex: 'f(.*)',
        target_label: 'd',
        separator: ';',
        replacement: 'ch$1-ch$1',
        action: 'replace',
      },
    ],
    drop: true,
  },
  {
    input: {
      a: 'foo',
      b: 'bar',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: '.*o.*',
        action: 'drop',
      },
    ],
    drop: true,
  },
  {
    input: {
      a: 'abc',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: '.*(b).*',
        target_label: 'd',
        separator: ';',
        replacement: '$1',
        action: 'replace',
      },
    ],
    output: {
      a: 'abc',
      d: 'b',
    },
  },
  {
    input: {
      a: 'foo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'no-match',
        action: 'drop',
      },
    ],
    output: {
      a: 'foo',
    },
  },
  {
    input: {
      a: 'foo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'f|o',
        action: 'drop',
      },
    ],
    output: {
      a: 'foo',
    },
  },
  {
    input: {
      a: 'foo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'no-match',
        action: 'keep',
      },
    ],
    drop: true,
  },
  {
    input: {
      a: 'foo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'f.*',
        action: 'keep',
      },
    ],
    output: {
      a: 'foo',
    },
  },
  {
    input: {
      a: 'boo',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'f',
        target_label: 'b',
        replacement: 'bar',
        action: 'replace',
      },
    ],
    output: {
      a: 'boo',
    },
  },
  {
    input: {
      a: 'foo',
      f: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: '(f).*',
        target_label: '$1',
        replacement: '$2',
        action: 'replace',
      },
    ],
    output: {
      a: 'foo',
    },
  },
  {
    input: {
      a: 'foo',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['c'],
        target_label: 'd',
        separator: ';',
        action: 'hashmod',
        modulus: 1000,
      },
    ],
    output: {
      a: 'foo',
      b: 'bar',
      c: 'baz',
      d: '976',
    },
  },
  {
    input: {
      a: 'foo\nbar',
    },
    rules: [
      {
        source_labels: ['a'],
        target_label: 'b',
        separator: ';',
        action: 'hashmod',
        modulus: 1000,
      },
    ],
    output: {
      a: 'foo\nbar',
      b: '734',
    },
  },
  {
    input: {
      a: 'foo',
      b1: 'bar',
      b2: 'baz',
    },
    rules: [
      {
        regex: '(b.*)',
        replacement: 'bar_${1}',
        action: 'labelmap',
      },
    ],
    output: {
      a: 'foo',
      b1: 'bar',
      b2: 'baz',
      bar_b1: 'bar',
      bar_b2: 'baz',
    },
  },
  {
    input: {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
    },
    rules: [
      {
        regex: '__meta_(my.*)',
        replacement: '${1}',
        action: 'labelmap',
      },
    ],
    output: {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  },
  {
    input: {
      a: 'some-name-value',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        action: 'replace',
        replacement: '${2}',
        target_label: '${1}',
      },
    ],
    output: {
      a: 'some-name-value',
      name: 'value',
    },
  },
  {
    input: {
      a: 'some-name-value',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        action: 'replace',
        replacement: '${3}',
        target_label: '${1}',
      },
    ],
    output: {
      a: 'some-name-value',
    },
  },
  {
    input: {
      a: 'some-name-0',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        action: 'replace',
        replacement: '${1}',
        target_label: '${3}',
      },
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        action: 'replace',
        replacement: '${1}',
        target_label: '${3}',
      },
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)(-[^,]+)',
        action: 'replace',
        replacement: '${1}',
        target_label: '${3}',
      },
    ],
    output: {
      a: 'some-name-0',
    },
  },
  {
    input: {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
    },
    rules: [
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)path:(/[^,]+).*',
        action: 'replace',
        replacement: '${1}',
        target_label: '__metrics_path__',
      },
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)job:([^,]+).*',
        action: 'replace',
        replacement: '${1}',
        target_label: 'job',
      },
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)label:([^=]+)=([^,]+).*',
        action: 'replace',
        replacement: '${2}',
        target_label: '${1}',
      },
    ],
    output: {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    },
  },
  {
    input: {
      __meta_kubernetes_pod_container_port_name: 'foo',
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
    },
    rules: [
      {
        regex: '^__meta_kubernetes_pod_container_port_name$',
        action: 'labeldrop',
      },
      {
        source_labels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'],
        regex: '(.+)',
        action: 'replace',
        replacement: 'metrics',
        target_label: '__meta_kubernetes_pod_container_port_name',
      },
      {
        source_labels: ['__meta_kubernetes_pod_container_port_name'],
        regex: '^metrics$',
        action: 'keep',
      },
    ],
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    },
  },
  {
    input: {
      a: 'foo',
      b1: 'bar',
      b2: 'baz',
    },
    rules: [
      {
        regex: '(b.*)',
        action: 'labelkeep',
      },
    ],
    output: {
      b1: 'bar',
      b2: 'baz',
    },
  },
  {
    input: {
      a: 'foo',
      b1: 'bar',
      b2: 'baz',
    },
    rules: [
      {
        regex: '(b.*)',
        action: 'labeldrop',
      },
    ],
    output: {
      a: 'foo',
    },
  },
  {
    input: {
      foo: 'bAr123Foo',
    },
    rules: [
      {
        source_labels: ['foo'],
        action: 'uppercase',
        target_label: 'foo_uppercase',
      },
      {
        source_labels: ['foo'],
        action: 'lowercase',
        target_label: 'foo_lowercase',
      },
    ],
    output: {
      foo: 'bAr123Foo',
      foo_lowercase: 'bar123foo',
      foo_uppercase: 'BAR123FOO',
    },
  },
  {
    input: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
    rules: [
      {
        source_labels: ['__tmp_port'],
        action: 'keepequal',
        target_label: '__port1',
      },
    ],
    output: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
  },
  {
    input: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
    rules: [
      {
        source_labels: ['__tmp_port'],
        action: 'dropequal',
        target_label: '__port1',
      },
    ],
    drop: true,
  },
  {
    input: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
    rules: [
      {
        source_labels: ['__tmp_port'],
        action: 'dropequal',
        target_label: '__port2',
      },
    ],
    output: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
  },
  {
    input: {
      __tmp_port: '1234',
      __port1: '1234',
      __port2: '5678',
    },
    rules: [
      {
        source_labels: ['__tmp_port'],
        action: 'keepequal',
        target_label: '__port2',
      },
    ],
    drop: true,
  },
  {
    input: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'line1.*line2',
        target_label: 'd',
        separator: ';',
        replacement: 'match${1}',
        action: 'replace',
      },
    ],
    output: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
      d: 'match',
    },
  },
  {
    input: {
      'utf-8.label': 'line1\nline2',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['utf-8.label'],
        regex: 'line1.*line2',
        target_label: 'd',
        separator: ';',
        replacement: 'match${1}',
        action: 'replace',
      },
    ],
    output: {
      'utf-8.label': 'line1\nline2',
      b: 'bar',
      c: 'baz',
      d: 'match',
    },
  },
  {
    input: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'line1.*line2',
        target_label: 'utf-8.label',
        separator: ';',
        replacement: 'match${1}',
        action: 'replace',
      },
    ],
    output: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
      'utf-8.label': 'match',
    },
  },
  {
    input: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: 'line1.*line2',
        target_label: 'utf-8.label${1}',
        separator: ';',
        replacement: 'match${1}',
        action: 'replace',
      },
    ],
    output: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
      'utf-8.label': 'match',
    },
  },
  {
    input: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
    },
    rules: [
      {
        source_labels: ['a'],
        regex: '(line1).*(?<second>line2)',
        target_label: 'label1_${1}',
        separator: ';',
        replacement: 'val_${second}',
        action: 'replace',
      },
      {
        source_labels: ['a'],
        regex: '(line1).*(?<second>line2)',
        target_label: 'label2_$1',
        separator: ';',
        replacement: 'val_$second',
        action: 'replace',
      },
    ],
    output: {
      a: 'line1\nline2',
      b: 'bar',
      c: 'baz',
      label1_line1: 'val_line2',
      label2_line1: 'val_line2',
    },
  },
  {
    input: {
      __name__: 'http_requests_total',
    },
    rules: [
      {
        source_labels: ['__name__'],
        regex: '.*_total$',
        target_label: '__type__',
        replacement: 'counter',
        action: 'replace',
      },
    ],
    output: {
      __name__: 'http_requests_total',
      __type__: 'counter',
    },
  },
  {
    input: {
      __name__: 'disk_usage_bytes',
    },
    rules: [
      {
        source_labels: ['__name__'],
        regex: '.*_bytes$',
        target_label: '__unit__',
        replacement: 'bytes',
        action: 'replace',
      },
    ],
    output: {
      __name__: 'disk_usage_bytes',
      __unit__: 'bytes',
    },
  },
];
