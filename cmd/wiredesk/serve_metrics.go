package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wiredesk/wiredesk/internal/metrics"
	"github.com/wiredesk/wiredesk/internal/store"
)

// serveMetrics is GET /metrics in Prometheus's text format: what this
// process measured of its polls, every source's health as the store has it
// (so every node reports the same), and the Go runtime and process. Its
// registry is its own, never Prometheus's global default.
type serveMetrics struct {
	reg  *prometheus.Registry
	poll *metrics.Poll
}

func newServeMetrics(s store.Store, logger *slog.Logger) (*serveMetrics, error) {
	reg := prometheus.NewRegistry()
	poll, err := metrics.NewPoll(reg)
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{
		metrics.NewSources(s, logger),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return &serveMetrics{reg: reg, poll: poll}, nil
}

func (m *serveMetrics) register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
