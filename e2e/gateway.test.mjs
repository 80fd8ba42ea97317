// Federation through a real gateway (issue 3): the Shop subgraph built from
// this tree, the accounts/tweets stand-in and @apollo/gateway, all on
// loopback. Answers are checked against graph/testdata/shops.jsonl (see
// lib/testdata.mjs), statement counts against the subgraph's /metrics.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { FORWARDED_HEADERS, startGateway } from './lib/gateway.mjs';
import { startShop } from './lib/shop.mjs';
import { AUTHORS, handle, startSocial } from './lib/social.mjs';
import {
  lines, PRODUCT_FIELDS, PROFILES, productOf, product, profileShop, SHOP_FIELDS, SHOPS_JSONL,
} from './lib/testdata.mjs';

const TEST_TIMEOUT = { timeout: 30_000 };

let shop;
let social;
let gateway;
let productID; // SKU → the Product id the subgraph issued

before(async () => {
  shop = await startShop({ data: [SHOPS_JSONL] });
  social = await startSocial();
  gateway = await startGateway([
    { name: 'social', url: social.url },
    { name: 'shop', url: shop.url },
  ]);
  // Product ids are opaque: learn them the way a client does.
  const { body } = await gateway.query('{ shops(first: 100) { nodes { products(first: 100) { nodes { id sku } } } } }');
  assert.equal(body.errors, undefined);
  productID = new Map(body.data.shops.nodes.flatMap((s) => s.products.nodes.map((p) => [p.sku, p.id])));
}, { timeout: 150_000 });

after(async () => {
  await gateway?.stop();
  await social?.stop();
  await shop?.stop();
});

/** query sends an operation through the gateway; it must succeed. It returns data and the SQL statements it ran. */
async function query(q, variables, opts) {
  const before = await shop.statements();
  const res = await gateway.query(q, variables, opts);
  const statements = (await shop.statements()) - before;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.errors, undefined, 'errors through the gateway');
  return { ...res, data: res.body.data, statements };
}

const shopFetches = (fetches) => fetches.filter((f) => f.service === 'shop');

const TIMELINE = `query Timeline($n: Int!) {
  timeline(first: $n) {
    id text
    shop { ${SHOP_FIELDS} }
    author { id handle shop { ${SHOP_FIELDS} } }
  }
}`;

/** timelineWant is the Timeline query's answer for tweets as the stand-in holds them. */
function timelineWant(tweets) {
  return tweets.map((t) => ({
    id: t.id,
    text: t.text,
    shop: profileShop(t.authorId),
    author: { id: t.authorId, handle: handle(t.authorId), shop: profileShop(t.authorId) },
  }));
}

test('a timeline with shop and author { shop } equals the test data', TEST_TIMEOUT, async () => {
  const tweets = social.setTimeline(2 * AUTHORS.length);
  const { data, fetches } = await query(TIMELINE, { n: tweets.length });
  assert.deepEqual(data.timeline, timelineWant(tweets));
  // Tweet.shop and Profile.shop: one _entities fetch each, whatever the length.
  const typenames = shopFetches(fetches).map((f) => f.variables.representations.map((r) => r.__typename).join(' '));
  assert.deepEqual(typenames.sort(), [tweets.map(() => 'Profile').join(' '), tweets.map(() => 'Tweet').join(' ')]);
});

test("a profile's shop equals the test data", TEST_TIMEOUT, async () => {
  const q = `query Profile($id: ID!) {
    profile(id: $id) { id handle shop { id ${SHOP_FIELDS} owner { id handle } createdAt updatedAt } }
  }`;
  const rfc3339UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
  for (const id of PROFILES) {
    const { data } = await query(q, { id });
    const got = data.profile;
    const want = { id, handle: handle(id), shop: profileShop(id) && { ...profileShop(id), owner: { id, handle: handle(id) } } };
    if (got.shop) {
      for (const f of ['createdAt', 'updatedAt']) {
        assert.match(got.shop[f], rfc3339UTC, `${id}: shop.${f}`);
        delete got.shop[f];
      }
      assert.equal(typeof got.shop.id, 'string');
      assert.ok(got.shop.id !== '', `${id}: shop.id`);
      want.shop.id = got.shop.id;
    }
    assert.deepEqual(got, want, `profile ${id}`);
  }
  // A profile the accounts subgraph does not know is null, not an error.
  assert.deepEqual((await query(q, { id: '404' })).data, { profile: null });
});

test('a mixed query: root fields of both subgraphs, entities both ways', TEST_TIMEOUT, async () => {
  const tweets = social.setTimeline(3);
  const { data } = await query(`query Mixed {
    shops(first: 10) { totalCount nodes { name owner { id handle } featuredProducts(first: 1) { title } } }
    profile(id: "2002") { handle shop { name featuredProducts { title price { amount currencyCode } } } }
    timeline(first: 3) { id author { handle } shop { name } }
  }`);
  const active = lines.filter((l) => (l.status ?? 'ACTIVE') === 'ACTIVE');
  const tea = profileShop('2002');
  assert.deepEqual(data, {
    shops: {
      totalCount: active.length,
      nodes: active.map((l) => ({
        name: l.name,
        owner: { id: l.profileId, handle: handle(l.profileId) },
        featuredProducts: profileShop(l.profileId).featuredProducts.slice(0, 1).map((p) => ({ title: p.title })),
      })),
    },
    profile: {
      handle: handle('2002'),
      shop: { name: tea.name, featuredProducts: tea.featuredProducts.map((p) => ({ title: p.title, price: p.price })) },
    },
    timeline: tweets.map((t) => ({ id: t.id, author: { handle: handle(t.authorId) }, shop: profileShop(t.authorId) && { name: profileShop(t.authorId).name } })),
  });
});

test("SQL statements per gateway query do not grow with the timeline's length", TEST_TIMEOUT, async (t) => {
  const carousel = `shop { name storeUrl featuredProducts { title url image { url altText } price { amount currencyCode } compareAtPrice { amount currencyCode } } }`;
  const q = `query Timeline($n: Int!) { timeline(first: $n) { id ${carousel} author { handle ${carousel} } } }`;
  const tweets = social.setTimeline(200);
  const counts = {};
  for (const n of [5, 200]) {
    const direct = await shop.entitiesCalls('direct');
    const { data, statements, fetches } = await query(q, { n });
    assert.equal(data.timeline.length, n);
    for (const [i, t] of data.timeline.entries()) {
      const want = profileShop(tweets[i].authorId);
      assert.deepEqual(t.shop?.featuredProducts.map((p) => p.title), want?.featuredProducts.map((p) => p.title), `${n} tweets: timeline[${i}].shop`);
      assert.deepEqual(t.author.shop, t.shop, `${n} tweets: timeline[${i}].author.shop`);
    }
    const batches = shopFetches(fetches);
    assert.deepEqual(batches.map((f) => f.variables.representations.length), [n, n], `${n} tweets: one batch for Tweet.shop, one for Profile.shop`);
    // SPEC §2: at most 2 statements an _entities call asking shop { featuredProducts }.
    assert.ok(statements > 0 && statements <= 2 * batches.length, `${n} tweets: ${statements} statements for ${batches.length} _entities calls`);
    counts[n] = statements;
    // The direct path (graph/direct.go) answered both, not gqlgen's executor.
    assert.equal((await shop.entitiesCalls('direct')) - direct, batches.length, `${n} tweets: _entities calls the direct path answered`);
  }
  t.diagnostic(`SQL statements by timeline length: ${JSON.stringify(counts)}`);
  assert.equal(counts[200], counts[5], `statements: ${JSON.stringify(counts)} by timeline length`);
});

/** fetchTraces returns the fetch nodes of a query plan trace. */
function fetchTraces(node, out = []) {
  if (!node) return out;
  if (node.fetch) out.push(node.fetch);
  for (const child of [...(node.sequence?.nodes ?? []), ...(node.parallel?.nodes ?? [])]) fetchTraces(child, out);
  if (node.flatten) fetchTraces(node.flatten.node, out);
  return out;
}

test('federated tracing: ftv1 when the gateway asks for it', TEST_TIMEOUT, async () => {
  const tweets = social.setTimeline(3);
  const q = `{ timeline(first: 3) { id shop { name } } }`;

  const traced = await query(q, {}, { traces: true });
  const [sent] = shopFetches(traced.fetches);
  assert.equal(sent.headers['apollo-federation-include-trace'], 'ftv1', 'the gateway asked for a trace');
  assert.equal(typeof sent.response.extensions?.ftv1, 'string', 'the subgraph answered with extensions.ftv1');

  // The gateway decoded the subgraph's trace into its query plan trace: a
  // Trace protobuf whose root is the _entities field with one child a representation.
  const [node] = fetchTraces(traced.queryPlanTrace).filter((f) => f.serviceName === 'shop');
  assert.ok(node, 'a fetch of the shop subgraph in the query plan trace');
  assert.equal(node.traceParsingFailed, false);
  assert.ok(Number(node.trace.durationNs) > 0, `durationNs ${node.trace.durationNs}`);
  assert.ok(node.trace.startTime && node.trace.endTime, 'start and end times');
  const [entities] = node.trace.root.child;
  assert.equal(entities.responseName, '_entities');
  assert.deepEqual(entities.child.map((c) => c.index).sort(), tweets.map((_, i) => i));
  assert.ok(entities.child.every((c) => c.child.some((f) => f.responseName === 'shop' && f.parentType === 'Tweet')), 'a shop field under each representation');

  // Not asked, not sent: no trace costs nothing on untraced requests.
  const plain = await query(q);
  const [untraced] = shopFetches(plain.fetches);
  assert.equal(untraced.headers['apollo-federation-include-trace'], undefined);
  assert.equal(untraced.response.extensions?.ftv1, undefined);
});

test('one bad representation in a batch fails alone, at its index', TEST_TIMEOUT, async (t) => {
  const batch = (bad) => [
    { __typename: 'Tweet', id: 't1', author: { id: '2001' } },
    { __typename: 'Profile', id: '2002' },
    { __typename: 'Tweet', id: 't3', author: { id: '2003' } },
    bad,
    { __typename: 'Profile', id: '2005' },
  ];
  const cases = [
    { name: 'a Tweet without author { id }, which Tweet.shop requires', bad: { __typename: 'Tweet', id: 't4' } },
    { name: 'a Tweet whose author is null', bad: { __typename: 'Tweet', id: 't4', author: null } },
    { name: 'a representation of an unknown __typename', bad: { __typename: 'Account', id: '2004' } },
    { name: 'a Profile without its key field id', bad: { __typename: 'Profile' } },
    { name: 'a Tweet without its key field id', bad: { __typename: 'Tweet', author: { id: '2004' } } },
    { name: 'a Product whose id is null', bad: { __typename: 'Product', id: null } },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const body = await shop.post(`query($r: [_Any!]!) {
        _entities(representations: $r) { ... on Tweet { shop { name } } ... on Profile { shop { name } } }
      }`, { r: batch(c.bad) });
      assert.deepEqual(body.errors?.map((e) => ({ path: e.path, code: e.extensions?.code })), [{ path: ['_entities', 3], code: 'BAD_USER_INPUT' }]);
      assert.deepEqual(body.data._entities, [
        { shop: { name: 'Acme Outdoor' } },
        { shop: { name: 'Tokyo Tea' } },
        { shop: { name: 'Gulf Pearls' } },
        null,
        { shop: { name: 'Plain Goods' } },
      ]);
    });
  }
});

test('through the gateway, a failed item points at its timeline element and blanks only its shop', TEST_TIMEOUT, async (t) => {
  const tweets = social.setTimeline(6);
  const q = `{ timeline(first: 6) { id text shop { name } author { id shop { name } } } }`;
  const want = () => tweets.map((tw) => {
    const s = profileShop(tw.authorId) && { name: profileShop(tw.authorId).name };
    return { id: tw.id, text: tw.text, shop: s, author: { id: tw.authorId, shop: s } };
  });
  // Fault injection: the gateway's request to the shop subgraph is altered
  // before it leaves, as a buggy or hostile gateway or client could.
  const cases = [
    {
      name: 'a Tweet representation without author { id }',
      typename: 'Tweet', index: 3, spoil: (rep) => { delete rep.author; },
      path: ['timeline', 3], blank: (w) => { w[3].shop = null; },
    },
    {
      name: 'a representation of an unknown __typename',
      typename: 'Profile', index: 0, spoil: (rep) => { rep.__typename = 'Account'; },
      path: ['timeline', 0, 'author'], blank: (w) => { w[0].author.shop = null; },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      gateway.setTamper((service, request) => {
        const reps = request.variables?.representations;
        if (service === 'shop' && reps?.[c.index]?.__typename === c.typename) c.spoil(reps[c.index]);
      });
      let res;
      try {
        res = await gateway.query(q);
      } finally {
        gateway.setTamper(null);
      }
      assert.deepEqual(res.body.errors.map((e) => ({ path: e.path, code: e.extensions.code, service: e.extensions.serviceName })),
        [{ path: c.path, code: 'BAD_USER_INPUT', service: 'shop' }]);
      const w = want();
      c.blank(w);
      assert.deepEqual(res.body.data.timeline, w);
    });
  }
});

test('the gateway forwards Authorization and the viewer headers to the shop subgraph', TEST_TIMEOUT, async () => {
  social.setTimeline(1);
  const viewer = {
    authorization: 'Bearer e2e-token',
    'x-viewer-country': 'US',
    'accept-language': 'en-US,fr;q=0.8',
    'x-client-platform': 'ios',
  };
  assert.deepEqual(Object.keys(viewer), FORWARDED_HEADERS);
  // Only what was sent is checked: what the subgraph makes of the headers is
  // its own tests' business.
  const { fetches } = await gateway.query('{ timeline(first: 1) { shop { name } } }', {}, { headers: viewer });
  const [sent] = shopFetches(fetches);
  for (const [name, value] of Object.entries(viewer)) assert.equal(sent.headers[name], value, name);
});

test('Tweet.shop and Profile.shop stay nullable in the supergraph', TEST_TIMEOUT, async () => {
  const { data } = await query(`{
    tweet: __type(name: "Tweet") { fields { name type { kind name } } }
    profile: __type(name: "Profile") { fields { name type { kind name } } }
  }`);
  for (const type of ['tweet', 'profile']) {
    const f = data[type].fields.find((f) => f.name === 'shop');
    assert.deepEqual(f.type, { kind: 'OBJECT', name: 'Shop' }, `${type}.shop`);
  }
});

test('Tweet.pinnedProduct: Product fields from this subgraph in one batched fetch', TEST_TIMEOUT, async (t) => {
  const q = `query Pinned($n: Int!) {
    timeline(first: $n) { id pinnedProduct { id ${PRODUCT_FIELDS} shop { name } } }
  }`;
  const counted = q;
  const pattern = ['A1', 'J1', null, 'K1', 'A1', 'unknown', 'A5'];
  const counts = {};
  for (const n of [pattern.length, 10 * pattern.length]) {
    const pins = {};
    for (let i = 0; i < n; i++) {
      const sku = pattern[i % pattern.length];
      // An id the subgraph never issued resolves to null, without an error.
      if (sku) pins[`t${i + 1}`] = sku === 'unknown' ? 'p-unknown' : productID.get(sku);
    }
    const tweets = social.setTimeline(n, pins);
    const { data, fetches } = await query(q, { n });
    assert.deepEqual(data.timeline, tweets.map((tw, i) => {
      const sku = pattern[i % pattern.length];
      if (!sku || sku === 'unknown') return { id: tw.id, pinnedProduct: null };
      const { line, product: p } = productOf(sku);
      return { id: tw.id, pinnedProduct: { id: productID.get(sku), ...product(p), shop: { name: line.name } } };
    }));
    const batches = shopFetches(fetches);
    assert.equal(batches.length, 1, `${n} tweets: fetches of the shop subgraph`);
    assert.deepEqual(batches[0].variables.representations, Object.values(pins).map((id) => ({ __typename: 'Product', id })));
    counts[n] = (await query(counted, { n })).statements;
  }
  t.diagnostic(`SQL statements by timeline length: ${JSON.stringify(counts)}`);
  assert.equal(counts[10 * pattern.length], counts[pattern.length], `statements: ${JSON.stringify(counts)} by timeline length`);
});

test('Product.shop costs no statement beyond the budget', TEST_TIMEOUT, async () => {
  // SPEC §2: at most 2 statements for Profile representations asking
  // shop { featuredProducts { … } }; the product's shop is the shop at hand.
  social.setTimeline(AUTHORS.length);
  const { statements } = await query(`{ timeline(first: ${AUTHORS.length}) { author { shop { featuredProducts { title shop { name } } } } } }`);
  assert.ok(statements <= 2, `${statements} statements`);
});
