/**
 * Silences over time: pending → active → expired by the clock, kept in the data directory across
 * restarts, and garbage collected once the retention (120h) after their end has passed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from './clock.ts';
import { startTestAlerting } from './testutil.ts';

const T0 = Date.UTC(2024, 8, 1, 0, 0, 0);
const H = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const CONFIG = 'alertmanager:\n  route: { receiver: a }\n  receivers: [{ name: a }]\n';

async function states(url: string): Promise<Record<string, string>> {
  const list = (await (await fetch(`${url}/api/v2/silences`)).json()) as {
    comment: string;
    status: { state: string };
  }[];
  return Object.fromEntries(list.map((s) => [s.comment, s.status.state]));
}

test('silences change state with time, survive restarts and are collected after the retention', async () => {
  const clock = new ManualClock(T0);
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-silences-'));
  let am = await startTestAlerting(CONFIG, { clock, dataDir });
  try {
    for (const [comment, start, end] of [
      ['now', T0, T0 + 2 * H],
      ['later', T0 + H, T0 + 3 * H],
    ] as const) {
      const res = await fetch(`${am.url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: [{ name: 'job', value: comment, isRegex: false }],
          startsAt: iso(start),
          endsAt: iso(end),
          createdBy: 't',
          comment,
        }),
      });
      assert.equal(res.status, 200);
    }
    assert.deepEqual(await states(am.url), { now: 'active', later: 'pending' });
    await clock.advance(H + 1);
    assert.deepEqual(await states(am.url), { now: 'active', later: 'active' });

    await am.stop();
    am = await startTestAlerting(CONFIG, { clock, dataDir });
    await clock.advance(2 * H);
    assert.deepEqual(await states(am.url), { now: 'expired', later: 'expired' });

    // Kept 120h after their end, then dropped at a maintenance run (every 15m).
    await clock.advanceTo(T0 + 2 * H + 120 * H - 1);
    assert.deepEqual(await states(am.url), { now: 'expired', later: 'expired' });
    await clock.advanceTo(T0 + 3 * H + 120 * H + 15 * 60_000);
    assert.deepEqual(await states(am.url), {});
    await am.stop();
    am = await startTestAlerting(CONFIG, { clock, dataDir });
    assert.deepEqual(await states(am.url), {}, 'collected silences do not come back after a restart');
  } finally {
    await am.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
