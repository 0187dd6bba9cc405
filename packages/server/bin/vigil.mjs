#!/usr/bin/env node
// The `vigil` command. Runs the bundle in dist/ (built by `npm run build`, which `npm start`
// does first) when it is newer than every source file, else the TypeScript sources through
// tsx's loader, so a checkout works without a build step and never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';

// Grow the JS heap by 50% steps instead of V8's adaptive factor (up to 4x): ingest allocates
// short-lived request buffers fast, and the default let the heap balloon to ~2x the memory
// this needs, with no gain in speed (bench/remote-write-ingest.ts, see BENCHMARKS.md).
v8.setFlagsFromString('--heap-growing-percent=50');

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'main.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.VIGIL_FROM_SOURCE === '1') return false;
  try {
    return statSync(bundle).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

let main;
if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
