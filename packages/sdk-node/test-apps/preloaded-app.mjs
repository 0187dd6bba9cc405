// A service run with `node --import @vigil/node/register`: the SDK is set up from OTEL_* before
// this module loads; observe() here returns that observer.
import { createServer } from 'node:http';
import { observe } from '@vigil/node';

const obs = observe({ service: 'ignored: the preload configured it' });
const server = createServer(
  obs.http.node((_req, res) => {
    obs.log.info('preloaded hello');
    res.end(JSON.stringify({ service: obs.service }));
  }),
);
obs.trackServer(server);
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
