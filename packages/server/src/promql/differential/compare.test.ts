/** The differential comparison rules, on hand-written answers (no Prometheus needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareQueryAnswers, valuesAgree } from './compare.ts';
import type { ApiAnswer } from './systems.ts';

const ok = (data: unknown): ApiAnswer => ({ status: 200, body: { status: 'success', data } });
const vector = (...samples: [Record<string, string>, string][]) =>
  ok({ resultType: 'vector', result: samples.map(([metric, v]) => ({ metric, value: [100.7, v] })) });
const matrix = (...series: [Record<string, string>, [number, string][]][]) =>
  ok({ resultType: 'matrix', result: series.map(([metric, values]) => ({ metric, values })) });

test('values agree within 1e-9 relative error; NaN equals NaN; infinities are exact', () => {
  assert.ok(valuesAgree(1, 1 + 1e-12));
  assert.ok(valuesAgree(1e300, 1e300 * (1 + 5e-10)));
  assert.ok(!valuesAgree(1, 1 + 1e-8));
  assert.ok(!valuesAgree(-1, 1));
  assert.ok(valuesAgree(Number.NaN, Number.NaN));
  assert.ok(!valuesAgree(Number.NaN, 0));
  assert.ok(valuesAgree(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY));
  assert.ok(!valuesAgree(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
  assert.ok(!valuesAgree(Number.POSITIVE_INFINITY, 1e308));
  // Rounding residue of cancelling sums counts as zero, but only when both sides are tiny.
  assert.ok(valuesAgree(-1.7e-18, -8.7e-19));
  assert.ok(!valuesAgree(1e-6, 0));
});

test('vectors are compared as sets unless sorted by value', () => {
  const a = vector([{ job: 'a' }, '1'], [{ job: 'b' }, '2']);
  const b = vector([{ job: 'b' }, '2'], [{ job: 'a' }, '1']);
  assert.equal(compareQueryAnswers(a, b, 'any'), undefined);
  assert.match(
    compareQueryAnswers(a, b, 'ascending') ?? '',
    /order \(ascending\): position 0 is 1 in Prometheus, 2 in Vigil/,
  );
  // Ties may come in either order.
  const tieA = vector([{ job: 'a' }, '1'], [{ job: 'b' }, '1']);
  const tieB = vector([{ job: 'b' }, '1'], [{ job: 'a' }, '1']);
  assert.equal(compareQueryAnswers(tieA, tieB, 'descending'), undefined);
});

test('label sets must be identical', () => {
  const a = vector([{ __name__: 'x', job: 'a' }, '1']);
  const b = vector([{ job: 'a' }, '1']);
  assert.match(compareQueryAnswers(a, b, 'any') ?? '', /series \{__name__="x", job="a"\} only in Prometheus/);
  assert.match(compareQueryAnswers(b, a, 'any') ?? '', /only in Vigil|only in Prometheus/);
  const c = vector([{ job: 'a' }, '1'], [{ job: 'b' }, '1']);
  assert.match(compareQueryAnswers(b, c, 'any') ?? '', /series \{job="b"\} only in Vigil/);
});

test('matrices: series order, point timestamps and values', () => {
  const a = matrix(
    [
      { job: 'a' },
      [
        [1, '1'],
        [2, '2'],
      ],
    ],
    [{ job: 'b' }, [[1, '3']]],
  );
  assert.equal(compareQueryAnswers(a, a, 'any'), undefined);
  const swapped = matrix(
    [{ job: 'b' }, [[1, '3']]],
    [
      { job: 'a' },
      [
        [1, '1'],
        [2, '2'],
      ],
    ],
  );
  assert.match(compareQueryAnswers(a, swapped, 'any') ?? '', /series order: position 0/);
  const shifted = matrix(
    [
      { job: 'a' },
      [
        [1, '1'],
        [3, '2'],
      ],
    ],
    [{ job: 'b' }, [[1, '3']]],
  );
  assert.match(compareQueryAnswers(a, shifted, 'any') ?? '', /point 1 at 2 in Prometheus, at 3 in Vigil/);
  const fewer = matrix([{ job: 'a' }, [[1, '1']]], [{ job: 'b' }, [[1, '3']]]);
  assert.match(
    compareQueryAnswers(a, fewer, 'any') ?? '',
    /Prometheus has 2 points, Vigil 1 \(first only in Prometheus: 2 @2\)/,
  );
  const off = matrix(
    [
      { job: 'a' },
      [
        [1, '1'],
        [2, 'NaN'],
      ],
    ],
    [{ job: 'b' }, [[1, '3']]],
  );
  assert.match(compareQueryAnswers(a, off, 'any') ?? '', /at 2 Prometheus 2, Vigil NaN/);
});

test('errors agree on HTTP status and errorType; the message is not compared', () => {
  const err = (status: number, errorType: string, error: string): ApiAnswer => ({
    status,
    body: { status: 'error', errorType, error },
  });
  assert.equal(compareQueryAnswers(err(422, 'execution', 'x'), err(422, 'execution', 'y'), 'any'), undefined);
  assert.match(
    compareQueryAnswers(err(422, 'execution', 'x'), err(400, 'bad_data', 'x'), 'any') ?? '',
    /HTTP status: Prometheus 422, Vigil 400/,
  );
  assert.match(
    compareQueryAnswers(err(422, 'execution', 'x'), vector(), 'any') ?? '',
    /status: Prometheus "error", Vigil "success"/,
  );
  assert.match(
    compareQueryAnswers(ok({ resultType: 'scalar', result: [1, '1'] }), vector(), 'any') ?? '',
    /resultType: Prometheus "scalar", Vigil "vector"/,
  );
});
