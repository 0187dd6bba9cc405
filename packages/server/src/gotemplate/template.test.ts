/**
 * The engine's API and the Go behaviour the Prometheus-driven corpus cannot reach: missingkey
 * modes, methods on data (as Alertmanager's KV and Alerts types have), function signatures,
 * template sets, newer Go syntax (range over int, else with), time values and Go's float
 * formatting. Expected strings are what Go prints (its documentation and strconv/fmt tests).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  compileTemplate,
  formatFloat,
  GO_TYPE,
  GoMap,
  GoTime,
  goFunc,
  sprintf,
  stringMap,
  Template,
  TemplateError,
} from './index.ts';

function run(text: string, data: unknown, options: Parameters<typeof compileTemplate>[1] = {}): string {
  return compileTemplate(text, { name: 't', ...options }).execute(data);
}

function fails(
  text: string,
  data: unknown,
  message: string,
  options: Parameters<typeof compileTemplate>[1] = {},
) {
  assert.throws(
    () => run(text, data, options),
    (err: unknown) => {
      assert.ok(err instanceof TemplateError, `not a TemplateError: ${err}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('formatFloat (strconv.FormatFloat)', () => {
  const cases: [number, 'e' | 'f' | 'g' | 'E' | 'G', number, string][] = [
    [1, 'e', 5, '1.00000e+00'],
    [1e23, 'g', -1, '1e+23'],
    [100, 'g', -1, '100'],
    [1e6, 'g', -1, '1e+06'],
    [123456789, 'g', -1, '1.23456789e+08'],
    [0.000001, 'g', -1, '1e-06'],
    [0.0001, 'g', -1, '0.0001'],
    [5e-324, 'g', -1, '5e-324'],
    [1.7976931348623157e308, 'g', -1, '1.7976931348623157e+308'],
    [-0, 'g', -1, '-0'],
    [0.1, 'f', 20, '0.10000000000000000555'],
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [0.125, 'f', 2, '0.12'],
    [0.375, 'f', 2, '0.38'],
    [1e23, 'f', 0, '99999999999999991611392'],
    [123456, 'g', 3, '1.23e+05'],
    [0.00001234, 'g', 2, '1.2e-05'],
    [1000, 'g', 4, '1000'],
    [1.5, 'e', 0, '2e+00'],
    [2.5, 'e', 0, '2e+00'],
    [1e100, 'E', -1, '1E+100'],
    [0, 'e', -1, '0e+00'],
    [0, 'f', 3, '0.000'],
    [Number.NaN, 'g', -1, 'NaN'],
    [Infinity, 'f', 2, '+Inf'],
    [-Infinity, 'e', -1, '-Inf'],
    [9.999, 'f', 2, '10.00'],
    [999999.5, 'g', 6, '1e+06'],
  ];
  for (const [v, fmt, prec, want] of cases) {
    test(`${v} ${fmt} ${prec} → ${want}`, () => assert.equal(formatFloat(v, fmt, prec), want));
  }
});

describe('sprintf (fmt.Sprintf)', () => {
  const cases: [string, unknown[], string][] = [
    ['%6.2f', [3.14259], '  3.14'],
    ['%x', ['hello'], '68656c6c6f'],
    ['% x', ['hello'], '68 65 6c 6c 6f'],
    ['%#x', [255n], '0xff'],
    ['%q', ['"hi"'], '"\\"hi\\""'],
    ['%v', [[1n, 'a', 2.5]], '[1 a 2.5]'],
    ['%d', [[1n, 2n]], '[1 2]'],
    ['%s', [[1n]], '[%!s(int=1)]'],
    [
      '%v',
      [
        new GoMap([
          ['b', 1n],
          ['a', 2n],
        ]),
      ],
      'map[a:2 b:1]',
    ],
    ['%+v', [{ A: 1n, B: 'x' }], '{A:1 B:x}'],
    ['%5s|%-5s|', ['é', 'é'], '    é|é    |'],
    ['%.3s', ['héllo'], 'hél'],
    ['%08.3f', [-3.14259], '-003.143'],
    ['%+.3e', [12345.678], '+1.235e+04'],
    ['%x', [-255n], '-ff'],
    ['%c|%c', [0x1f600n, -1n], '😀|\ufffd'],
    ['%', [], '%!(NOVERB)'],
    ['hi%d', [], 'hi%!d(MISSING)'],
    ['%z', [1n], '%!z(int=1)'],
    ['%T %T', [new GoTime(0n), null], 'time.Time <nil>'],
  ];
  for (const [format, args, want] of cases) {
    test(`${format} → ${want}`, () => assert.equal(sprintf(format, args), want));
  }
});

describe('missing map keys', () => {
  const data = { M: stringMap({ a: 'x' }), Any: new Map<string, unknown>([['a', 1n]]) };
  test('default prints <no value>', () =>
    assert.equal(run('{{ .M.b }}|{{ .Any.b }}', data), '<no value>|<no value>'));
  test('zero gives the element zero value', () =>
    assert.equal(run('[{{ .M.b }}]|{{ .Any.b }}', data, { missingKey: 'zero' }), '[]|<no value>'));
  test('error stops', () =>
    fails('{{ .M.b }}', data, 'template: t:1:5: executing "t" at <.M.b>: map has no entry for key "b"', {
      missingKey: 'error',
    }));
  test('index gives the zero value whatever the option', () =>
    assert.equal(run('[{{ index .M "b" }}]', data), '[]'));
  test('a missing value piped into a string parameter is an error', () =>
    fails(
      '{{ .M.b | up }}',
      data,
      'template: t:1:10: executing "t" at <up>: invalid value; expected string',
      { funcs: { up: goFunc(['string'], (s: string) => s.toUpperCase()) } },
    ));
});

/** A miniature of Alertmanager's KV type: a map with methods. */
class KV extends GoMap<string> {
  constructor(record: Record<string, string>) {
    super(Object.entries(record), '', 'template.KV');
  }
  Names(): string[] {
    return [...this.keys()].sort();
  }
  Values(): string[] {
    return this.Names().map((n) => this.get(n)!);
  }
  Remove(names: string[]): KV {
    const out = new KV({});
    for (const [k, v] of this) if (!names.includes(k)) out.set(k, v);
    return out;
  }
}

describe('methods on data', () => {
  const alerts = Object.assign(
    [
      { Status: 'firing', Labels: new KV({ alertname: 'A' }) },
      { Status: 'resolved', Labels: new KV({ alertname: 'B' }) },
    ],
    {
      [GO_TYPE]: 'template.Alerts',
      Firing(this: { Status: string }[]) {
        return this.filter((a) => a.Status === 'firing');
      },
    },
  );
  const data = { Alerts: alerts, Common: new KV({ a: '1', b: '2', job: 'x' }), Group: new KV({ job: 'x' }) };
  const join = goFunc(['string', { name: '[]string', accepts: Array.isArray }], (sep: string, a: string[]) =>
    a.join(sep),
  );
  test('a method of a slice, piped', () => assert.equal(run('{{ .Alerts.Firing | len }}', data), '1'));
  test('method chains and methods with arguments', () =>
    assert.equal(
      run('{{ with .Common.Remove .Group.Names }}{{ .Values | join " " }}{{ end }}', data, {
        funcs: { join },
      }),
      '1 2',
    ));
  test('map keys still work next to methods', () => assert.equal(run('{{ .Common.job }}', data), 'x'));
  test('a Stringer prints through String()', () =>
    assert.equal(run('{{ . }} {{ printf "%s|%v" . . }}', { String: () => 'str', Other: 1n }), 'str str|str'));
  test('a field with arguments is an error', () =>
    fails(
      '{{ .A 1 }}',
      { A: 'x' },
      'template: t:1:3: executing "t" at <.A>: A has arguments but cannot be invoked as function',
    ));
  test('call runs a func value', () =>
    assert.equal(
      run('{{ call .Fns.mul 2 3 }}', { Fns: new Map([['mul', (a: bigint, b: bigint) => a * b]]) }),
      '6',
    ));
});

describe('function signatures', () => {
  const funcs = {
    up: goFunc(['string'], (s: string) => s.toUpperCase()),
    half: goFunc(['float64'], (f: number) => f / 2),
    twice: goFunc(['int'], (i: bigint) => i * 2n),
    boom: goFunc([], () => {
      throw new Error('boom');
    }),
    plain: (...a: unknown[]) => a.length,
  };
  test('literals convert to parameter types', () =>
    assert.equal(
      run('{{ half 3 }} {{ twice 21 }} {{ up "a" }} {{ plain 1 2 3 }}', null, { funcs }),
      '1.5 42 A 3',
    ));
  test('wrong arity', () =>
    fails(
      '{{ up "a" "b" }}',
      null,
      'template: t:1:3: executing "t" at <up>: wrong number of args for up: want 1 got 2',
      {
        funcs,
      },
    ));
  test('wrong literal type', () =>
    fails('{{ up 1 }}', null, 'template: t:1:6: executing "t" at <1>: expected string; found 1', { funcs }));
  test('wrong value type', () =>
    fails(
      '{{ up . }}',
      5n,
      'template: t:1:6: executing "t" at <.>: wrong type for value; expected string; got int',
      {
        funcs,
      },
    ));
  test('a throwing function stops with error calling', () =>
    fails('{{ boom }}', null, 'template: t:1:3: executing "t" at <boom>: error calling boom: boom', {
      funcs,
    }));
  test('an unknown function is a parse error', () =>
    assert.throws(
      () => compileTemplate('{{ nope }}', { name: 't' }),
      /template: t:1: function "nope" not defined/,
    ));
  test('functions may override builtins', () =>
    assert.equal(run('{{ len "abc" }}', null, { funcs: { len: () => 'mine' } }), 'mine'));
});

describe('template sets', () => {
  test('a later parse redefines a template; an empty body does not', () => {
    const t = Template.create({ name: 'root' });
    t.parse('{{ define "x" }}one{{ end }}{{ template "x" }}');
    assert.equal(t.execute(null), 'one');
    t.new('other').parse('{{ define "x" }}two{{ end }}');
    assert.equal(t.execute(null), 'two');
    t.new('other2').parse('{{ define "x" }} {{ end }}');
    assert.equal(t.execute(null), 'two');
  });
  test('clones are independent', () => {
    const base = compileTemplate('{{ define "x" }}base{{ end }}[{{ template "x" }}]', { name: 'b' });
    const copy = base.clone();
    copy.new('o').parse('{{ define "x" }}copy{{ end }}');
    assert.equal(base.execute(null), '[base]');
    assert.equal(copy.execute(null), '[copy]');
  });
  test('executeTemplate and missing templates', () => {
    const t = compileTemplate('{{ define "a" }}A{{ . }}{{ end }}', { name: 'root' });
    assert.equal(t.executeTemplate('a', 1n), 'A1');
    assert.throws(() => t.executeTemplate('zz', null), /no template "zz" associated with template "root"/);
    assert.equal(t.definedTemplates(), '; defined templates are: "root", "a"');
  });
  test('an empty template cannot execute', () =>
    assert.throws(
      () => Template.create({ name: 'e' }).execute(null),
      /"e" is an incomplete or empty template/,
    ));
  test('deep recursion is stopped', () =>
    assert.throws(
      () =>
        compileTemplate('{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}', {
          name: 't',
        }).execute(null),
      /exceeded maximum template depth \(1000\)/,
    ));
  test('custom delimiters', () =>
    assert.equal(run('[[ .A ]] {{ .A }}', { A: 'x' }, { leftDelim: '[[', rightDelim: ']]' }), 'x {{ .A }}'));
});

describe('newer Go syntax', () => {
  test('range over an integer (Go 1.22)', () =>
    assert.equal(run('{{ range $i := 3 }}{{ $i }}{{ end }}', null), '012'));
  test('else with (Go 1.23)', () =>
    assert.equal(
      run('{{ with .A }}a{{ else with .B }}b={{ . }}{{ else }}c{{ end }}', { A: '', B: 'x' }),
      'b=x',
    ));
  test('break and continue (Go 1.18)', () =>
    assert.equal(
      run(
        '{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}',
        [1n, 2n, 3n, 4n, 5n],
      ),
      '13',
    ));
  test('break is an ordinary name when a function is called that', () =>
    assert.equal(run('{{ break }}', null, { funcs: { break: () => 'fn' } }), 'fn'));
});

describe('time values', () => {
  const t = GoTime.fromUnixMillis(1_700_000_000_123);
  test('String() like Go', () => assert.equal(run('{{ . }}', t), '2023-11-14 22:13:20.123 +0000 UTC'));
  test('Format layouts', () =>
    assert.equal(
      run('{{ .Format "2006-01-02T15:04:05.000Z07:00" }} {{ .Format "Mon Jan _2 3:04PM" }} {{ .Unix }}', t),
      '2023-11-14T22:13:20.123Z Tue Nov 14 10:13PM 1700000000',
    ));
  test('a zone offset', () =>
    assert.equal(
      new GoTime(0n, 3600 + 1800, 'X').Format('2006-01-02 15:04 -07:00 MST'),
      '1970-01-01 01:30 +01:30 X',
    ));
});

test('parse errors are TemplateErrors with Go positions', () => {
  assert.throws(
    () => compileTemplate('a\n{{ if .X }}\n{{ end', { name: 'n' }),
    (err: unknown) =>
      err instanceof TemplateError &&
      err.phase === 'parse' &&
      err.message === 'template: n:3: unclosed action',
  );
});

test('bad input never throws anything but TemplateError', () => {
  const inputs = [
    '{{',
    '}}',
    '{{{{',
    '{{ ( }}',
    '{{ .a.b.c.d | x | y',
    '{{- -}}',
    '{{ "\\',
    "{{ '",
    '{{ 0x }}',
    '{{ $ }}',
  ];
  for (const text of inputs) {
    try {
      compileTemplate(text, { name: 'f' }).execute({ a: null });
    } catch (err) {
      assert.ok(err instanceof TemplateError, `${JSON.stringify(text)} threw ${err}`);
    }
  }
});

test('random templates fail only with TemplateError (fast-check, fixed seed)', () => {
  const piece = fc.constantFrom(
    '{{',
    '}}',
    '{{-',
    '-}}',
    ' ',
    '.',
    '.A',
    '$',
    '$x',
    ':=',
    '=',
    '|',
    '(',
    ')',
    '"s"',
    '`r`',
    "'c'",
    '1',
    '1.5',
    'if',
    'else',
    'end',
    'range',
    'with',
    'define',
    'template',
    'block',
    'break',
    'continue',
    'nil',
    'true',
    'len',
    'index',
    'printf',
    '"%d"',
    'eq',
    'and',
    '/*',
    '*/',
    '\n',
    'x',
    ',',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 25 }), (parts) => {
      const text = parts.join('');
      try {
        compileTemplate(text, { name: 'fuzz' }).execute({ A: [1n, 2n], B: stringMap({ k: 'v' }) });
      } catch (err) {
        if (!(err instanceof TemplateError)) throw new Error(`${JSON.stringify(text)} threw ${err}`);
      }
    }),
    { seed: 42, numRuns: 3000 },
  );
});
