// The timeline's schema subset on fastify + mercurius with graphql-jit
// (jit: 1) and @mercuriusjs/federation, DataLoader per request, over the
// benchmark's SQLite file; GraphQL at /query, GET /metrics.
//
//   node mercurius.mjs --db bench.db [--addr 127.0.0.1:0] [--workers 1]

import Fastify from 'fastify';
import { mercuriusFederationPlugin } from '@mercuriusjs/federation';

import { newLoaders, resolvers, serve, typeDefsFed1 } from './common.mjs';

await serve(async (store, opts, metricsText) => {
  const app = Fastify({ logger: false, keepAliveTimeout: 120_000, bodyLimit: 1 << 20 });
  app.get('/metrics', async (_, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4');
    return metricsText();
  });
  await app.register(mercuriusFederationPlugin, {
    schema: typeDefsFed1,
    resolvers,
    path: '/query',
    graphiql: false,
    jit: 1,
    context: () => ({ loaders: newLoaders(store) }),
  });
  await app.listen({ host: opts.host, port: opts.port });
  return app.server.address();
});
