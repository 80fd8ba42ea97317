// The Shop subgraph's GraphQL IDE: GraphiQL, pointed at the subgraph's
// endpoint, with its state in the page's URL and, in development mode, a
// "Sign in as" choice that fills in the Authorization header.
//
// Served from the binary (internal/ide) as a file, not inline, so the page's
// Content-Security-Policy can refuse inline scripts.
'use strict';

(function () {
  const body = document.body;
  const endpoint = new URL(body.dataset.endpoint, location.href).href;

  // GraphiQL's query, variables and operation name live in the URL, which is
  // how / opens with the example query and how a query is shared. The
  // headers never do: they hold bearer tokens, which must not end up in
  // browser history, bookmarks, shared links or access logs.
  const parameters = Object.fromEntries(new URLSearchParams(location.search));
  const initial = {
    query: parameters.query,
    variables: parameters.variables,
    operationName: parameters.operationName,
  };
  function updateURL() {
    const search = new URLSearchParams();
    for (const key of ['query', 'variables', 'operationName']) {
      if (parameters[key]) search.set(key, parameters[key]);
    }
    history.replaceState(null, '', '?' + search.toString());
  }
  function onEditQuery(query) {
    parameters.query = query;
    updateURL();
  }
  function onEditVariables(variables) {
    parameters.variables = variables;
    updateURL();
  }
  function onEditOperationName(operationName) {
    parameters.operationName = operationName;
    updateURL();
  }

  // No subscriptionUrl: the subgraph has no subscriptions, so GraphiQL
  // opens no WebSocket.
  const fetcher = GraphiQL.createFetcher({ url: endpoint });

  // GraphiQL keeps its tabs and history in localStorage, and its history
  // keeps each operation's headers even when shouldPersistHeaders is false.
  // This storage writes every value without its headers.
  const storage = new Proxy(localStorage, {
    get(target, prop) {
      if (prop === 'setItem') return (key, value) => target.setItem(key, withoutHeaders(key, value));
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  function withoutHeaders(key, value) {
    if (key.endsWith(':headers')) return '';
    if (!value.includes('"headers"')) return value;
    try {
      return JSON.stringify(JSON.parse(value), (k, v) => (k === 'headers' ? undefined : v));
    } catch {
      return value;
    }
  }

  // headers is the headers editor's content, set by "Sign in as"; undefined
  // until then, so GraphiQL starts with an empty editor.
  let headers;
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  function render() {
    root.render(
      React.createElement(GraphiQL, {
        fetcher,
        query: initial.query,
        variables: initial.variables,
        operationName: initial.operationName,
        headers,
        isHeadersEditorEnabled: true,
        // Development tokens change at every start, and real ones are
        // secrets: neither is kept in the browser's storage.
        shouldPersistHeaders: false,
        storage,
        onEditQuery,
        onEditVariables,
        onEditOperationName,
        inputValueDeprecation: true,
      }),
    );
  }
  render();

  // Development mode: the server's development tokens, one a demo profile.
  const tokensURL = body.dataset.devTokens;
  const select = document.getElementById('shop-signin');
  if (tokensURL && select) {
    fetch(tokensURL, { headers: { accept: 'application/json' } })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`${tokensURL}: ${res.status}`))))
      .then(({ tokens }) => {
        for (const t of tokens) {
          const option = document.createElement('option');
          option.value = t.token;
          option.textContent = t.label;
          option.dataset.sub = t.sub;
          select.append(option);
        }
        select.disabled = false;
        select.addEventListener('change', () => {
          headers = select.value ? JSON.stringify({ Authorization: `Bearer ${select.value}` }, null, 2) : '';
          render();
        });
      })
      .catch((err) => {
        select.title = `no development tokens: ${err.message}`;
      });
  }
})();
