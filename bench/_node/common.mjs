// What the two Node comparisons share: the schema subset of the timeline, the
// same two SQL statements as the Go subgraph (internal/store/read.go) on the
// same SQLite file through better-sqlite3, per-request DataLoaders, a
// statement counter in the Prometheus text format, and the command line.

import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import DataLoader from 'dataloader';

export function options() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      addr: { type: 'string', default: '127.0.0.1:0' },
      workers: { type: 'string', default: '1' },
    },
  });
  if (!values.db) throw new Error('usage: node SERVER.mjs --db FILE [--addr 127.0.0.1:0] [--workers N]');
  const i = values.addr.lastIndexOf(':');
  return {
    db: values.db,
    host: values.addr.slice(0, i),
    port: Number(values.addr.slice(i + 1)),
    workers: Number(values.workers),
  };
}

// The line the load driver waits for, as the Go servers log it.
export function logServing(address) {
  console.log(`level=INFO msg=serving addr=${address.address}:${address.port}`);
}

// Subgraph SDL (Federation 2 for @apollo/subgraph). Custom scalars keep the
// shape of the real schema; graphql-js serializes them as they are.
export const typeDefsFed2 = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external", "@requires"])
scalar URL
scalar Decimal
scalar CurrencyCode
type Profile @key(fields: "id") { id: ID!  shop: Shop }
type Tweet @key(fields: "id") { id: ID!  author: Profile! @external  shop: Shop @requires(fields: "author { id }") }
type Shop @key(fields: "id") { id: ID!  name: String!  storeUrl: URL!  featuredProducts(first: Int = 5): [Product!]! }
type Product @key(fields: "id") { id: ID!  title: String!  url: URL!  image: Image!  price: Money! }
type Image { url: URL! }
type Money { amount: Decimal!  currencyCode: CurrencyCode! }
`;

// The same subset in Federation 1 form, which @mercuriusjs/federation speaks.
export const typeDefsFed1 = `
scalar URL
scalar Decimal
scalar CurrencyCode
extend type Profile @key(fields: "id") { id: ID! @external  shop: Shop }
extend type Tweet @key(fields: "id") { id: ID! @external  author: Profile! @external  shop: Shop @requires(fields: "author { id }") }
type Shop @key(fields: "id") { id: ID!  name: String!  storeUrl: URL!  featuredProducts(first: Int = 5): [Product!]! }
type Product @key(fields: "id") { id: ID!  title: String!  url: URL!  image: Image!  price: Money! }
type Image { url: URL! }
type Money { amount: Decimal!  currencyCode: CurrencyCode! }
type Query { _dummy: Int }
`;

// The columns of a carousel card, as the subgraph reads them for this
// selection (internal/store's CardColumns) and the floor does.
const cardColumnsP = `p.id, p.shop_id, p.title, p.url, p.image_url, p.image_alt_text,
  p.image_width, p.image_height, p.currency, p.price_minor, p.compare_at_minor`;

const placeholders = (n) => Array(n).fill('?').join(', ');

// openStore opens the SQLite file read-only and returns the two batch
// statements, counted by name. Statements are prepared once per list length.
export function openStore(file) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  const counts = new Map();
  const count = (name) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const cache = new Map();
  const prepared = (key, sql) => {
    let s = cache.get(key);
    if (!s) cache.set(key, (s = db.prepare(sql)));
    return s;
  };
  return {
    shopsByOwnerIDs(ids) {
      count('shops_by_owner_ids');
      return prepared(`s${ids.length}`,
        `SELECT id, owner_id, name, description, store_url, status, created_at, updated_at FROM shops WHERE owner_id IN (${placeholders(ids.length)})`,
      ).all(...ids);
    },
    featuredProductsByShopIDs(ids) {
      count('featured_cards_by_shop_ids');
      return prepared(`f${ids.length}`,
        `SELECT ${cardColumnsP}, f.position
         FROM featured_products f JOIN products p ON p.id = f.product_id
         WHERE f.shop_id IN (${placeholders(ids.length)}) AND p.availability NOT IN (?, ?)
         ORDER BY f.shop_id, f.position`,
      ).all(...ids, 'OUT_OF_STOCK', 'DISCONTINUED');
    },
    metrics() {
      let out = '# TYPE shop_db_queries_total counter\n';
      for (const [name, n] of counts) out += `shop_db_queries_total{query="${name}"} ${n}\n`;
      return out;
    },
  };
}

// newLoaders returns one request's DataLoaders: results in the order of the
// keys, null for "none".
export function newLoaders(store) {
  return {
    shopByOwner: new DataLoader(async (owners) => {
      const byOwner = new Map(store.shopsByOwnerIDs(owners).map((s) => [s.owner_id, s]));
      return owners.map((o) => byOwner.get(o) ?? null);
    }),
    featured: new DataLoader(async (shopIDs) => {
      const groups = new Map(shopIDs.map((id) => [id, []]));
      for (const row of store.featuredProductsByShopIDs(shopIDs)) groups.get(row.shop_id)?.push(row);
      return shopIDs.map((id) => groups.get(id));
    }),
  };
}

// Minor digits of the dataset's currencies (internal/money has them all).
const minorDigits = { JPY: 0, KRW: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

export function formatMoney(minor, currency) {
  const d = minorDigits[currency] ?? 2;
  const s = String(minor);
  if (d === 0) return s;
  const padded = s.padStart(d + 1, '0');
  return `${padded.slice(0, -d)}.${padded.slice(-d)}`;
}

// shopOf is Profile.shop and Tweet.shop: the owner's shop when ACTIVE, else null.
async function shopOf(ownerID, ctx) {
  const s = await ctx.loaders.shopByOwner.load(ownerID);
  return s && s.status === 'ACTIVE' ? s : null;
}

export const resolvers = {
  Profile: {
    __resolveReference: (ref) => ref,
    shop: (p, _, ctx) => shopOf(p.id, ctx),
  },
  Tweet: {
    __resolveReference: (ref) => ref,
    shop: (t, _, ctx) => shopOf(t.author.id, ctx),
  },
  Shop: {
    id: (s) => String(s.id),
    storeUrl: (s) => s.store_url,
    featuredProducts: async (s, { first }, ctx) => {
      if (first < 1 || first > 5) throw new Error(`first must be between 1 and 5, got ${first}`);
      return (await ctx.loaders.featured.load(s.id)).slice(0, first);
    },
  },
  Product: {
    id: (p) => String(p.id),
    image: (p) => ({ url: p.image_url }),
    price: (p) => ({ amount: formatMoney(p.price_minor, p.currency), currencyCode: p.currency }),
  },
};

export async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

// serve runs start() in `workers` processes sharing one port (node:cluster),
// as one would deploy Node on a machine with that many cores; with 1, in this
// process. start(store, opts, metricsText) must listen on opts.host:opts.port
// and resolve to the server's address; metricsText() answers GET /metrics for
// all processes.

export async function serve(start) {
  const opts = options();
  const workers = opts.workers;
  if (workers <= 1) {
    const store = openStore(opts.db);
    logServing(await start(store, opts, async () => store.metrics()));
    return;
  }
  if (cluster.isPrimary) {
    let listening = 0;
    const pending = new Map(); // the asking worker's request id -> { got, worker }
    const all = [];
    for (let i = 0; i < workers; i++) all.push(cluster.fork());
    for (const w of all) {
      w.on('message', (m) => {
        if (m.type === 'listening' && ++listening === workers) logServing(m.address);
        if (m.type === 'metrics?') {
          const id = m.id;
          pending.set(id, { got: [], worker: w });
          for (const o of all) o.send({ type: 'counts?', id });
        }
        if (m.type === 'counts') {
          const p = pending.get(m.id);
          p.got.push(m.counts);
          if (p.got.length === workers) {
            pending.delete(m.id);
            const sum = new Map();
            for (const c of p.got) for (const [k, v] of c) sum.set(k, (sum.get(k) ?? 0) + v);
            let out = '# TYPE shop_db_queries_total counter\n';
            for (const [k, v] of sum) out += `shop_db_queries_total{query="${k}"} ${v}\n`;
            p.worker.send({ type: 'metrics', id: m.id, text: out });
          }
        }
      });
    }
    const stop = () => { for (const w of all) w.process.kill('SIGTERM'); process.exit(0); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  const store = openStore(opts.db);
  const waiting = new Map();
  let next = 0;
  process.on('message', (m) => {
    if (m.type === 'counts?') {
      const counts = [...parseCounts(store.metrics())];
      process.send({ type: 'counts', id: m.id, counts });
    }
    if (m.type === 'metrics') {
      waiting.get(m.id)?.(m.text);
      waiting.delete(m.id);
    }
  });
  const metricsText = () => new Promise((resolve) => {
    const id = `${process.pid}:${next++}`;
    waiting.set(id, resolve);
    process.send({ type: 'metrics?', id });
  });
  const address = await start(store, opts, metricsText);
  process.send({ type: 'listening', address });
}

function* parseCounts(text) {
  for (const line of text.split('\n')) {
    const m = /^shop_db_queries_total\{query="([^"]+)"\} (\d+)$/.exec(line);
    if (m) yield [m[1], Number(m[2])];
  }
}
