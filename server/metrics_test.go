package server_test

import (
	"io"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

// metric returns the value of the metric line named name (with its labels,
// as printed) in the server's metrics, or -1.
func metric(t *testing.T, s *server.Server, name string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestMetrics: an answered question shows in the counters and histograms
// operators watch; the metrics are not served on the server's own routes.
func TestMetrics(t *testing.T) {
	up := &scripted{chunks: helloChunks}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	if n := metric(t, ts.Server, "wasmchat_connections"); n != 1 {
		t.Errorf("connections %v, want 1", n)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"})
	c.next()
	c.answer(0)
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"}) // sent again
	c.next()
	for name, want := range map[string]float64{
		`wasmchat_asks_total{result="answered"}`: 1,
		`wasmchat_asks_total{result="joined"}`:   1,
		`wasmchat_ack_seconds_count`:             2,
		`wasmchat_first_chunk_seconds_count`:     1,
	} {
		// The ack's latency is observed once it is sent, which may be
		// just after the client reads it.
		for deadline := time.Now().Add(5 * time.Second); metric(t, ts.Server, name) != want && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if got := metric(t, ts.Server, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{`wasmchat_store_write_seconds_count{op="asks"}`, `wasmchat_store_write_seconds_count{op="end"}`, "go_goroutines"} {
		if got := metric(t, ts.Server, name); got < 1 {
			t.Errorf("%s = %v, want some", name, got)
		}
	}
	res := get(t, ts.URL+"/metrics", nil)
	res.Body.Close()
	if res.StatusCode == 200 {
		t.Error("the metrics are served to anyone on the server's own address")
	}
}
