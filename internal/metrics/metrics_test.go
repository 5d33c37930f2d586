package metrics_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wiredesk/wiredesk/internal/metrics"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// The source collector reports what the store holds, on either backend.
func TestSourcesCollector(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		ok, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ok", URL: "https://a.example/", Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		bad, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "bad", URL: "https://b.example/", Interval: time.Minute, Paused: true,
			Auth: store.SourceAuth{Kind: "bearer", Secret: "tok3n"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: ok.ID, At: at, NextAttemptAt: at.Add(time.Minute), CurrentInterval: 2 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: bad.ID, At: at.Add(time.Duration(i) * time.Second), Err: "HTTP 500", NextAttemptAt: at.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		c := metrics.NewSources(s, nil)
		want := `
# HELP wiredesk_source_consecutive_failures Failed polls in a row of a source.
# TYPE wiredesk_source_consecutive_failures gauge
wiredesk_source_consecutive_failures{source="bad"} 3
wiredesk_source_consecutive_failures{source="ok"} 0
# HELP wiredesk_source_interval_seconds The adaptive interval a source is polled at now.
# TYPE wiredesk_source_interval_seconds gauge
wiredesk_source_interval_seconds{source="bad"} 60
wiredesk_source_interval_seconds{source="ok"} 120
# HELP wiredesk_source_last_success_timestamp_seconds Unix time of a source's last successful poll; absent before the first.
# TYPE wiredesk_source_last_success_timestamp_seconds gauge
wiredesk_source_last_success_timestamp_seconds{source="ok"} ` + strconv.FormatFloat(float64(at.Unix()), 'g', -1, 64) + `
# HELP wiredesk_source_paused 1 when a source is paused.
# TYPE wiredesk_source_paused gauge
wiredesk_source_paused{source="bad"} 1
wiredesk_source_paused{source="ok"} 0
# HELP wiredesk_source_state A source's health: 1 on the label of its state (new, healthy, degraded, failing), 0 on the others.
# TYPE wiredesk_source_state gauge
wiredesk_source_state{source="bad",state="degraded"} 0
wiredesk_source_state{source="bad",state="failing"} 1
wiredesk_source_state{source="bad",state="healthy"} 0
wiredesk_source_state{source="bad",state="new"} 0
wiredesk_source_state{source="ok",state="degraded"} 0
wiredesk_source_state{source="ok",state="failing"} 0
wiredesk_source_state{source="ok",state="healthy"} 1
wiredesk_source_state{source="ok",state="new"} 0
`
		names := []string{"wiredesk_source_consecutive_failures", "wiredesk_source_interval_seconds",
			"wiredesk_source_last_success_timestamp_seconds", "wiredesk_source_paused", "wiredesk_source_state"}
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
			t.Error(err)
		}
		if n := testutil.CollectAndCount(c, "wiredesk_source_items_last_day"); n != 2 {
			t.Errorf("items_last_day series = %d, want one per source", n)
		}
	})
}

func TestPollMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.NewPoll(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.ObservePoll("a", metrics.OutcomeOK, 20*time.Millisecond)
	m.ObservePoll("a", metrics.OutcomeNotModified, 5*time.Millisecond)
	m.ObserveLag(1500 * time.Millisecond)
	m.ObserveLag(-time.Second) // early: counted as no lag
	m.AddItems("a", 3)
	m.AddItems("a", 0)
	want := `
# HELP wiredesk_source_items_ingested_total Items a source's polls brought that were new or updated (created or updated stories).
# TYPE wiredesk_source_items_ingested_total counter
wiredesk_source_items_ingested_total{source="a"} 3
# HELP wiredesk_source_polls_total Polls of a source by this process, by outcome.
# TYPE wiredesk_source_polls_total counter
wiredesk_source_polls_total{outcome="not_modified",source="a"} 1
wiredesk_source_polls_total{outcome="ok",source="a"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wiredesk_source_items_ingested_total", "wiredesk_source_polls_total"); err != nil {
		t.Error(err)
	}
	lag := `
# HELP wiredesk_poll_schedule_lag_seconds Time from when a source was due to the start of its fetch.
# TYPE wiredesk_poll_schedule_lag_seconds histogram
wiredesk_poll_schedule_lag_seconds_bucket{le="0.05"} 1
wiredesk_poll_schedule_lag_seconds_bucket{le="0.1"} 1
wiredesk_poll_schedule_lag_seconds_bucket{le="0.25"} 1
wiredesk_poll_schedule_lag_seconds_bucket{le="0.5"} 1
wiredesk_poll_schedule_lag_seconds_bucket{le="1"} 1
wiredesk_poll_schedule_lag_seconds_bucket{le="2"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="5"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="10"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="30"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="60"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="300"} 2
wiredesk_poll_schedule_lag_seconds_bucket{le="+Inf"} 2
wiredesk_poll_schedule_lag_seconds_sum 1.5
wiredesk_poll_schedule_lag_seconds_count 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(lag), "wiredesk_poll_schedule_lag_seconds"); err != nil {
		t.Error(err)
	}
	// A nil *Poll is a no-op, so callers need not check.
	var none *metrics.Poll
	none.ObservePoll("a", metrics.OutcomeOK, time.Second)
	none.ObserveLag(time.Second)
	none.AddItems("a", 1)
	// Registering twice on one registry is refused, not a panic.
	if _, err := metrics.NewPoll(reg); err == nil {
		t.Error("second NewPoll on one registry: no error")
	}
}
