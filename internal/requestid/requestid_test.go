package requestid

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(NewLogHandler(slog.NewJSONHandler(&logs, nil)))
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "handled")
	}))
	for _, tt := range []struct {
		name, sent string
		kept       bool
	}{
		{"from the gateway", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"none sent", "", false},
		{"control characters", "abc\ndef", false},
		{"too long", strings.Repeat("a", 129), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest("GET", "/", nil)
			if tt.sent != "" {
				req.Header.Set(Header, tt.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(Header)
			if tt.kept && got != tt.sent {
				t.Errorf("echoed %q, want %q", got, tt.sent)
			}
			if !tt.kept && (got == "" || got == tt.sent) {
				t.Errorf("echoed %q, want a new id", got)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("log line lacks request_id %q: %s", got, logs.String())
			}
		})
	}
}
