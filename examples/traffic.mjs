#!/usr/bin/env node
// Traffic for the checkout service: a mix of checkouts (some for sold-out items), order lookups
// and unknown URLs, at a steady rate.
//
//   node examples/traffic.mjs [--target http://127.0.0.1:3000] [--rps 20] [--requests N | --seconds N]
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: process.env.TARGET ?? 'http://127.0.0.1:3000' },
    rps: { type: 'string', default: '20' },
    requests: { type: 'string' },
    seconds: { type: 'string' },
  },
});
const rps = Number(values.rps);
const limit = values.requests ? Number(values.requests) : Number.POSITIVE_INFINITY;
const deadline = values.seconds ? Date.now() + Number(values.seconds) * 1000 : Number.POSITIVE_INFINITY;

function pick() {
  const r = Math.random();
  if (r < 0.55) {
    const sku = Math.random() < 0.1 ? 'sold-out' : `sku-${1 + Math.floor(Math.random() * 5)}`;
    return { method: 'POST', path: '/checkout', body: { sku, amount: Math.round(5 + Math.random() * 200) } };
  }
  if (r < 0.9) return { method: 'GET', path: `/orders/${1000 + Math.floor(Math.random() * 100)}` };
  if (r < 0.97) return { method: 'GET', path: '/nope' };
  return { method: 'GET', path: '/readyz' };
}

const counts = {};
let sent = 0;
const inFlight = new Set();
while (sent < limit && Date.now() < deadline) {
  const { method, path, body } = pick();
  sent++;
  const p = fetch(values.target + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
    .then(async (res) => {
      await res.arrayBuffer();
      counts[res.status] = (counts[res.status] ?? 0) + 1;
    })
    .catch((err) => {
      counts[err.cause?.code ?? 'error'] = (counts[err.cause?.code ?? 'error'] ?? 0) + 1;
    })
    .finally(() => inFlight.delete(p));
  inFlight.add(p);
  await new Promise((r) => setTimeout(r, 1000 / rps));
}
await Promise.all(inFlight);
process.stdout.write(`${JSON.stringify({ sent, statuses: counts })}\n`);
