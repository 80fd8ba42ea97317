// Package telemetrytest is a test's OTLP/HTTP traces endpoint, for the
// tests of packages that export spans as an operator configures them (the
// OTEL_* variables): the server's routes and the import commands.
package telemetrytest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver is an OTLP/HTTP traces endpoint: it decodes each export
// request's protobuf. Its URL is the OTEL_EXPORTER_OTLP_ENDPOINT to set.
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
}

// NewReceiver starts a Receiver, closed when t ends.
func NewReceiver(t *testing.T) *Receiver {
	r := &Receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("export to %s as %s, want /v1/traces as application/x-protobuf", req.URL.Path, req.Header.Get("Content-Type"))
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = gz
		}
		b, _ := io.ReadAll(body)
		var er collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &er); err != nil {
			t.Errorf("export request: %v", err)
		}
		r.mu.Lock()
		r.requests = append(r.requests, &er)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// Spans returns the names of the spans received in trace id, sorted, and
// the service.name of their resource.
func (r *Receiver) Spans(id trace.TraceID) (names []string, service string) {
	r.each(func(rs *tracepb.ResourceSpans, s *tracepb.Span) {
		if !bytes.Equal(s.TraceId, id[:]) {
			return
		}
		names = append(names, s.Name)
		for _, a := range rs.Resource.GetAttributes() {
			if a.Key == "service.name" {
				service = a.Value.GetStringValue()
			}
		}
	})
	slices.Sort(names)
	return names, service
}

// Traces returns the names of the spans received, by trace id (in hex).
func (r *Receiver) Traces() map[string][]string {
	traces := map[string][]string{}
	r.each(func(_ *tracepb.ResourceSpans, s *tracepb.Span) {
		id := fmt.Sprintf("%x", s.TraceId)
		traces[id] = append(traces[id], s.Name)
	})
	return traces
}

// each calls f with every span received so far, and its resource's spans.
func (r *Receiver) each(f func(*tracepb.ResourceSpans, *tracepb.Span)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, er := range r.requests {
		for _, rs := range er.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					f(rs, s)
				}
			}
		}
	}
}

// Count returns how many export requests have been received.
func (r *Receiver) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}
