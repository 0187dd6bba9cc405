import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  acceptHeader,
  ContentTypeError,
  DEFAULT_SCRAPE_PROTOCOLS,
  formatForContentType,
  parseMediaType,
} from './media-type.ts';

test('the default Accept header is Prometheus 3 default', () => {
  assert.equal(
    acceptHeader(DEFAULT_SCRAPE_PROTOCOLS, 'allow-utf-8'),
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,' +
      'application/openmetrics-text;version=0.0.1;q=0.5,' +
      'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,' +
      'text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  );
  assert.equal(
    acceptHeader(['PrometheusText0.0.4'], 'underscores'),
    'text/plain;version=0.0.4;q=0.6,*/*;q=0.5',
  );
});

test('the response Content-Type decides the parser', () => {
  assert.deepEqual(formatForContentType('text/plain; version=0.0.4; charset=utf-8', undefined), {
    format: 'prometheus-text',
  });
  assert.deepEqual(
    formatForContentType('Application/OpenMetrics-Text; version=1.0.0; charset=utf-8', undefined),
    {
      format: 'openmetrics',
    },
  );
  assert.deepEqual(formatForContentType('text/plain;', undefined), { format: 'prometheus-text' });
});

test('a missing or unknown Content-Type fails unless a fallback is configured', () => {
  assert.throws(() => formatForContentType(undefined, undefined), ContentTypeError);
  assert.throws(
    () => formatForContentType('', undefined),
    /sent no Content-Type; set fallback_scrape_protocol/,
  );
  assert.throws(
    () => formatForContentType('application/json', undefined),
    /unsupported Content-Type "application\/json"/,
  );
  assert.throws(() => formatForContentType('text/plain; charset', undefined), /cannot parse Content-Type/);
  const fb = formatForContentType('application/json', 'OpenMetricsText1.0.0');
  assert.equal(fb.format, 'openmetrics');
  assert.match(fb.warning ?? '', /using OpenMetricsText1.0.0/);
  assert.equal(formatForContentType(undefined, 'PrometheusText0.0.4').format, 'prometheus-text');
});

test('parseMediaType', () => {
  assert.equal(parseMediaType('text/plain'), 'text/plain');
  assert.equal(parseMediaType(' TEXT/Plain ; a=b ; c="d;e"'), undefined); // ; inside quotes is not supported
  assert.equal(parseMediaType('text/plain; a="b c"'), 'text/plain');
  assert.equal(parseMediaType('text'), undefined);
  assert.equal(parseMediaType('text/plain; =x'), undefined);
});
