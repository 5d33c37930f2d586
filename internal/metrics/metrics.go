// Package metrics holds wiredesk's Prometheus collectors. The registry is
// made by main and handed in: nothing registers with the global default.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wiredesk/wiredesk/internal/store"
)

// Poll outcomes, the outcome label of the poll duration.
const (
	OutcomeOK          = "ok"
	OutcomeNotModified = "not_modified"
	OutcomeError       = "error"
)

// Poll is what this process measured of its polls. Its methods are safe
// for concurrent use and do nothing on a nil *Poll.
type Poll struct {
	duration *prometheus.HistogramVec
	lag      prometheus.Histogram
	items    *prometheus.CounterVec
	polls    *prometheus.CounterVec
}

// NewPoll registers the poll metrics with reg.
func NewPoll(reg prometheus.Registerer) (*Poll, error) {
	m := &Poll{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wiredesk_poll_duration_seconds",
			Help:    "Time from the start of a source's fetch to its outcome being recorded, archive and apply included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wiredesk_poll_schedule_lag_seconds",
			Help:    "Time from when a source was due to the start of its fetch.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
		}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wiredesk_source_items_ingested_total",
			Help: "Items a source's polls brought that were new or updated (created or updated stories).",
		}, []string{"source"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wiredesk_source_polls_total",
			Help: "Polls of a source by this process, by outcome.",
		}, []string{"source", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.lag, m.items, m.polls} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register poll metrics: %w", err)
		}
	}
	return m, nil
}

// ObservePoll records one poll of source: its outcome and duration.
func (m *Poll) ObservePoll(source, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(outcome).Observe(d.Seconds())
	m.polls.WithLabelValues(source, outcome).Inc()
}

// ObserveLag records how late a poll's fetch started after it was due.
func (m *Poll) ObserveLag(d time.Duration) {
	if m == nil {
		return
	}
	m.lag.Observe(max(d, 0).Seconds())
}

// AddItems counts new or updated items from source.
func (m *Poll) AddItems(source string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.items.WithLabelValues(source).Add(float64(n))
}

// Sources exports every source's health as the store has it, read at each
// scrape: every node reports the same, whichever polled, and a restart
// loses nothing.
type Sources struct {
	store   store.Store
	logger  *slog.Logger
	timeout time.Duration
	now     func() time.Time

	state, lastSuccess, failures, nextAttempt, interval, itemsDay, paused *prometheus.Desc
}

// NewSources returns the collector; register it with the registry.
func NewSources(s store.Store, logger *slog.Logger) *Sources {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	src := []string{"source"}
	return &Sources{
		store: s, logger: logger, timeout: 10 * time.Second, now: time.Now,
		state: prometheus.NewDesc("wiredesk_source_state",
			"A source's health: 1 on the label of its state (new, healthy, degraded, failing), 0 on the others.",
			[]string{"source", "state"}, nil),
		lastSuccess: prometheus.NewDesc("wiredesk_source_last_success_timestamp_seconds",
			"Unix time of a source's last successful poll; absent before the first.", src, nil),
		failures: prometheus.NewDesc("wiredesk_source_consecutive_failures",
			"Failed polls in a row of a source.", src, nil),
		nextAttempt: prometheus.NewDesc("wiredesk_source_next_attempt_timestamp_seconds",
			"Unix time a source is next due; absent before the first poll.", src, nil),
		interval: prometheus.NewDesc("wiredesk_source_interval_seconds",
			"The adaptive interval a source is polled at now.", src, nil),
		itemsDay: prometheus.NewDesc("wiredesk_source_items_last_day",
			"Story versions stored from a source's deliveries over the last 24 hours.", src, nil),
		paused: prometheus.NewDesc("wiredesk_source_paused",
			"1 when a source is paused.", src, nil),
	}
}

var states = []store.SourceState{store.SourceNew, store.SourceHealthy, store.SourceDegraded, store.SourceFailing}

// Describe implements prometheus.Collector.
func (c *Sources) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.lastSuccess, c.failures, c.nextAttempt, c.interval, c.itemsDay, c.paused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Prometheus gives it no context,
// so the store reads are bounded by a timeout of their own.
func (c *Sources) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	srcs, err := c.store.ListSources(ctx)
	if err != nil {
		c.logger.ErrorContext(ctx, "collect source metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(c.state, fmt.Errorf("list sources: %w", err))
		return
	}
	counts, err := c.store.CountSourceItems(ctx, &store.CountSourceItemsParams{Since: c.now().Add(-24 * time.Hour)})
	if err != nil {
		c.logger.ErrorContext(ctx, "collect source metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(c.itemsDay, fmt.Errorf("count source items: %w", err))
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range srcs {
		for _, st := range states {
			v := 0.0
			if s.State == st {
				v = 1
			}
			gauge(c.state, v, s.Name, string(st))
		}
		if s.LastSuccessAt != nil {
			gauge(c.lastSuccess, float64(s.LastSuccessAt.UnixMilli())/1000, s.Name)
		}
		gauge(c.failures, float64(s.ConsecutiveFailures), s.Name)
		if s.NextAttemptAt != nil {
			gauge(c.nextAttempt, float64(s.NextAttemptAt.UnixMilli())/1000, s.Name)
		}
		iv := s.CurrentInterval
		if iv <= 0 {
			iv = s.Interval
		}
		gauge(c.interval, iv.Seconds(), s.Name)
		gauge(c.itemsDay, float64(counts[s.ID]), s.Name)
		p := 0.0
		if s.Paused {
			p = 1
		}
		gauge(c.paused, p, s.Name)
	}
}
