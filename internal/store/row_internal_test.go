package store

import (
	"database/sql/driver"
	"strings"
	"testing"
	"time"
)

// TestRow: a row reads the driver's values by column; NULL where a value is
// required, or a value of another type, is the statement's error, naming the
// first such column.
func TestRow(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := row{vals: []driver.Value{int64(7), "s", []byte("b"), at, nil}}
	if r.int64(0) != 7 || r.int(0) != 7 || r.str(1) != "s" || r.str(2) != "b" || !r.time(3).Equal(at) {
		t.Error("values read wrong")
	}
	if r.optStr(4) != nil || r.optInt(4) != nil || r.optInt64(4) != nil || *r.optStr(1) != "s" || *r.optInt64(0) != 7 {
		t.Error("optional values read wrong")
	}
	if r.err != nil {
		t.Fatalf("err %v", r.err)
	}
	r.str(4)   // NULL where a string is required
	r.int64(1) // and then a string for an integer
	if r.err == nil || !strings.Contains(r.err.Error(), "column 5: <nil> where a string was expected") {
		t.Errorf("err %v, want column 5's", r.err)
	}
}
