// The timeline's schema subset on Apollo Server 5 + @apollo/subgraph +
// DataLoader over the benchmark's SQLite file. It is served through Apollo
// Server's integration API (executeHTTPGraphQLRequest) on node:http, as
// startStandaloneServer does, less its CORS and body-parser layers, plus
// GET /metrics.
//
//   node apollo.mjs --db bench.db [--addr 127.0.0.1:0] [--workers 1]

import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

import { newLoaders, readBody, resolvers, serve, typeDefsFed2 } from './common.mjs';

await serve(async (store, opts, metricsText) => {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(typeDefsFed2), resolvers }),
    logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  await server.start();
  const httpServer = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(await metricsText());
        return;
      }
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const text = await readBody(req);
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: req.method.toUpperCase(),
          headers,
          search: new URL(req.url, 'http://x').search,
          body: text ? JSON.parse(text) : undefined,
        },
        context: async () => ({ loaders: newLoaders(store) }),
      });
      for (const [k, v] of response.headers) res.setHeader(k, v);
      res.statusCode = response.status || 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      console.error(err);
      res.statusCode = 500;
      res.end('internal error');
    }
  });
  httpServer.keepAliveTimeout = 120_000;
  await new Promise((resolve) => httpServer.listen(opts.port, opts.host, resolve));
  return httpServer.address();
});
