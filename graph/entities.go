package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shop-subgraph/shop/internal/loaders"
)

// loadByIDs resolves entity representations by id through l in one batch,
// in the order of ids. An id this subgraph never issued, an unknown id or a
// row convert hides gives nil with no error; a failed load fails its own item
// only (a graphql.BatchErrorList, which gqlgen reports at _entities.<index>).
func loadByIDs[V any, M any](ctx context.Context, ids []*string, l *loaders.Loader[int64, V], convert func(V) *M) ([]*M, error) {
	keys := make([]int64, 0, len(ids))
	at := make([]int, len(ids)) // index into keys, or -1
	for i, id := range ids {
		at[i] = -1
		if key, ok := parseID(*id); ok {
			at[i] = len(keys)
			keys = append(keys, key)
		}
	}
	rows, errs := l.LoadNow(ctx, keys)
	out := make([]*M, len(ids))
	var batchErrs graphql.BatchErrorList
	for i, k := range at {
		switch {
		case k < 0:
		case errs != nil && errs[k] != nil:
			if batchErrs == nil {
				batchErrs = make(graphql.BatchErrorList, len(ids))
			}
			batchErrs[i] = errs[k]
		default:
			out[i] = convert(rows[k])
		}
	}
	if batchErrs != nil {
		return out, batchErrs
	}
	return out, nil
}
