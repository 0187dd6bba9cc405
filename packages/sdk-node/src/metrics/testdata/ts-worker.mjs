// Worker-thread entry for TypeScript test apps: Node 20 does not apply the parent's
// `--import tsx` hooks inside worker threads, so register tsx here and load the real file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.file);
