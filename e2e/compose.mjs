#!/usr/bin/env node
// Composes the shop subgraph's live `_service { sdl }` with the
// accounts/tweets stand-in (lib/social.graphql) using @apollo/composition,
// prints composition's hints, and writes supergraph.graphql at the
// repository root.
//
//   node compose.mjs                 build the subgraph from the tree ($SHOP_BIN if set), serve it, compose, write
//   node compose.mjs --url URL       compose with the subgraph serving GraphQL at URL instead
//   node compose.mjs --check         write nothing; exit 1 when supergraph.graphql is not current
//
// Exit status: 0 composed (and current, with --check); 1 composition errors
// or a stale file; 2 bad usage or the subgraph could not be reached.

import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

import { composeSupergraph, committedSupergraph, EXPLAINED_HINTS, hintKey, SUPERGRAPH_PATH } from './lib/compose.mjs';
import { serviceSDL, startShop } from './lib/shop.mjs';

let args;
try {
  args = parseArgs({ options: { url: { type: 'string' }, check: { type: 'boolean' } } }).values;
} catch (err) {
  console.error(`compose: ${err.message}\nusage: node compose.mjs [--url URL] [--check]`);
  process.exit(2);
}

let shop;
let sdl;
try {
  let url = args.url;
  if (!url) {
    shop = await startShop();
    url = shop.url;
  }
  sdl = await serviceSDL(url);
  console.log(`shop SDL: live _service { sdl } from ${url}`);
} catch (err) {
  console.error(`compose: ${err.message}`);
} finally {
  await shop?.stop();
}
if (sdl === undefined) process.exit(2);

const { supergraphSdl, errors, hints } = composeSupergraph(sdl);
for (const err of errors) console.error(`error ${err.extensions?.code ?? ''}: ${err.message}`);
for (const hint of hints) {
  const note = EXPLAINED_HINTS.includes(hintKey(hint)) ? ' (explained in docs/gateway.md)' : ' (NEW: read it, then fix it or explain it)';
  console.log(`hint ${hint.definition.code}${note}: ${hint.message}`);
}
console.log(`composition: ${errors.length} error(s), ${hints.length} hint(s)`);
if (errors.length > 0) process.exit(1);

const file = relative(process.cwd(), SUPERGRAPH_PATH);
if (args.check) {
  if (committedSupergraph() !== supergraphSdl) {
    console.error(`${file} is stale: run cd e2e && npm run compose, and commit it`);
    process.exit(1);
  }
  console.log(`${file} is current`);
} else {
  writeFileSync(SUPERGRAPH_PATH, supergraphSdl);
  console.log(`wrote ${file}`);
}
