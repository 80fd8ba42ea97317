// The gateway under test: @apollo/gateway in @apollo/server on loopback,
// composing the live subgraphs with IntrospectAndCompose, as a platform
// gateway does. Its data sources record every subgraph fetch, so tests can
// see what the gateway sent and got back, and can alter an outgoing request
// (fault injection) before it leaves.

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';

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

/** startGateway serves a gateway over subgraphs ([{ name, url }]) on 127.0.0.1 at a free port. */
export async function startGateway(subgraphs) {
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
      if (record) record.response = { data: response.data, errors: response.errors, extensions: response.extensions };
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
     * with the subgraph fetches it caused, and with { traces: true } the
     * gateway's query plan trace. headers are sent to the gateway.
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
      return { status: res.status, body, fetches, queryPlanTrace };
    },
    /** setTamper installs fn(serviceName, request), called on every subgraph request before it is sent; null removes it. */
    setTamper(fn) {
      tamper = fn;
    },
    stop: () => server.stop(),
  };
}
