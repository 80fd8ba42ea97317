// Package graph is the Shop subgraph's GraphQL layer: gqlgen's generated
// executor and federation code, thin resolvers that turn arguments into
// loader or store calls, and the fast path of _entities calls (Entities, a
// gqlgen extension: one prefetch an operation, the representations' check,
// the direct path and its writers generated from the schema). The HTTP
// edge, internal/gqlhttp, serves it.
package graph

import "github.com/shop-subgraph/shop/internal/store"

// Resolver is the dependency root of the resolvers.
type Resolver struct {
	Store *store.Store
}
