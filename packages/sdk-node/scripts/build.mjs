#!/usr/bin/env node
// Builds dist/: ESM (index.mjs) and CommonJS (index.cjs) bundles of src/ with dependencies left
// external, the preload entries, the OTLP log transport (loaded by pino in a worker thread), and
// type declarations. Writes to a temporary directory and swaps it in, so concurrent readers
// never see a half-built dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(root, '.dist-'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};
// The register entry uses the package entry's bundle rather than a copy of its own.
const entryAsExternal = (file) => ({
  name: 'entry-as-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.ts$/ }, (args) =>
      args.importer.endsWith('register.ts') ? { path: `./${file}`, external: true } : undefined,
    );
  },
});

await build({
  ...common,
  entryPoints: [join(root, 'src/index.ts')],
  outfile: join(out, 'index.mjs'),
  format: 'esm',
});
await build({
  ...common,
  entryPoints: [join(root, 'src/register.ts')],
  outfile: join(out, 'register.mjs'),
  format: 'esm',
  plugins: [entryAsExternal('index.mjs')],
});
// CommonJS has no import.meta.url; the bundle gets its own file URL from __filename.
const cjs = {
  ...common,
  format: 'cjs',
  define: { 'import.meta.url': '__vigil_import_meta_url' },
  banner: { js: "const __vigil_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};
await build({ ...cjs, entryPoints: [join(root, 'src/index.ts')], outfile: join(out, 'index.cjs') });
await build({
  ...cjs,
  entryPoints: [join(root, 'src/register.ts')],
  outfile: join(out, 'register.cjs'),
  plugins: [entryAsExternal('index.cjs')],
});
cpSync(join(root, 'src/logging/otlp-transport.mjs'), join(out, 'otlp-transport.mjs'));
execFileSync(
  process.execPath,
  [
    join(root, '../../node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    join(out, 'types'),
  ],
  { stdio: 'inherit' },
);

// Declarations keep the sources' `.ts` specifiers; published declarations need `.js`.
const fixSpecifiers = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fixSpecifiers(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(/(from\s+'\.{1,2}\/[^']*)\.ts'/g, "$1.js'");
      writeFileSync(path, text.replace(/(import\('\.{1,2}\/[^']*)\.ts'\)/g, "$1.js')"));
    }
  }
};
fixSpecifiers(join(out, 'types'));

const dist = join(root, 'dist');
const old = `${dist}.old-${process.pid}`;
try {
  renameSync(dist, old);
} catch {
  // No previous build.
}
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
