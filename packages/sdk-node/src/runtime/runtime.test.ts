import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newParser } from '../../../server/src/textparse/index.ts';
import { parseAll } from '../../../server/src/textparse/testutil.ts';
import { Registry } from '../metrics/registry.ts';
import { startRuntimeMetrics } from './runtime.ts';

test('runtime and host metrics: present, plausible, parseable', async (t) => {
  const registry = new Registry();
  const runtime = startRuntimeMetrics(registry, { host: true });
  t.after(() => runtime.stop());
  let garbage: unknown[] = [];
  for (let i = 0; i < 200_000; i++) garbage.push({ i });
  garbage = [];
  // Blocks the event loop, then lets the delay monitor's timer see it. The monitor's first tick
  // only starts its clock, and on a loaded machine a tick can come late, so this repeats (up to a
  // deadline) until a collection has seen the blocked loop.
  const v = new Map<string, number>();
  let text = '';
  const deadline = Date.now() + 20_000;
  do {
    const until = Date.now() + 30;
    while (Date.now() < until) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 50));
    text = await registry.metrics();
    v.clear();
    for (const e of parseAll(newParser('prometheus-text', text))) {
      if (e.kind === 'series') v.set(`${e.name}${JSON.stringify(e.labels)}`, e.value);
    }
  } while (!(v.get('nodejs_eventloop_lag_max_seconds{}')! > 0.025) && Date.now() < deadline);
  assert.ok(v.get('nodejs_eventloop_lag_max_seconds{}')! > 0.025, text);
  // Lag values are real durations: never the empty histogram's 2^63 ns or NaN.
  const lagMin = v.get('nodejs_eventloop_lag_min_seconds{}')!;
  assert.ok(lagMin > 0 && lagMin <= v.get('nodejs_eventloop_lag_max_seconds{}')!, text);
  assert.ok(Number.isFinite(v.get('nodejs_eventloop_lag_mean_seconds{}')!), text);
  // A scrape right after another (no delay sample in between) keeps the last values.
  const again = await registry.metrics();
  assert.doesNotMatch(again, /^nodejs_eventloop_lag_\w+ (NaN|9223372036)/m, again);
  assert.ok(v.get('nodejs_heap_size_used_bytes{}')! > 1e6);
  assert.ok(v.get('process_resident_memory_bytes{}')! > v.get('nodejs_heap_size_used_bytes{}')!);
  assert.ok(v.get('process_cpu_seconds_total{}')! > 0);
  assert.ok(v.get('process_open_fds{}')! > 2);
  assert.ok(v.get('process_max_fds{}')! >= v.get('process_open_fds{}')!);
  const elu = v.get('nodejs_eventloop_utilization_ratio{}')!;
  assert.ok(elu > 0 && elu <= 1);
  assert.ok([...v.keys()].some((k) => k.startsWith('nodejs_gc_duration_seconds_count{"kind":')));
  assert.ok([...v.keys()].some((k) => k.startsWith('nodejs_active_resources{"type":')));
  assert.equal(
    v.get(
      `nodejs_version_info{"version":"${process.version}","major":"${process.versions.node.split('.')[0]}","minor":"${process.versions.node.split('.')[1]}","patch":"${process.versions.node.split('.')[2]}"}`,
    ),
    1,
  );
  assert.ok(v.get('host_memory_total_bytes{}')! > v.get('host_memory_free_bytes{}')!);
  assert.ok(v.get('host_disk_total_bytes{"path":"/"}')! > 0);
  const cpu = v.get('host_cpu_utilization_ratio{}')!;
  assert.ok(cpu >= 0 && cpu <= 1);
});
