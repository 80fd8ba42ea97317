// The e2e suite's test data: internal/graphtest/shops.jsonl, the subgraph's own
// test data in the import format (SPEC §3), and what the API must answer for
// it, worked out here from the file by SPEC §2's rules. Every expectation of
// the suite comes from the file, so editing the file cannot make the suite
// pass by accident.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHOPS_JSONL = fileURLToPath(new URL('../../internal/graphtest/shops.jsonl', import.meta.url));

/** The lines of the test data, one shop each. */
export const lines = readFileSync(SHOPS_JSONL, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

// Minor digits of the currencies the test data uses (ISO 4217). A currency
// missing here fails loudly rather than guessing.
const minorDigits = { USD: 2, EUR: 2, GBP: 2, JPY: 0, KWD: 3 };

/** money formats a decimal string as the API does: exactly the currency's minor digits. */
export function money(amount, currencyCode) {
  const digits = minorDigits[currencyCode];
  if (digits === undefined) throw new Error(`testdata: add ${currencyCode} to minorDigits`);
  const [whole, frac = ''] = amount.split('.');
  if (frac.length > digits) throw new Error(`testdata: ${amount} has more than ${digits} minor digits`);
  return digits === 0 ? whole : `${whole}.${frac.padEnd(digits, '0')}`;
}

const UNLISTED = new Set(['OUT_OF_STOCK', 'DISCONTINUED']);

/** product is what Product's fields (all but id, shop and timestamps) resolve to. */
export function product(p) {
  return {
    sku: p.sku,
    title: p.title,
    description: p.description ?? null,
    url: p.url,
    image: {
      url: p.image.url,
      altText: p.image.altText ?? null,
      width: p.image.width ?? null,
      height: p.image.height ?? null,
    },
    price: { amount: money(p.price, p.currency), currencyCode: p.currency },
    compareAtPrice: p.compareAtPrice ? { amount: money(p.compareAtPrice, p.currency), currencyCode: p.currency } : null,
    availability: p.availability ?? 'IN_STOCK',
    condition: p.condition ?? 'NEW',
    brand: p.brand ?? null,
  };
}

/** Selections of Shop and Product that match shop() and product() field for field. */
export const PRODUCT_FIELDS = `
  sku title description url
  image { url altText width height }
  price { amount currencyCode }
  compareAtPrice { amount currencyCode }
  availability condition brand`;

export const SHOP_FIELDS = `
  name description storeUrl status
  featuredProducts { ${PRODUCT_FIELDS} }
  products(first: 100) { totalCount nodes { ${PRODUCT_FIELDS} } }`;

/** shop is a shop's fields in SHOP_FIELDS' shape. */
export function shop(line) {
  const bySku = new Map(line.products.map((p) => [p.sku, p]));
  return {
    name: line.name,
    description: line.description ?? null,
    storeUrl: line.storeUrl,
    status: line.status ?? 'ACTIVE',
    // The carousel: featured products in order, purchasable ones only.
    featuredProducts: (line.featured ?? [])
      .map((sku) => bySku.get(sku))
      .filter((p) => !UNLISTED.has(p.availability))
      .map(product),
    products: { totalCount: line.products.length, nodes: line.products.map(product) },
  };
}

const byProfile = new Map(lines.map((l) => [l.profileId, l]));

/** profileShop is Profile.shop (and Tweet.shop of a tweet by profileId): the ACTIVE shop or null. */
export function profileShop(profileId) {
  const line = byProfile.get(profileId);
  return line && (line.status ?? 'ACTIVE') === 'ACTIVE' ? shop(line) : null;
}

/** lineOf returns the test data's line of a profile. */
export function lineOf(profileId) {
  const line = byProfile.get(profileId);
  if (!line) throw new Error(`testdata: no shop of profile ${profileId}`);
  return line;
}

/** productOf returns a product of the test data by SKU, with its shop's line. */
export function productOf(sku) {
  for (const line of lines) {
    const p = line.products.find((p) => p.sku === sku);
    if (p) return { line, product: p };
  }
  throw new Error(`testdata: no product ${sku}`);
}

/** A profile the social stand-in knows that has no shop in the test data. */
export const NO_SHOP_PROFILE = '2099';

/** Every profile the social stand-in knows: the test data's merchants and one without a shop. */
export const PROFILES = [...lines.map((l) => l.profileId), NO_SHOP_PROFILE];
