// Federation through real gateways (issues 3 and 14): the Shop subgraph built
// from this tree and the accounts/tweets stand-in, behind Apollo Gateway and
// behind Hive Gateway, all on loopback. Both gateways get the same tests.
// Answers are checked against internal/graphtest/shops.jsonl (see
// lib/testdata.mjs), statement counts against the subgraph's /metrics.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { FORWARDED_HEADERS, startGateway } from './lib/gateway.mjs';
import { startHiveGateway } from './lib/hive.mjs';
import { startShop } from './lib/shop.mjs';
import { AUTHORS, handle, startSocial } from './lib/social.mjs';
import {
  lines, PRODUCT_FIELDS, PROFILES, productOf, product, profileShop, SHOP_FIELDS, SHOPS_JSONL,
} from './lib/testdata.mjs';

const TEST_TIMEOUT = { timeout: 30_000 };

let shop;
let social;

before(async () => {
  shop = await startShop({ data: [SHOPS_JSONL] });
  social = await startSocial();
}, { timeout: 150_000 });

after(async () => {
  await social?.stop();
  await shop?.stop();
});

const shopFetches = (fetches) => fetches.filter((f) => f.service === 'shop');

/**
 * entitiesCalls lists the `_entities` calls of the shop subgraph's fetches, as
 * the __typenames of their representations. A gateway may send one call a
 * request (`representations`) or several aliased in one operation
 * (Hive Gateway's `_v0_representations`, `_v1_representations`, …).
 */
function entitiesCalls(fetches) {
  return shopFetches(fetches).flatMap((f) => Object.entries(f.variables)
    .filter(([name]) => name === 'representations' || name.endsWith('_representations'))
    .map(([, reps]) => reps));
}

/** callsOf returns the _entities calls whose representations are all of typename. */
const callsOf = (fetches, typename) => entitiesCalls(fetches).filter((reps) => reps.every((r) => r.__typename === typename));

// The timeline of issue 14, as the platform's client asks for it: the plan
// each gateway makes of it is documented in docs/gateway.md.
const ISSUE_TIMELINE = `query Timeline($n: Int!) {
  timeline(first: $n) {
    author { shop { name } }
    shop { name featuredProducts { sku title price { amount currencyCode } url } }
  }
}`;

const GATEWAY_DOC = readFileSync(new URL('../docs/gateway.md', import.meta.url), 'utf8');

// The gateways under test, each with its own composition of the same two
// subgraphs. Every test below runs through each. What the gateways do
// differently with the same subgraph answers is stated here, once:
// - traces: the gateway asks for Apollo's federated traces (ftv1);
// - itemErrorPath: where the gateway puts the error of the item at index i of
//   the shop's `_entities` answer (the subgraph's path: ["_entities", i]);
// - nullEntityErrors: whether an entity the shop resolves to null (an unknown
//   Product id) shows as an error on its non-null fields besides the null.
const GATEWAYS = [
  {
    name: 'Apollo Gateway',
    composition: '@apollo/composition',
    start: startGateway,
    traces: true,
    itemErrorPath: { Tweet: (i) => ['timeline', i], Profile: (i) => ['timeline', i, 'author'] },
    nullEntityErrors: false,
  },
  {
    name: 'Hive Gateway',
    composition: '@theguild/federation-composition',
    start: startHiveGateway,
    traces: false,
    // Hive Gateway 2.15 (runtime 2.12.1) drops the list index from a
    // Tweet.shop error, and names the field under a Profile.
    itemErrorPath: { Tweet: () => ['timeline', 'shop'], Profile: (i) => ['timeline', i, 'author', 'shop'] },
    // It reports the null's non-null fields as a masked error.
    nullEntityErrors: true,
  },
];

for (const gw of GATEWAYS) {
  describe(`${gw.name} (${gw.composition})`, () => gatewayTests(gw));
}

function gatewayTests(gw) {
  let gateway;
  let productID; // SKU → the Product id the subgraph issued

  before(async () => {
    gateway = await gw.start([
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
  });

  /**
   * query sends an operation through the gateway; it must succeed, with no
   * errors unless opts.errorPaths lists the paths of those expected. It
   * returns data and the SQL statements it ran.
   */
  async function query(q, variables, opts = {}) {
    const before = await shop.statements();
    const res = await gateway.query(q, variables, opts);
    const statements = (await shop.statements()) - before;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (opts.errorPaths?.length) {
      assert.deepEqual(res.body.errors?.map((e) => e.path), opts.errorPaths, 'errors through the gateway');
    } else {
      assert.deepEqual(res.body.errors, undefined, 'errors through the gateway');
    }
    return { ...res, data: res.body.data, statements };
  }

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
    // Tweet.shop and Profile.shop: one _entities call each, of every tweet,
    // whatever the length. (Hive Gateway adds one of the shops, for their
    // carousels: see the plan test below.)
    // (Hive Gateway sends each profile once; Apollo Gateway one a tweet.)
    const ids = (typename) => callsOf(fetches, typename).map((reps) => new Set(reps.map((r) => r.id)));
    assert.deepEqual(ids('Tweet'), [new Set(tweets.map((t) => t.id))], 'Tweet calls');
    assert.deepEqual(ids('Profile'), [new Set(tweets.map((t) => t.authorId))], 'Profile calls');
    assert.deepEqual(entitiesCalls(fetches).flat().map((r) => r.__typename).filter((t) => !['Tweet', 'Profile', 'Shop'].includes(t)), []);
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

  // Two timelines: the carousel a client shows (shop and author { shop }),
  // and issue 14's, whose plan differs most between the gateways.
  const CAROUSEL = `shop { name storeUrl featuredProducts { title url image { url altText } price { amount currencyCode } compareAtPrice { amount currencyCode } } }`;
  const BUDGET_TIMELINES = [
    { name: 'carousels', q: `query Timeline($n: Int!) { timeline(first: $n) { id ${CAROUSEL} author { handle ${CAROUSEL} } } }` },
    { name: 'issue 14', q: ISSUE_TIMELINE },
  ];
  const BUDGET_LENGTHS = [5, 500];
  // SPEC §2 and §9: whatever the gateway's plan, a timeline costs at most 4
  // statements, and the same for any length.
  const MAX_TIMELINE_STATEMENTS = 4;

  /** runTimeline runs a budget timeline of n tweets and checks its answer against the test data. */
  async function runTimeline(q, n, tweets) {
    const res = await query(q, { n });
    assert.equal(res.data.timeline.length, n);
    for (const [i, t] of res.data.timeline.entries()) {
      const want = profileShop(tweets[i].authorId);
      assert.equal(t.shop?.name, want?.name, `${n} tweets: timeline[${i}].shop.name`);
      assert.deepEqual(t.shop?.featuredProducts.map((p) => p.title), want?.featuredProducts.map((p) => p.title), `${n} tweets: timeline[${i}].shop`);
      assert.equal(t.author.shop?.name, want?.name, `${n} tweets: timeline[${i}].author.shop`);
    }
    return res;
  }

  test(`SQL statements per timeline: the same for ${BUDGET_LENGTHS.join(' and ')} tweets, at most ${MAX_TIMELINE_STATEMENTS}`, { ...TEST_TIMEOUT, todo: gw.pending?.budget }, async (t) => {
    const tweets = social.setTimeline(Math.max(...BUDGET_LENGTHS));
    const counts = {};
    for (const { name, q } of BUDGET_TIMELINES) {
      counts[name] = {};
      for (const n of BUDGET_LENGTHS) counts[name][n] = (await runTimeline(q, n, tweets)).statements;
    }
    t.diagnostic(`SQL statements by timeline length: ${JSON.stringify(counts)}`);
    for (const { name } of BUDGET_TIMELINES) {
      const byLength = Object.values(counts[name]);
      assert.ok(byLength.every((c) => c === byLength[0]), `${name}: statements ${JSON.stringify(counts[name])} by timeline length`);
      assert.ok(byLength.every((c) => c > 0 && c <= MAX_TIMELINE_STATEMENTS), `${name}: statements ${JSON.stringify(counts[name])}, at most ${MAX_TIMELINE_STATEMENTS}`);
    }
  });

  test('the direct path answers every _entities call of a timeline', { ...TEST_TIMEOUT, todo: gw.pending?.direct }, async (t) => {
    const tweets = social.setTimeline(Math.max(...BUDGET_LENGTHS));
    const answered = {};
    for (const { name, q } of BUDGET_TIMELINES) {
      const before = { direct: await shop.entitiesCalls('direct'), executor: await shop.entitiesCalls('executor') };
      const { fetches } = await runTimeline(q, BUDGET_LENGTHS[0], tweets);
      answered[name] = {
        calls: entitiesCalls(fetches).length,
        direct: (await shop.entitiesCalls('direct')) - before.direct,
        executor: (await shop.entitiesCalls('executor')) - before.executor,
      };
    }
    t.diagnostic(`_entities calls by what answered them: ${JSON.stringify(answered)}`);
    for (const [name, a] of Object.entries(answered)) {
      assert.deepEqual({ direct: a.direct, executor: a.executor }, { direct: a.calls, executor: 0 }, `${name}: ${a.calls} _entities calls`);
    }
  });

  test("the gateway's entity requests are answered by the direct entry once their documents are known", TEST_TIMEOUT, async (t) => {
    const tweets = social.setTimeline(12);
    await runTimeline(ISSUE_TIMELINE, tweets.length, tweets); // the subgraph parses the gateway's documents
    const before = await shop.directOperations();
    const { fetches } = await runTimeline(ISSUE_TIMELINE, tweets.length, tweets);
    const requests = shopFetches(fetches).length;
    const direct = (await shop.directOperations()) - before;
    t.diagnostic(`${requests} requests to the shop subgraph, ${direct} answered by the direct entry`);
    assert.equal(direct, requests, `the direct entry answered ${direct} of the ${requests} requests the gateway sent again`);
  });

  test("issue 14's timeline: the plan the shop subgraph receives is the one docs/gateway.md shows", TEST_TIMEOUT, async (t) => {
    const tweets = social.setTimeline(12);
    const { fetches, statements } = await runTimeline(ISSUE_TIMELINE, tweets.length, tweets);
    const sent = shopFetches(fetches);
    for (const f of sent) t.diagnostic(`shop subgraph received: ${f.query}`);
    t.diagnostic(`${sent.length} HTTP requests, ${entitiesCalls(fetches).length} _entities calls (${entitiesCalls(fetches).map((reps) => `${reps.length} ${[...new Set(reps.map((r) => r.__typename))].join('/')}`).join(', ')}), ${statements} statements`);
    for (const f of sent) assert.ok(GATEWAY_DOC.includes(f.query), `docs/gateway.md ("How each gateway plans the timeline") lacks ${gw.name}'s operation:\n${f.query}`);
  });

  /** fetchTraces returns the fetch nodes of a query plan trace. */
  function fetchTraces(node, out = []) {
    if (!node) return out;
    if (node.fetch) out.push(node.fetch);
    for (const child of [...(node.sequence?.nodes ?? []), ...(node.parallel?.nodes ?? [])]) fetchTraces(child, out);
    if (node.flatten) fetchTraces(node.flatten.node, out);
    return out;
  }

  // Federated tracing is Apollo's: Apollo Gateway asks for ftv1 when its usage
  // reporting samples a request. Hive Gateway asks for none unless configured
  // to report to Apollo, which this suite does not do.
  const tracing = gw.traces ? {} : { skip: `${gw.name} does not ask for ftv1 traces` };
  test('federated tracing: ftv1 when the gateway asks for it', { ...TEST_TIMEOUT, ...tracing }, async () => {
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
        blank: (w) => { w[3].shop = null; },
      },
      {
        name: 'a representation of an unknown __typename',
        typename: 'Profile', index: 0, spoil: (rep) => { rep.__typename = 'Account'; },
        blank: (w) => { w[0].author.shop = null; },
      },
    ];
    for (const c of cases) {
      await t.test(c.name, async () => {
        gateway.setTamper((service, request) => {
          if (service !== 'shop') return;
          for (const reps of entitiesCalls([{ service, variables: request.variables ?? {} }])) {
            if (reps[c.index]?.__typename === c.typename) c.spoil(reps[c.index]);
          }
        });
        let res;
        try {
          res = await gateway.query(q);
        } finally {
          gateway.setTamper(null);
        }
        // The subgraph fails the one item, at its index in the batch…
        assert.deepEqual(shopFetches(res.fetches).flatMap((f) => f.response?.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code })),
          [{ path: ['_entities', c.index], code: 'BAD_USER_INPUT' }], 'errors the shop subgraph returned');
        // …and the gateway points at the timeline element.
        assert.deepEqual(res.body.errors.map((e) => ({ path: e.path, code: e.extensions.code, service: e.extensions.serviceName })),
          [{ path: gw.itemErrorPath[c.typename](c.index), code: 'BAD_USER_INPUT', service: 'shop' }]);
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
      const unknown = tweets.flatMap((tw, i) => (pattern[i % pattern.length] === 'unknown' ? [i] : []));
      const errorPaths = gw.nullEntityErrors ? unknown.map((i) => ['timeline', i, 'pinnedProduct', 'sku']) : [];
      const { data, fetches } = await query(q, { n }, { errorPaths });
      assert.deepEqual(data.timeline, tweets.map((tw, i) => {
        const sku = pattern[i % pattern.length];
        if (!sku || sku === 'unknown') return { id: tw.id, pinnedProduct: null };
        const { line, product: p } = productOf(sku);
        return { id: tw.id, pinnedProduct: { id: productID.get(sku), ...product(p), shop: { name: line.name } } };
      }));
      assert.equal(shopFetches(fetches).length, 1, `${n} tweets: fetches of the shop subgraph`);
      // One call, every pinned id (a gateway may send each id once).
      const [call, ...more] = entitiesCalls(fetches);
      assert.deepEqual(more, []);
      assert.ok(call.every((r) => r.__typename === 'Product'), 'Product representations');
      assert.deepEqual(new Set(call.map((r) => r.id)), new Set(Object.values(pins)));
      // The subgraph resolves the unknown id to null without an error.
      assert.deepEqual(shopFetches(fetches)[0].response.errors, undefined, 'errors from the shop subgraph');
      counts[n] = (await query(counted, { n }, { errorPaths })).statements;
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
}
