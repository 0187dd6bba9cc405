/**
 * Test helper: makes sure dist/ is built from the current sources before a test runs the package
 * as users get it. Builds at most once at a time (a lock file), and only when a source is newer.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  try {
    const built = Math.min(
      statSync(join(root, 'dist/index.mjs')).mtimeMs,
      statSync(join(root, 'dist/index.cjs')).mtimeMs,
    );
    return built >= Math.max(newest(join(root, 'src')), statSync(join(root, 'scripts/build.mjs')).mtimeMs);
  } catch {
    return false;
  }
}

/** Builds dist/ if it is missing or older than src/. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(root, '.build.lock');
  for (let i = 0; i < 600; i++) {
    if (fresh()) return;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Someone else is building; a lock older than a minute is left over from a crash.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { force: true });
      } catch {
        // It was just released.
      }
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    try {
      if (!fresh()) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
    return;
  }
  throw new Error('timed out waiting for another build of @vigil/node');
}

/** The package directory. */
export const packageRoot = root;
