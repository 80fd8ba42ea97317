// Package model holds the GraphQL-only types of the Shop subgraph: the ones
// gqlgen generates from schema.graphqls and the small hand-written ones that
// carry what field resolvers need (internal keys). It holds no SQL.
package model
