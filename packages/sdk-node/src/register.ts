/**
 * Preload entry: `node --import @vigil/node/register app.mjs` (ESM) or
 * `node --require @vigil/node/register app.cjs` (CommonJS). It sets up @vigil/node from OTEL_*
 * variables before the app's own modules load, which is what OpenTelemetry auto-instrumentations
 * need in ESM apps: their module patching only sees modules imported after it is installed.
 *
 * When installed, `@opentelemetry/instrumentation`'s ESM loader hook is registered and
 * `@opentelemetry/auto-instrumentations-node` is enabled (set VIGIL_AUTO_INSTRUMENTATIONS=false
 * to skip). Without them, @vigil/node's own middleware still works: it patches nothing.
 * The app's own `observe()` call then returns this observer (configure it through OTEL_*).
 */
import { createRequire, register } from 'node:module';
// Only through the package entry, so the build can point this at the entry bundle instead of
// bundling a second copy.
import { type InstrumentationLike, observe, reportError } from './index.ts';

const require = createRequire(import.meta.url);

function optional(name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

const instrumentations: InstrumentationLike[] = [];
if (
  process.env.VIGIL_AUTO_INSTRUMENTATIONS !== 'false' &&
  optional('@opentelemetry/auto-instrumentations-node')
) {
  try {
    // The loader hook must be in place before instrumentations patch ESM modules.
    if (optional('@opentelemetry/instrumentation/hook.mjs') && typeof register === 'function') {
      register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
    }
    const auto = require('@opentelemetry/auto-instrumentations-node') as {
      getNodeAutoInstrumentations(): InstrumentationLike[];
    };
    instrumentations.push(...auto.getNodeAutoInstrumentations());
  } catch (err) {
    reportError(err, 'loading @opentelemetry/auto-instrumentations-node');
  }
}

const obs = observe({ traces: { instrumentations } });
obs.handleSignals();
