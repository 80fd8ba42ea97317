// Package graph is the Shop subgraph's GraphQL layer: gqlgen's generated
// executor and federation code, and thin resolvers that turn arguments into
// loader or store calls.
package graph

import "github.com/shop-subgraph/shop/internal/store"

// Resolver is the dependency root of the resolvers.
type Resolver struct {
	Store *store.Store
}
