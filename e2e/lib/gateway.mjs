// The gateway under test: @apollo/gateway in @apollo/server on loopback,
// composing the live subgraphs with IntrospectAndCompose, as a platform
// gateway does. Its data sources record every subgraph fetch, so tests can
// see what the gateway sent and got back, and can alter an outgoing request
// (fault injection) before it leaves.

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import ApolloServerPluginResponseCache from '@apollo/server-plugin-response-cache';

// A request carrying this header has the gateway capture federated traces:
// what Apollo's usage reporting turns on for sampled requests. The gateway
// then sends `apollo-federation-include-trace: ftv1` to the subgraphs and
// decodes the traces they return into the query plan trace.
const CAPTURE_TRACES = 'x-e2e-capture-traces';

// What the platform gateway forwards to the shop subgraph from the client's
// request: the caller's token and SPEC §7's viewer context. (docs/gateway.md
// has the Apollo Router configuration that does the same.)
export const FORWARDED_HEADERS = ['authorization', 'x-viewer-country', 'accept-language', 'x-client-platform'];

// The W3C trace context, forwarded as a gateway that propagates traces does,
// so that the subgraph's spans continue the client's trace.
export const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'];

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

// The headers of FORWARDED_HEADERS that are the viewer's context: the shop
// subgraph names those it reads in Vary, which Apollo Gateway does not pass
// on to its response cache, so the cache key holds them all.
const VIEWER_HEADERS = FORWARDED_HEADERS.filter((h) => h !== 'authorization');

/**
 * responseCache is the response cache of a caching gateway: whole client
 * responses, kept as long as the overall cache policy allows, which Apollo
 * Gateway works out from its subgraphs' Cache-Control headers
 * (honorSubgraphCacheControlHeader, on by default). The session is the
 * caller's Authorization header: a PRIVATE response is kept for that session
 * only, and not at all for an anonymous caller; a PUBLIC one is shared among
 * anonymous callers, and separately among signed-in ones.
 */
function responseCache() {
  return ApolloServerPluginResponseCache({
    sessionId: async ({ request }) => request.http?.headers.get('authorization') || null,
    extraCacheKeyData: async ({ request }) => Object.fromEntries(VIEWER_HEADERS.map((h) => [h, request.http?.headers.get(h) ?? null])),
  });
}

/**
 * startGateway serves a gateway over subgraphs ([{ name, url }]) on
 * 127.0.0.1 at a free port; with { responseCache: true }, with a response
 * cache in front (@apollo/server-plugin-response-cache, in memory).
 */
export async function startGateway(subgraphs, { responseCache: caching = false } = {}) {
  let fetches = [];
  let queryPlanTrace = null;
  let tamper = null;
  const byHTTP = new WeakMap();

  class RecordingDataSource extends RemoteGraphQLDataSource {
    willSendRequest({ request, context }) {
      if (this.name === 'shop') {
        for (const name of [...FORWARDED_HEADERS, ...TRACE_HEADERS]) {
          const value = context?.headers?.[name];
          if (value) request.http.headers.set(name, value);
        }
      }
      if (tamper) tamper(this.name, request);
      const record = {
        service: this.name,
        query: request.query,
        variables: structuredClone(request.variables ?? {}),
        headers: Object.fromEntries(request.http.headers),
        response: null,
      };
      fetches.push(record);
      byHTTP.set(request.http, record);
    }

    didReceiveResponse({ response, request }) {
      const record = byHTTP.get(request.http);
      if (record) {
        record.response = { data: response.data, errors: response.errors, extensions: response.extensions };
        record.cacheControl = response.http?.headers.get('cache-control') ?? null;
      }
      return response;
    }
  }

  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    buildService: ({ name, url }) => new RecordingDataSource({ name, url }),
    logger: quiet,
  });
  const server = new ApolloServer({
    gateway,
    logger: quiet,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ...(caching ? [responseCache()] : []),
      {
        async requestDidStart({ request, metrics }) {
          if (request.http?.headers.get(CAPTURE_TRACES) !== '1') return;
          metrics.captureTraces = true;
          return {
            async willSendResponse({ metrics }) {
              queryPlanTrace = metrics.queryPlanTrace ?? null;
            },
          };
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({ headers: req.headers }),
  });

  return {
    url,
    /**
     * query sends an operation through the gateway and returns its response
     * with the subgraph fetches it caused (each with the Cache-Control its
     * subgraph answered), the gateway's own Cache-Control and Age headers,
     * and with { traces: true } the gateway's query plan trace. headers are
     * sent to the gateway.
     */
    async query(query, variables = {}, { traces = false, headers = {} } = {}) {
      fetches = [];
      queryPlanTrace = null;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(traces ? { [CAPTURE_TRACES]: '1' } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.json();
      return { status: res.status, body, fetches, queryPlanTrace, cacheControl: res.headers.get('cache-control'), age: res.headers.get('age') };
    },
    /** setTamper installs fn(serviceName, request), called on every subgraph request before it is sent; null removes it. */
    setTamper(fn) {
      tamper = fn;
    },
    stop: () => server.stop(),
  };
}
