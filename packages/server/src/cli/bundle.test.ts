import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testutil/vigil.ts';

const SERVER = new URL('../..', import.meta.url).pathname;

/**
 * `npm start` runs the esbuild bundle, not the sources: build one exactly as the build script does
 * (into a scratch folder beside dist/, so packages resolve the same way) and check it starts and
 * answers. Catches code that only works from src/ (relative file paths, import.meta.url).
 */
test('the production bundle starts and serves', async () => {
  const out = mkdtempSync(join(SERVER, '.bundle-test-'));
  const data = tempDir();
  try {
    const build = spawnSync(
      join(SERVER, '../../node_modules/.bin/esbuild'),
      [
        'src/cli/main.ts',
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--packages=external',
        '--target=node20',
        '--log-level=warning',
        `--outfile=${join(out, 'main.mjs')}`,
      ],
      { cwd: SERVER, encoding: 'utf8' },
    );
    assert.equal(build.status, 0, build.stderr);
    const runner = join(out, 'run.mjs');
    writeFileSync(
      runner,
      "const { main } = await import('./main.mjs');\nprocess.exitCode = await main(process.argv.slice(2));\n",
    );
    const child = spawn(
      process.execPath,
      [
        runner,
        'serve',
        '--data-dir',
        data.path,
        '--listen',
        '127.0.0.1:0',
        '--otlp-http-listen',
        '',
        '--otlp-grpc-listen',
        '',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bundle did not start:\n${err}`)), 30_000);
      child.stderr.on('data', () => {
        const m = /"address":"([^"]+)"[^\n]*"msg":"Vigil started"/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(`http://${m[1]}`);
        }
      });
      void exited.then((code) => reject(new Error(`bundle exited (${code}) before it was ready:\n${err}`)));
    });
    const build_info = (await (await fetch(`${url}/api/v1/status/buildinfo`)).json()) as {
      data: { vigilVersion: string };
    };
    assert.match(build_info.data.vigilVersion, /^\d+\.\d+\.\d+/);
    assert.equal((await fetch(`${url}/-/ready`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  } finally {
    rmSync(out, { recursive: true, force: true });
    data.remove();
  }
});
