package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are what an operator watches (Server.Metrics, Prometheus' text
// format): connections, answers, asks and their latencies, the upstream's
// errors, the store's writes, and the lag of answers followed through
// another instance. Each server has its own registry, with the Go
// runtime's and the process's collectors.
type metrics struct {
	reg            *prometheus.Registry
	connections    prometheus.Gauge
	streaming      prometheus.Gauge
	asks           *prometheus.CounterVec
	ackSeconds     prometheus.Histogram
	firstChunk     prometheus.Histogram
	upstreamErrors *prometheus.CounterVec
	storeWrite     *prometheus.HistogramVec
	fanoutLag      prometheus.Histogram
}

// latencyBuckets run from 1 ms to about 16 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmchat_connections", Help: "Open WebSocket connections.",
		}),
		streaming: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmchat_answers_streaming", Help: "Answers this instance is generating.",
		}),
		asks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmchat_asks_total", Help: "Questions asked, by result: answered (a new answer), joined (an answer the ask had started), refused (a limit, a bad ask), failed (the store).",
		}, []string{"result"}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmchat_ack_seconds", Help: "From reading an ask to acknowledging it (the question stored).", Buckets: latencyBuckets,
		}),
		firstChunk: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmchat_first_chunk_seconds", Help: "From reading an ask to the upstream's first text.", Buckets: latencyBuckets,
		}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmchat_upstream_errors_total", Help: "Answers the upstream failed, by error code.",
		}, []string{"code"}),
		storeWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wasmchat_store_write_seconds", Help: "Store writes: asks (a group of asks), save (the progress of the streaming answers), end (an answer's end).", Buckets: latencyBuckets,
		}, []string{"op"}),
		fanoutLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmchat_fanout_lag_seconds", Help: "From another instance's write of an answer's text to this instance's read of it, for answers followed here (several instances on one database).", Buckets: latencyBuckets,
		}),
	}
	m.reg.MustRegister(m.connections, m.streaming, m.asks, m.ackSeconds, m.firstChunk, m.upstreamErrors, m.storeWrite, m.fanoutLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// since observes the seconds since t in h.
func since(h prometheus.Observer, t time.Time) { h.Observe(time.Since(t).Seconds()) }

// Metrics serves the server's metrics in Prometheus' text format. It is
// not among the server's own routes: mount it where only operators reach
// it (wasmchat serve -metrics-addr, a listener of its own).
func (s *Server) Metrics() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}
