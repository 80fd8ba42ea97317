package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// phase is what one load phase measured.
type phase struct {
	Requests   uint64        `json:"requests"`
	Errors     uint64        `json:"errors"`
	Throughput float64       `json:"throughput_rps"` // successful requests a second
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	Statements float64       `json:"statements_per_request"`
	CPU        time.Duration `json:"server_cpu_per_request_ns"`
	FirstError string        `json:"first_error,omitempty"`
}

// targeter rotates through the pre-generated bodies.
func targeter(url string, bodies [][]byte) vegeta.Targeter {
	var n atomic.Uint64
	hdr := http.Header{"Content-Type": {"application/json"}}
	return func(t *vegeta.Target) error {
		i := n.Add(1) - 1
		t.Method = http.MethodPost
		t.URL = url
		t.Body = bodies[i%uint64(len(bodies))]
		t.Header = hdr
		return nil
	}
}

// attack runs one phase against s: rate 0 is as fast as conc workers go
// (closed loop); otherwise an open loop at rate requests a second. It counts
// as an error any transport error, any status but 200 and any GraphQL error.
func attack(ctx context.Context, s *server, bodies [][]byte, rate int, conc uint64, d time.Duration) phase {
	url := "http://" + s.addr + "/query"
	opts := []func(*vegeta.Attacker){
		vegeta.Workers(conc), vegeta.Connections(int(conc) * 4), vegeta.KeepAlive(true),
		vegeta.Timeout(30 * time.Second), vegeta.HTTP2(false),
	}
	if rate == 0 {
		opts = append(opts, vegeta.MaxWorkers(conc))
	}
	atk := vegeta.NewAttacker(opts...)
	stmts0, cpu0 := statements(s), s.cpuTime()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-done:
		}
	}()
	var m vegeta.Metrics
	var p phase
	for res := range atk.Attack(targeter(url, bodies), vegeta.Rate{Freq: rate, Per: time.Second}, d, "") {
		bad := res.Error != "" || res.Code != http.StatusOK || bytes.Contains(res.Body, []byte(`"errors":`))
		if bad {
			p.Errors++
			if p.FirstError == "" {
				p.FirstError = firstError(res)
			}
		}
		res.Body = nil
		m.Add(res)
	}
	m.Close()
	stmts1, cpu1 := statements(s), s.cpuTime()
	p.Requests = m.Requests
	// vegeta counts any 2xx or 3xx as a success; a GraphQL error is not.
	if secs := (m.Duration + m.Wait).Seconds(); secs > 0 {
		p.Throughput = float64(m.Requests-p.Errors) / secs
	}
	p.P50, p.P99 = m.Latencies.P50, m.Latencies.P99
	if m.Requests > 0 {
		p.Statements = (stmts1 - stmts0) / float64(m.Requests)
		p.CPU = (cpu1 - cpu0) / time.Duration(m.Requests)
	}
	return p
}

func firstError(res *vegeta.Result) string {
	s := fmt.Sprintf("status %d %s %s", res.Code, res.Error, res.Body)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// statements sums shop_db_queries_total over its labels, from /metrics.
func statements(s *server) float64 {
	res, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		return 0
	}
	var n float64
	for _, m := range families["shop_db_queries_total"].GetMetric() {
		n += m.GetCounter().GetValue()
	}
	return n
}

// answer posts body once and returns the response as canonical JSON (object
// keys sorted), so that answers of different servers compare byte for byte.
func answer(s *server, body []byte) ([]byte, error) {
	res, err := http.Post("http://"+s.addr+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.300s", res.StatusCode, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: %.300s", err, b)
	}
	// The answer is the data and errors: the subgraph's extensions (cache
	// tags for gateways) are its own, which the floors and Node servers
	// do not write.
	delete(v, "extensions")
	return json.Marshal(v)
}
