// The subgraph's cache hints through a caching gateway (SPEC §9, "Cache
// hints"): Apollo Gateway with @apollo/server-plugin-response-cache in front,
// over the Shop subgraph built from this tree and the accounts/tweets
// stand-in, which marks all its fields public for 300 s as real subgraphs
// would. What the shop subgraph costs is counted from its /metrics: SQL
// statements (shop_db_queries_total) and requests to /query
// (shop_http_request_duration_seconds_count). docs/gateway.md, "Caching",
// explains the headers and extensions this checks.

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startGateway } from './lib/gateway.mjs';
import { startShop } from './lib/shop.mjs';
import { AUTHORS, startSocial } from './lib/social.mjs';
import { lineOf, profileShop, SHOPS_JSONL } from './lib/testdata.mjs';

const TEST_TIMEOUT = { timeout: 30_000 };

// The shop subgraph's max-age for shops and products (the schema's
// @cacheControl(maxAge: 300), under the default -cache-max-age of 5m).
const MAX_AGE = 300;

// A merchant whose shop is a DRAFT: the public sees no shop on their
// profile, they see their own as a preview.
const DRAFT_OWNER = '2004';
assert.equal(lineOf(DRAFT_OWNER).status, 'DRAFT', 'testdata: the draft owner has a DRAFT shop');
assert.equal(profileShop(DRAFT_OWNER), null);
// A merchant with an ACTIVE shop, who signs in as another viewer.
const MERCHANT = '2001';

const SECRET = randomBytes(32).toString('hex');

const tokens = new Map();

/**
 * token returns the Authorization header of profile sub: an HS256 bearer
 * token, as the subgraph verifies it with SHOP_JWT_SECRET, minted once. The
 * response cache's session is the header (see lib/gateway.mjs): a viewer
 * with a new token is a new session.
 */
function token(sub) {
  if (!tokens.has(sub)) {
    const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + 3600 })}`;
    tokens.set(sub, `Bearer ${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`);
  }
  return tokens.get(sub);
}

// Issue 14's timeline (docs/gateway.md, "How each gateway plans the
// timeline"), with the ids to check the answer by.
const TIMELINE = `query Timeline($n: Int!) {
  timeline(first: $n) {
    id
    author { id shop { name } }
    shop { name featuredProducts { sku title price { amount currencyCode } url } }
  }
}`;

// A timeline that shows each author's shop with its status: the owner of a
// DRAFT shop sees it on their tweets' authors, everyone else sees null.
const PREVIEW_TIMELINE = `query PreviewTimeline($n: Int!) {
  timeline(first: $n) { id author { id shop { name status } } }
}`;

let shop;
let social;
let gateway;

before(async () => {
  shop = await startShop({ data: [SHOPS_JSONL], env: { SHOP_JWT_SECRET: SECRET } });
  social = await startSocial({ cacheMaxAge: MAX_AGE });
  social.setTimeline(12);
  gateway = await startGateway([
    { name: 'social', url: social.url },
    { name: 'shop', url: shop.url },
  ], { responseCache: true });
}, { timeout: 150_000 });

after(async () => {
  await gateway?.stop();
  await social?.stop();
  await shop?.stop();
});

const shopFetches = (fetches) => fetches.filter((f) => f.service === 'shop');

/**
 * query sends an operation through the caching gateway, as the viewer whose
 * token is given (anonymous without), and returns the response with what it
 * cost the shop subgraph: SQL statements and requests to /query, read from
 * its /metrics once the requests the gateway sent have all been counted.
 */
async function query(q, variables, { as, headers = {} } = {}) {
  const statements = await shop.statements();
  const requests = await shop.requests();
  const res = await gateway.query(q, variables, { headers: { ...headers, ...(as ? { authorization: as } : {}) } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const sent = shopFetches(res.fetches).length;
  // The subgraph counts a request when its handler returns, which can be
  // just after the gateway has the response.
  let got = await shop.requests();
  for (const deadline = Date.now() + 2_000; got < requests + sent && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10));
    got = await shop.requests();
  }
  return { ...res, cost: { statements: (await shop.statements()) - statements, requests: got - requests } };
}

/** shopsOfAuthor returns the author.shop of each tweet by profile in a PreviewTimeline answer. */
const shopsOfAuthor = (data, profile) => data.timeline.filter((t) => t.author.id === profile).map((t) => t.author.shop);

describe('Apollo Gateway with a response cache (@apollo/server-plugin-response-cache)', () => {
  test('an anonymous timeline repeated within max-age costs the shop subgraph nothing', TEST_TIMEOUT, async (t) => {
    const first = await query(TIMELINE, { n: 12 });
    assert.equal(first.body.errors, undefined);
    assert.ok(first.cost.requests > 0 && first.cost.statements > 0, `the first timeline reaches the subgraph: ${JSON.stringify(first.cost)}`);
    // What the shop subgraph allowed, and what the gateway made of it.
    assert.deepEqual([...new Set(shopFetches(first.fetches).map((f) => f.cacheControl))], [`public, max-age=${MAX_AGE}`]);
    assert.equal(first.cacheControl, `max-age=${MAX_AGE}, public`);
    // The answer is the test data's (gateway.test.mjs checks it in full).
    assert.deepEqual(first.body.data.timeline.map((tw) => tw.author.shop?.name ?? null),
      first.body.data.timeline.map((tw) => profileShop(tw.author.id)?.name ?? null));

    const second = await query(TIMELINE, { n: 12 });
    assert.deepEqual(second.cost, { statements: 0, requests: 0 }, 'the repeated timeline costs the shop subgraph');
    assert.equal(second.fetches.length, 0, 'subgraph fetches of the repeated timeline');
    assert.notEqual(second.age, null, 'a cached answer has an Age header');
    assert.deepEqual(second.body, first.body);
    t.diagnostic(`first: ${JSON.stringify(first.cost)}, repeated: ${JSON.stringify(second.cost)}`);
  });

  describe('an owner\'s preview of their DRAFT shop is private', () => {
    const draft = { name: lineOf(DRAFT_OWNER).name, status: 'DRAFT' };
    /** each returns v once for each of the owner's tweets in a timeline of n. */
    const each = (n, v) => Array.from({ length: n }, (_, i) => AUTHORS[i % AUTHORS.length]).filter((a) => a === DRAFT_OWNER).map(() => v);

    test('the owner first: another viewer right after never gets the preview', TEST_TIMEOUT, async (t) => {
      const vars = { n: 12 };
      const owner = await query(PREVIEW_TIMELINE, vars, { as: token(DRAFT_OWNER) });
      assert.equal(owner.body.errors, undefined);
      assert.deepEqual(shopsOfAuthor(owner.body.data, DRAFT_OWNER), each(vars.n, draft), 'the owner sees their preview');
      assert.ok(shopFetches(owner.fetches).some((f) => f.cacheControl === `private, max-age=${MAX_AGE}`),
        `the shop subgraph marks the preview private: ${shopFetches(owner.fetches).map((f) => f.cacheControl)}`);
      assert.equal(owner.cacheControl, `max-age=${MAX_AGE}, private`);

      const anonymous = await query(PREVIEW_TIMELINE, vars);
      assert.deepEqual(shopsOfAuthor(anonymous.body.data, DRAFT_OWNER), each(vars.n, null), 'an anonymous viewer sees no shop');
      assert.ok(anonymous.cost.requests > 0, 'the anonymous viewer\'s answer comes from the subgraph, not the owner\'s cache entry');

      const other = await query(PREVIEW_TIMELINE, vars, { as: token(MERCHANT) });
      assert.deepEqual(shopsOfAuthor(other.body.data, DRAFT_OWNER), each(vars.n, null), 'another signed-in viewer sees no shop');
      assert.ok(other.cost.requests > 0, 'the other viewer\'s answer comes from the subgraph');

      // Each answer is cached for its own audience.
      const ownerAgain = await query(PREVIEW_TIMELINE, vars, { as: token(DRAFT_OWNER) });
      assert.deepEqual(ownerAgain.cost, { statements: 0, requests: 0 }, 'the owner\'s repeat: from the owner\'s private entry');
      assert.deepEqual(ownerAgain.body, owner.body);
      // The other signed-in viewer's null turned on their token: private.
      assert.ok(shopFetches(other.fetches).some((f) => f.cacheControl === `private, max-age=${MAX_AGE}`),
        `a signed-in viewer's answer hiding the draft is private: ${shopFetches(other.fetches).map((f) => f.cacheControl)}`);
      const anonymousAgain = await query(PREVIEW_TIMELINE, vars);
      assert.deepEqual(anonymousAgain.cost, { statements: 0, requests: 0 }, 'the anonymous repeat: from the shared entry');
      assert.deepEqual(anonymousAgain.body, anonymous.body);
      t.diagnostic(`owner: ${JSON.stringify(owner.cost)}, anonymous: ${JSON.stringify(anonymous.cost)}, other viewer: ${JSON.stringify(other.cost)}, `
        + `repeats: owner ${JSON.stringify(ownerAgain.cost)}, anonymous ${JSON.stringify(anonymousAgain.cost)}`);
    });

    test('an anonymous viewer first: the owner still gets the preview', TEST_TIMEOUT, async (t) => {
      const vars = { n: 10 }; // an operation no one has asked yet
      const anonymous = await query(PREVIEW_TIMELINE, vars);
      assert.deepEqual(shopsOfAuthor(anonymous.body.data, DRAFT_OWNER), each(vars.n, null));
      assert.deepEqual([...new Set(shopFetches(anonymous.fetches).map((f) => f.cacheControl))], [`public, max-age=${MAX_AGE}`]);
      const owner = await query(PREVIEW_TIMELINE, vars, { as: token(DRAFT_OWNER) });
      assert.deepEqual(shopsOfAuthor(owner.body.data, DRAFT_OWNER), each(vars.n, draft), 'the owner is not served the anonymous answer');
      assert.ok(owner.cost.requests > 0);
      t.diagnostic(`anonymous: ${JSON.stringify(anonymous.cost)}, owner: ${JSON.stringify(owner.cost)}`);
    });

    // Whoever asks first, the owner is never served another signed-in
    // viewer's null: the subgraph marks a signed-in viewer's answer that
    // hides an existing shop on a profile private (its owner would see a
    // preview); anonymous answers the cache keeps apart.
    test('another signed-in viewer first: the owner still gets the preview', TEST_TIMEOUT, async (t) => {
      const vars = { n: 11 }; // an operation no one has asked yet
      const other = await query(PREVIEW_TIMELINE, vars, { as: token(MERCHANT) });
      assert.deepEqual(shopsOfAuthor(other.body.data, DRAFT_OWNER), each(vars.n, null));
      const owner = await query(PREVIEW_TIMELINE, vars, { as: token(DRAFT_OWNER) });
      t.diagnostic(`the other viewer's answer: ${shopFetches(other.fetches).map((f) => f.cacheControl)}; owner: ${JSON.stringify(owner.cost)}`);
      assert.deepEqual(shopsOfAuthor(owner.body.data, DRAFT_OWNER), each(vars.n, draft), 'the owner is not served the other viewer\'s answer');
    });
  });

  describe('a response with an error is never cached', () => {
    test('an error from a root field of the shop subgraph', TEST_TIMEOUT, async (t) => {
      const q = '{ shops(first: 2) { nodes { name featuredProducts(first: 9) { sku } } } }';
      const costs = [];
      for (let i = 0; i < 2; i++) {
        const res = await query(q);
        assert.equal(res.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.body.errors));
        assert.deepEqual(shopFetches(res.fetches).map((f) => f.cacheControl), ['no-store']);
        assert.equal(res.cost.requests, 1, `request ${i + 1} reaches the subgraph`);
        costs.push(res.cost);
      }
      t.diagnostic(`first: ${JSON.stringify(costs[0])}, repeated: ${JSON.stringify(costs[1])}`);
    });

    test('one failed item of a timeline\'s _entities batch', TEST_TIMEOUT, async (t) => {
      // The gateway spoils one Tweet representation (no author { id }, which
      // Tweet.shop requires): the shop subgraph fails that item alone.
      gateway.setTamper((service, request) => {
        const reps = request.variables?.representations;
        if (service === 'shop' && reps?.[0]?.__typename === 'Tweet') delete reps[0].author;
      });
      const costs = [];
      try {
        for (let i = 0; i < 2; i++) {
          const res = await query(TIMELINE, { n: 7 });
          assert.deepEqual(res.body.errors?.map((e) => e.extensions?.code), ['BAD_USER_INPUT']);
          assert.equal(res.body.data.timeline[0].shop, null);
          assert.ok(shopFetches(res.fetches).some((f) => f.cacheControl === 'no-store'), 'the failed batch is no-store');
          assert.ok(res.cost.requests > 0, `timeline ${i + 1} reaches the subgraph`);
          costs.push(res.cost);
        }
      } finally {
        gateway.setTamper(null);
      }
      t.diagnostic(`first: ${JSON.stringify(costs[0])}, repeated: ${JSON.stringify(costs[1])}`);
    });
  });

  test('a mutation is no-store and names what it changed in extensions.invalidation', TEST_TIMEOUT, async (t) => {
    const { body } = await query(`{ profile(id: "${MERCHANT}") { shop { id name } } }`);
    const shopID = body.data.profile.shop.id;
    const mutation = `mutation($id: ID!, $name: String!) { updateShop(input: { shopId: $id, name: $name }) { shop { id name } userErrors { message } } }`;

    // Straight to the subgraph: gateways do not pass a subgraph's extensions on.
    const res = await fetch(shop.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token(MERCHANT) },
      body: JSON.stringify({ query: mutation, variables: { id: shopID, name: 'Acme Outdoor, renamed' } }),
    });
    const direct = await res.json();
    assert.equal(direct.errors, undefined, JSON.stringify(direct.errors));
    assert.deepEqual(direct.data.updateShop.userErrors, []);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const invalidation = direct.extensions?.invalidation ?? [];
    const key = (i) => `${i.kind} ${i.subgraph} ${i.type} ${JSON.stringify(i.key)}`;
    assert.ok(invalidation.map(key).includes(key({ kind: 'entity', subgraph: 'shop', type: 'Shop', key: { id: shopID } })), JSON.stringify(invalidation));
    assert.ok(invalidation.map(key).includes(key({ kind: 'entity', subgraph: 'shop', type: 'Profile', key: { id: MERCHANT } })), JSON.stringify(invalidation));
    t.diagnostic(`extensions.invalidation: ${JSON.stringify(invalidation)}`);

    // Through the gateway, every mutation reaches the subgraph.
    for (let i = 0; i < 2; i++) {
      const viaGateway = await query(mutation, { id: shopID, name: `Acme Outdoor ${i}` }, { as: token(MERCHANT) });
      assert.equal(viaGateway.body.errors, undefined);
      assert.equal(viaGateway.body.data.updateShop.shop.name, `Acme Outdoor ${i}`);
      assert.equal(viaGateway.cost.requests, 1, `mutation ${i + 1} reaches the subgraph`);
    }
  });

  test('_entities answers carry each entity\'s cache tags', TEST_TIMEOUT, async () => {
    const { body } = await query(`{ profile(id: "${MERCHANT}") { shop { id } } }`);
    const shopID = body.data.profile.shop.id;
    const direct = await shop.post('query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name } } } }',
      { r: [{ __typename: 'Profile', id: MERCHANT }, { __typename: 'Profile', id: DRAFT_OWNER }] });
    assert.equal(direct.errors, undefined);
    assert.deepEqual(direct.extensions?.apolloEntityCacheTags, [[`profile-${MERCHANT}`, `shop-${shopID}`], [`profile-${DRAFT_OWNER}`]]);
  });
});
