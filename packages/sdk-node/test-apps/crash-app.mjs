// Logs a few lines through @vigil/node's default stdout, then crashes with an
// uncaught exception: every line must still reach stdout.
import { observe } from '@vigil/node';

const obs = observe({ service: 'crash-app', traces: false, metrics: false, logs: { otlp: false } });
for (let i = 0; i < 500; i++) obs.log.info({ i }, 'before the crash');
setTimeout(() => {
  obs.log.error('about to throw');
  throw new Error('crash on purpose');
}, 10);
