// A stand-in for the platform's accounts and tweets subgraphs, built with
// @apollo/subgraph: it owns Profile and Tweet { author: Profile! } and points
// at the shop subgraph's Product from Tweet.pinnedProduct. Its data lives in
// memory and the tests set it.

import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

import { PROFILES } from './testdata.mjs';

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

export const SOCIAL_SDL = readFileSync(new URL('./social.graphql', import.meta.url), 'utf8');

/** handle is the @-handle the stand-in gives a profile id. */
export const handle = (id) => `user${id}`;

/** The authors of a generated timeline, in turn: merchants, DRAFT and shopless profiles alike. */
export const AUTHORS = ['2001', '2002', '2099', '2003', '2004', '2005'];

/**
 * startSocial serves the stand-in on 127.0.0.1 at a free port. setTimeline
 * replaces the tweets: t1…tN, newest first, by AUTHORS in turn, each pinning
 * pins[tweetId] (a Product id) when given.
 *
 * With cacheMaxAge (seconds), every field of the stand-in is cacheable for
 * that long, public, and its responses say so in Cache-Control, as the real
 * accounts and tweets subgraphs would: a caching gateway stores an answer
 * only when every subgraph it asked allowed it. Without it, Apollo Server's
 * default holds (no hints: responses are no-store).
 */
export async function startSocial({ cacheMaxAge } = {}) {
  const profiles = new Map(PROFILES.map((id) => [id, { id, handle: handle(id) }]));
  let tweets = [];
  const tweetByID = () => new Map(tweets.map((t) => [t.id, t]));

  const resolvers = {
    Query: {
      profile: (_, { id }) => profiles.get(id) ?? null,
      timeline: (_, { first }) => tweets.slice(0, first),
    },
    Profile: {
      __resolveReference: ({ id }) => profiles.get(id) ?? null,
    },
    Tweet: {
      __resolveReference: ({ id }) => tweetByID().get(id) ?? null,
      author: (t) => profiles.get(t.authorId),
      pinnedProduct: (t) => (t.pinnedProductId ? { __typename: 'Product', id: t.pinnedProductId } : null),
    },
  };
  // Apollo Server adds inline tracing (ftv1) to a subgraph by itself.
  const plugins = cacheMaxAge === undefined ? [] : [ApolloServerPluginCacheControl({ defaultMaxAge: cacheMaxAge })];
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(SOCIAL_SDL), resolvers }), logger: quiet, plugins });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url,
    setTimeline(n, pins = {}) {
      tweets = Array.from({ length: n }, (_, i) => {
        const id = `t${i + 1}`;
        return { id, text: `tweet ${i + 1}`, authorId: AUTHORS[i % AUTHORS.length], pinnedProductId: pins[id] ?? null };
      });
      return tweets.map((t) => ({ ...t }));
    },
    stop: () => server.stop(),
  };
}
