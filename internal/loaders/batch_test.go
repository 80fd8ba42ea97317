package loaders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type row struct{ Shop, N int64 }

// TestGroupByShop: each key gets its rows in order, together or not, an
// empty non-nil list when it has none; a list never reaches into the rows
// of another: appending to one leaves the next shop's rows as they were.
func TestGroupByShop(t *testing.T) {
	rows := []row{{1, 1}, {1, 2}, {2, 1}, {3, 1}, {3, 2}, {3, 3}, {1, 3}}
	res := groupByShop([]int64{3, 4, 1, 2}, rows, func(r *row) int64 { return r.Shop })
	want := [][]row{{{3, 1}, {3, 2}, {3, 3}}, {}, {{1, 1}, {1, 2}, {1, 3}}, {{2, 1}}}
	var got [][]row
	for _, r := range res {
		if r.Error != nil || r.Data == nil {
			t.Fatalf("result %+v", r)
		}
		got = append(got, r.Data)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	_ = append(res[3].Data, row{9, 9}) // shop 2's list sits before shop 3's rows
	if rows[3] != (row{3, 1}) {
		t.Errorf("appending to shop 2's list overwrote shop 3's first row: %+v", rows[3])
	}
}
