// An ESM service instrumented with @vigil/node (configured by OTEL_* from the test). Prints its
// port on stdout; shuts down (flushing everything) on SIGTERM.
import { createServer } from 'node:http';
import { observe } from '@vigil/node';
import express from 'express';

const obs = observe({ service: process.env.APP_SERVICE ?? 'esm-app', version: '1.0.0', environment: 'test' });
const hits = obs.metrics.counter({ name: 'hello_total', help: 'Hellos.', labelNames: ['format'] });
const app = express();
app.use(obs.http.express());
app.get('/hello/:name', (req, res) => {
  hits.inc({ format: 'esm' });
  obs.log.info({ name: req.params.name }, 'saying hello');
  res.json({ hello: req.params.name, requestId: obs.requestId() });
});
app.get('/call', async (req, res) => {
  const r = await obs.http.fetch(String(req.query.url));
  res.json(await r.json());
});
const server = createServer(app);
obs.trackServer(server);
obs.handleSignals();
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
