import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// `npm run dev` serves the UI with hot reload and forwards API calls (and WebSockets) to a
// running Vigil: VIGIL_URL, default http://127.0.0.1:7070.
const target = process.env.VIGIL_URL ?? 'http://127.0.0.1:7070';
const proxied = ['/api', '/loki', '/metrics', '/-/', '/v1', '/otlp'];

export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: true })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target, changeOrigin: true, ws: true }])),
  },
});
