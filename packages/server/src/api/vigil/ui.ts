import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface UiOptions {
  /**
   * The directory holding the built UI (index.html and assets/). Default: packages/ui/dist,
   * found through the @vigil/ui workspace package so it works from sources and from the bundle.
   */
  readonly distDir?: string;
}

/**
 * Paths the browser app routes itself (history API). A reload or shared link on any of them gets
 * index.html; everything else keeps its 404, so API typos still answer as before.
 */
const CLIENT_ROUTES = ['/explore', '/dashboards', '/alerts', '/service-map', '/status'];

/**
 * Serves the web UI (packages/ui's production build) at `/`: hashed assets under /assets/ with
 * long-lived caching, and index.html for `/` and every client route. When the UI has not been
 * built, those paths answer a short page saying how to build it.
 */
export function registerUi(app: FastifyInstance, options: UiOptions = {}): void {
  const distDir = options.distDir ?? findUiDist();
  const indexPath = distDir ? join(distDir, 'index.html') : undefined;
  const assetsDir = distDir ? join(distDir, 'assets') : undefined;

  if (assetsDir && existsSync(assetsDir)) {
    app.register(fastifyStatic, {
      root: assetsDir,
      prefix: '/assets/',
      // File names carry a content hash, so a cached copy is never stale.
      immutable: true,
      maxAge: '365d',
      decorateReply: false,
      index: false,
      list: false,
    });
  }

  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'SAMEORIGIN');
    reply.header('referrer-policy', 'same-origin');
    let html: string | undefined;
    if (indexPath) {
      try {
        // Read per request (it is tiny), so a UI rebuilt while the server runs is served at once.
        html = await readFile(indexPath, 'utf8');
      } catch {
        html = undefined;
      }
    }
    if (html === undefined) {
      reply.type('text/html; charset=utf-8');
      return notBuiltPage(distDir);
    }
    reply.type('text/html; charset=utf-8');
    return html;
  };

  app.get('/', sendIndex);
  for (const route of CLIENT_ROUTES) {
    app.get(route, sendIndex);
    app.get(`${route}/*`, sendIndex);
  }
}

/** packages/ui/dist, located through the workspace package (undefined when not installed). */
function findUiDist(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@vigil/ui/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

function notBuiltPage(distDir: string | undefined): string {
  const where = distDir ? ` in <code>${escapeHtml(distDir)}</code>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vigil</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#eee;padding:.1em .3em;border-radius:3px}</style></head>
<body><h1>Vigil is running</h1><p>The web UI has not been built${where}. Build it with
<code>npm run --workspace @vigil/ui build</code> (<code>npm start</code> does this for you), then reload.</p>
<p>The APIs work without it: <a href="/api/v1/status/buildinfo">/api/v1/…</a>, <a href="/metrics">/metrics</a>.</p></body></html>\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
