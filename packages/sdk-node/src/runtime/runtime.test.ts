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
  // Give the event loop some lag and the GC some work.
  const until = Date.now() + 30;
  while (Date.now() < until) {
    /* busy */
  }
  let garbage: unknown[] = [];
  for (let i = 0; i < 200_000; i++) garbage.push({ i });
  garbage = [];
  await new Promise((r) => setTimeout(r, 50));
  const text = await registry.metrics();
  const v = new Map<string, number>();
  for (const e of parseAll(newParser('prometheus-text', text))) {
    if (e.kind === 'series') v.set(`${e.name}${JSON.stringify(e.labels)}`, e.value);
  }
  assert.ok(v.get('nodejs_heap_size_used_bytes{}')! > 1e6);
  assert.ok(v.get('process_resident_memory_bytes{}')! > v.get('nodejs_heap_size_used_bytes{}')!);
  assert.ok(v.get('process_cpu_seconds_total{}')! > 0);
  assert.ok(v.get('process_open_fds{}')! > 2);
  assert.ok(v.get('process_max_fds{}')! >= v.get('process_open_fds{}')!);
  assert.ok(v.get('nodejs_eventloop_lag_max_seconds{}')! > 0.01, text);
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
