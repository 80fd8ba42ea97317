package graphtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Error is a GraphQL error as the handler writes it.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a GraphQL response as the handler writes it.
type Response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []Error         `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

// Post sends a GraphQL request and returns the response and how many SQL
// statements it ran, read from shop_db_queries_total.
func (s *Server) Post(t testing.TB, query string, vars map[string]any) (Response, int) {
	t.Helper()
	return s.PostHeaders(t, nil, query, vars)
}

// PostHeaders is Post with request headers.
func (s *Server) PostHeaders(t testing.TB, headers map[string]string, query string, vars map[string]any) (Response, int) {
	t.Helper()
	before := s.Metrics.DBQueries()
	r, err := PostTo(s.URL, headers, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r, int(s.Metrics.DBQueries() - before)
}

// PostTo sends a GraphQL request with headers to url; a status other than
// 200 is an error. It does not end the test, so goroutines may call it.
func PostTo(url string, headers map[string]string, query string, vars map[string]any) (Response, error) {
	res, err := send(url, headers, query, vars)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	var r Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return Response{}, fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		return r, fmt.Errorf("status %d, want 200: %+v", res.StatusCode, r.Errors)
	}
	return r, nil
}

// PostRaw posts a request that must answer 200 and returns the response
// body as sent, the statements it ran and the response's headers.
func (s *Server) PostRaw(t testing.TB, headers map[string]string, query string, vars map[string]any) ([]byte, int, http.Header) {
	t.Helper()
	before := s.Metrics.DBQueries()
	res, err := send(s.URL, headers, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v: %s", res.StatusCode, err, out)
	}
	return out, int(s.Metrics.DBQueries() - before), res.Header
}

// send POSTs a GraphQL request as JSON, with headers.
func send(url string, headers map[string]string, query string, vars map[string]any) (*http.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return http.DefaultClient.Do(req)
}

// Data posts a query that must succeed and decodes its data into out.
func (s *Server) Data(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	r, _ := s.Post(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

// WantError posts a query that must fail with exactly one error of code.
func (s *Server) WantError(t testing.TB, query string, vars map[string]any, code string) Error {
	t.Helper()
	r, _ := s.Post(t, query, vars)
	if len(r.Errors) != 1 {
		t.Fatalf("got errors %+v, want one %s", r.Errors, code)
	}
	if got := r.Errors[0].Extensions["code"]; got != code {
		t.Fatalf("got code %v (%q), want %s", got, r.Errors[0].Message, code)
	}
	return r.Errors[0]
}

// WithinBudget posts a query that must succeed in at most max statements.
func (s *Server) WithinBudget(t testing.TB, query string, vars map[string]any, max int, why string) {
	t.Helper()
	r, stmts := s.Post(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if stmts > max {
		t.Errorf("%d statements, want at most %d%s", stmts, max, why)
	}
}
