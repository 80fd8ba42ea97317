package loaders

import (
	"context"
	"reflect"
	"testing"
)

// cachedZero and primeZero let the test reach any loader's cache whatever
// its key and value types.
type probe interface {
	primeZero(ctx context.Context)
	cachedZero(ctx context.Context) bool
}

func (l *Loader[K, V]) primeZero(ctx context.Context) {
	var k K
	var v V
	l.cache.Set(ctx, k, func() (V, error) { return v, nil })
}

func (l *Loader[K, V]) cachedZero(ctx context.Context) bool {
	var k K
	_, ok := l.cache.Get(ctx, k)
	return ok
}

// TestForgetClearsEveryLoader: every loader field of Loaders, found by
// reflection, is cleared by Forget. A loader added without going through
// newLoader (and so not registered) fails this test.
func TestForgetClearsEveryLoader(t *testing.T) {
	ctx := context.Background()
	l := New(nil, nil)
	v := reflect.ValueOf(l).Elem()
	probeType := reflect.TypeFor[probe]()
	var loaders []string
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() || !sf.Type.Implements(probeType) {
			continue
		}
		if f.IsNil() {
			t.Errorf("New leaves %s nil", sf.Name)
			continue
		}
		f.Interface().(probe).primeZero(ctx)
		loaders = append(loaders, sf.Name)
	}
	if len(loaders) < 7 {
		t.Fatalf("found loaders %v, want at least the 7 of this test's writing", loaders)
	}
	l.Forget()
	for _, name := range loaders {
		if v.FieldByName(name).Interface().(probe).cachedZero(ctx) {
			t.Errorf("Forget left %s's cache as it was", name)
		}
	}
}
