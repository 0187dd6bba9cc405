// The same service as esm-app.mjs, written as CommonJS with require().
const { createServer } = require('node:http');
const express = require('express');
const { observe } = require('@vigil/node');

const obs = observe({ service: process.env.APP_SERVICE ?? 'cjs-app', version: '1.0.0', environment: 'test' });
const hits = obs.metrics.counter({ name: 'hello_total', help: 'Hellos.', labelNames: ['format'] });
const app = express();
app.use(obs.http.express());
app.get('/hello/:name', (req, res) => {
  hits.inc({ format: 'cjs' });
  obs.log.info({ name: req.params.name }, 'saying hello');
  res.json({ hello: req.params.name, requestId: obs.requestId() });
});
const server = createServer(app);
obs.trackServer(server);
obs.handleSignals();
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
