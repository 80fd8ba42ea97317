package gqlhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/store"
)

func TestPresentError(t *testing.T) {
	var logs bytes.Buffer
	present := presentError(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("shop"))
	tests := []struct {
		err      error
		code     string
		message  string
		detailed bool // the detail is logged
	}{
		{errcode.BadInput("first must be between 1 and 5, got 9"), errcode.BadUserInput, "first must be between 1 and 5, got 9", false},
		{fmt.Errorf("shop 3: %w", store.ErrNotFound), errcode.NotFound, "not found", false},
		{errors.New("sql: connection refused at 10.0.0.7"), errcode.Internal, "internal error", true},
		{fmt.Errorf("shops by ids: %w", context.DeadlineExceeded), errcode.Internal, "request timed out", true},
	}
	for _, tt := range tests {
		logs.Reset()
		got := present(ctx, tt.err)
		if got.Message != tt.message || got.Extensions["code"] != tt.code {
			t.Errorf("%v: got %q %v, want %q %s", tt.err, got.Message, got.Extensions["code"], tt.message, tt.code)
		}
		if got.Path.String() != "shop" {
			t.Errorf("%v: path %v, want shop", tt.err, got.Path)
		}
		if logged := strings.Contains(logs.String(), tt.err.Error()); logged != tt.detailed {
			t.Errorf("%v: logged %v, want %v (log: %s)", tt.err, logged, tt.detailed, logs.String())
		}
	}
}

func TestRecoverPanic(t *testing.T) {
	var logs bytes.Buffer
	err := recoverPanic(slog.New(slog.NewTextHandler(&logs, nil)))(context.Background(), "boom")
	got := presentError(slog.New(slog.DiscardHandler))(context.Background(), err)
	if got.Message != "internal error" || got.Extensions["code"] != errcode.Internal {
		t.Errorf("panic shown as %q %v", got.Message, got.Extensions)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "stack") {
		t.Errorf("panic not logged with its stack: %s", logs.String())
	}
}
