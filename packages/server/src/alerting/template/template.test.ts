import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newAlert } from '../alert.ts';
import { replaceAll, title } from './funcs.ts';
import { loadTemplates, templateData } from './index.ts';

const now = Date.UTC(2024, 0, 1);
const alert = newAlert({
  labels: { alertname: 'Injected', instance: 'a<b>' },
  annotations: { summary: '<script>alert(1)</script>', link: '<a href="x">x</a>' },
  startsAt: now - 60_000,
  endsAt: 0,
  generatorURL: 'http://p/graph?x=1&y=2',
  updatedAt: now,
  timeout: false,
});
const data = templateData('mail', { alertname: 'Injected' }, [alert], 'http://am', now);
const { templates } = loadTemplates([], '/');

test('the default email is HTML with every alert value escaped', () => {
  const html = templates.html('{{ template "email.default.html" . }}', data);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /1 alert for alertname=Injected/);
  assert.match(html, /summary = &lt;script&gt;alert\(1\)&lt;\/script&gt;<br>/);
  assert.match(html, /instance = a&lt;b&gt;<br>/);
  assert.match(html, /<a href="http:\/\/p\/graph\?x=1&amp;y=2">Source<\/a>/);
  assert.doesNotMatch(html, /<script>/);
  assert.equal(
    templates.text('{{ template "email.default.subject" . }}', data),
    '[FIRING:1] Injected (a<b>)',
  );
});

test('safeHtml passes trusted markup through in HTML templates', () => {
  assert.equal(templates.html('{{ .CommonAnnotations.link | safeHtml }}', data), '<a href="x">x</a>');
  assert.equal(
    templates.html('{{ .CommonAnnotations.link }}', data),
    '&lt;a href=&#34;x&#34;&gt;x&lt;/a&gt;',
  );
});

test('Alertmanager’s functions: title, reReplaceAll, match, join, stringSlice', () => {
  assert.equal(title('hELLO wORLD high_latency e.g. don’t'), 'Hello World High_latency E.g. Don’t');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${1} expansion syntax
  assert.equal(replaceAll('(\\w+):(\\d+)', '$2/${1}', 'a:1 b:22'), '1/a 22/b');
  assert.equal(replaceAll('x*', '-', 'abc'), '-a-b-c-');
  assert.equal(
    templates.text(
      '{{ if match "^Inj" .CommonLabels.alertname }}yes{{ end }} {{ stringSlice "a" "b" | join "," }}',
      data,
    ),
    'yes a,b',
  );
  assert.throws(
    () => templates.text('{{ reReplaceAll "(" "" "x" }}', data),
    /error calling reReplaceAll: error parsing regexp/,
  );
});

test('a missing key gives the zero value, as Alertmanager runs templates with missingkey=zero', () => {
  assert.equal(templates.text('[{{ .CommonLabels.nope }}]', data), '[]');
  assert.equal(templates.text('{{ (index .Alerts 0).EndsAt.IsZero }}', data), 'true');
});
