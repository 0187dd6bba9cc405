// The dual-package hazard: the ESM and the CommonJS build of @vigil/node loaded into one app
// (import here, require there). Both must feed one registry and one observer.
import { createRequire } from 'node:module';
import * as esm from '@vigil/node';

const require = createRequire(import.meta.url);
const cjs = require('@vigil/node');
// A second physical copy of the package, if the test made one.
const copy = process.env.COPY_PATH ? require(process.env.COPY_PATH) : undefined;

const results = {
  sameModule: esm.observe === cjs.observe,
  sameRegistry: esm.defaultRegistry() === cjs.defaultRegistry(),
  copySameRegistry: copy ? copy.defaultRegistry() === esm.defaultRegistry() : null,
};
const a = esm.defaultRegistry().counter({ name: 'shared_total', help: 'Shared.', labelNames: ['by'] });
const b = cjs.defaultRegistry().counter({ name: 'shared_total', help: 'Shared.', labelNames: ['by'] });
a.inc({ by: 'esm' }, 2);
b.inc({ by: 'cjs' }, 3);
copy
  ?.defaultRegistry()
  .counter({ name: 'shared_total', help: 'Shared.', labelNames: ['by'] })
  .inc({ by: 'copy' }, 4);
results.sameCounter = a === b;
const options = {
  env: {},
  traces: { exporter: 'none' },
  metrics: { otlp: false, runtime: false },
  logs: { otlp: false },
};
const o1 = esm.observe(options);
const o2 = cjs.observe(options);
results.sameObserver = o1 === o2 && (copy ? copy.observe(options) === o1 : true);
results.exposition = await cjs.exposition(esm.defaultRegistry(), false);
await o1.shutdown();
process.stdout.write(`${JSON.stringify(results)}\n`);
