import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containsTime, parseTimeInterval, TimeIntervalError } from './timeinterval.ts';

const at = (iso: string) => Date.parse(iso);

test('times of day, weekdays, months and years must all match', () => {
  const ti = parseTimeInterval({
    times: [{ start_time: '09:00', end_time: '17:30' }],
    weekdays: ['monday:friday'],
    months: ['january:march', 'december'],
    years: ['2024:2025'],
  });
  assert.equal(containsTime(ti, at('2024-01-01T09:00:00Z')), true, 'Monday 9:00');
  assert.equal(containsTime(ti, at('2024-01-01T17:29:59Z')), true);
  assert.equal(containsTime(ti, at('2024-01-01T17:30:00Z')), false, 'end is exclusive');
  assert.equal(containsTime(ti, at('2024-01-06T10:00:00Z')), false, 'Saturday');
  assert.equal(containsTime(ti, at('2024-04-01T10:00:00Z')), false, 'April');
  assert.equal(containsTime(ti, at('2024-12-02T10:00:00Z')), true, 'December');
  assert.equal(containsTime(ti, at('2026-01-05T10:00:00Z')), false, '2026');
});

test('negative days of month count from the end of each month', () => {
  const lastWeek = parseTimeInterval({ days_of_month: ['-7:-1'] });
  assert.equal(containsTime(lastWeek, at('2024-02-23T00:00:00Z')), true, 'Feb 2024 has 29 days');
  assert.equal(containsTime(lastWeek, at('2024-02-22T23:59:00Z')), false);
  assert.equal(containsTime(lastWeek, at('2023-02-22T00:00:00Z')), true, 'Feb 2023 has 28 days');
  const thirty = parseTimeInterval({ days_of_month: ['30:31'] });
  assert.equal(
    containsTime(thirty, at('2024-02-29T12:00:00Z')),
    false,
    'a range past a short month does not apply',
  );
});

test('a location moves the interval into that zone', () => {
  const ti = parseTimeInterval({
    times: [{ start_time: '09:00', end_time: '10:00' }],
    location: 'Europe/Berlin',
  });
  assert.equal(containsTime(ti, at('2024-01-15T08:30:00Z')), true, '09:30 in Berlin (UTC+1)');
  assert.equal(containsTime(ti, at('2024-07-15T07:30:00Z')), true, '09:30 in Berlin (UTC+2, summer)');
  assert.equal(containsTime(ti, at('2024-01-15T09:30:00Z')), false);
});

test('bad intervals name the field and say what is wrong', () => {
  const bad = (input: Parameters<typeof parseTimeInterval>[0], message: RegExp, path: (string | number)[]) =>
    assert.throws(
      () => parseTimeInterval(input),
      (e) =>
        e instanceof TimeIntervalError &&
        message.test(e.message) &&
        JSON.stringify(e.path) === JSON.stringify(path),
    );
  bad({ times: [{ start_time: '10:00' }] }, /both start and end times must be provided/, ['times', 0]);
  bad({ times: [{ start_time: '25:00', end_time: '26:00' }] }, /couldn't parse timestamp 25:00/, [
    'times',
    0,
    'start_time',
  ]);
  bad({ times: [{ start_time: '10:00', end_time: '09:00' }] }, /start time cannot be equal or greater/, [
    'times',
    0,
  ]);
  bad({ weekdays: ['funday'] }, /funday is not a valid weekday/, ['weekdays', 0]);
  bad({ weekdays: ['friday:monday'] }, /start day cannot be before end day/, ['weekdays', 0]);
  bad({ days_of_month: ['0'] }, /0 is not a valid day of the month/, ['days_of_month', 0]);
  bad({ days_of_month: ['-3:5'] }, /end day must be negative/, ['days_of_month', 0]);
  bad({ months: ['march:january'] }, /end month january is before start month march/, ['months', 0]);
  bad({ years: ['2025:2020'] }, /end year 2020 is before start year 2025/, ['years', 0]);
  bad({ location: 'Mars/Olympus' }, /unknown time zone Mars\/Olympus/, ['location']);
});
