// The second gateway under test: Hive Gateway (The Guild), in process. Its
// runtime, @graphql-hive/gateway-runtime, is what the @graphql-hive/gateway
// CLI 2.15 serves; here it runs over node:http on loopback, with a
// supergraph composed by @theguild/federation-composition from the live
// subgraphs' `_service { sdl }`, as Hive's own tooling composes. Like
// lib/gateway.mjs, it records every subgraph fetch (the HTTP body as sent) and
// can alter an outgoing request before it leaves.

import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

import { FORWARDED_HEADERS } from './gateway.mjs';
import { serviceSDL } from './shop.mjs';

/** composeWithGuild composes live subgraphs ([{ name, url }]) with @theguild/federation-composition; it throws on errors. */
export async function composeWithGuild(subgraphs) {
  const services = await Promise.all(subgraphs.map(async ({ name, url }) => ({ name, url, typeDefs: parse(await serviceSDL(url)) })));
  const result = composeServices(services);
  if (result.errors?.length) throw new Error(`@theguild/federation-composition: ${result.errors.map(String).join('\n')}`);
  return result.supergraphSdl;
}

// Hive Gateway logs through @graphql-hive/logger; only warnings and errors
// reach the test output.
const LOG_LEVEL = 'warn';

/** startHiveGateway serves Hive Gateway over subgraphs ([{ name, url }]) on 127.0.0.1 at a free port. */
export async function startHiveGateway(subgraphs) {
  let fetches = [];
  let tamper = null;
  const serviceByURL = new Map(subgraphs.map(({ name, url }) => [url, name]));

  const recorder = {
    onFetch({ url, options, setOptions }) {
      const service = serviceByURL.get(url);
      if (!service) return;
      const body = typeof options.body === 'string' ? JSON.parse(options.body) : null;
      const request = { query: body?.query, variables: body?.variables ?? {} };
      if (tamper && body) {
        tamper(service, request);
        setOptions({ ...options, body: JSON.stringify({ ...body, variables: request.variables }) });
      }
      const record = {
        service,
        query: request.query,
        variables: structuredClone(request.variables),
        headers: Object.fromEntries(new Headers(options.headers ?? {})),
        response: null,
      };
      fetches.push(record);
      return async ({ response }) => {
        const { data, errors, extensions } = await response.clone().json();
        record.response = { data, errors, extensions };
      };
    },
  };

  const runtime = createGatewayRuntime({
    supergraph: await composeWithGuild(subgraphs),
    logging: LOG_LEVEL,
    // The caller's token and SPEC §7's viewer context go to the shop
    // subgraph, as lib/gateway.mjs forwards them for Apollo Gateway.
    propagateHeaders: {
      fromClientToSubgraphs({ request, subgraphName }) {
        if (subgraphName !== 'shop') return {};
        return Object.fromEntries(FORWARDED_HEADERS.map((name) => [name, request.headers.get(name)]).filter(([, v]) => v));
      },
    },
    plugins: () => [recorder],
  });
  const server = createServer(runtime);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}${runtime.graphqlEndpoint}`;

  return {
    url,
    /** query sends an operation through the gateway and returns its response with the subgraph fetches it caused. */
    async query(query, variables = {}, { headers = {} } = {}) {
      fetches = [];
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.json();
      return { status: res.status, body, fetches, queryPlanTrace: null };
    },
    /** setTamper installs fn(serviceName, request), called on every subgraph request before it is sent; null removes it. */
    setTamper(fn) {
      tamper = fn;
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
      await runtime.dispose();
    },
  };
}
