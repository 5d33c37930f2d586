package jobs_test

import (
	"flag"
	"log/slog"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/jobs/pollscale"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// The scale run's size. The defaults are a smoke run for `make check`,
// sized to what the node holds under the race detector on a busy 2-core
// machine: a poll costs about 25 ms of CPU there (1.5 ms without -race), so
// 200 sources every 2 s (100 polls/s) overran it, and the lag grew with
// the run's length instead of measuring the scheduler. 40 sources every
// 2 s is 20 polls/s, about half a core. The figures in BENCHMARKS.md come
// from `wiredesk bench --only scheduler`,
// which runs the same measurement (internal/jobs/pollscale), or from
//
//	CI=true go test -run TestSchedulerScale -v -timeout 15m ./internal/jobs/ \
//	    -scale-sources=10000 -scale-interval=60s -scale-duration=3m
//
// The node runs pollscale.DefaultWarmUp before the measured run, so a run
// lasts that much longer than -scale-duration.
var (
	scaleSources  = flag.Int("scale-sources", 40, "TestSchedulerScale: sources on the fake upstream")
	scaleInterval = flag.Duration("scale-interval", 2*time.Second, "TestSchedulerScale: every source's poll interval")
	scaleDuration = flag.Duration("scale-duration", 8*time.Second, "TestSchedulerScale: how long to run once the sources are added; at least 2 intervals")
	scaleCold     = flag.Bool("scale-cold", false, "TestSchedulerScale: the sources are new, added at once to a running node and first answered in full; "+
		"without it, the node starts on sources polled before, due evenly over one interval, and every answer is a 304")
	scaleAdaptive = flag.Bool("scale-adaptive", false, "TestSchedulerScale: let quiet sources slow down (the default in production); off measures the full rate")
	scaleWorkers  = flag.Int("scale-poll-workers", 0, "TestSchedulerScale: poll workers; 0 for jobs.DefaultPollWorkers")
)

// TestSchedulerScale runs one node on SQLite with many sources on one
// local fake upstream that answers 304 to conditional requests, and
// reports the schedule lag (due time to the fetch reaching the upstream),
// CPU and memory. Every piece is the production one: the store, River, the
// scan, the poller with its per-host limit, the fetch client.
func TestSchedulerScale(t *testing.T) {
	if *scaleDuration < 2**scaleInterval {
		t.Fatalf("-scale-duration %s is under two intervals of %s", *scaleDuration, *scaleInterval)
	}
	res, err := pollscale.Run(t.Context(), pollscale.Config{
		Store: dbtest.SQLite(t), Sources: *scaleSources, Interval: *scaleInterval, Duration: *scaleDuration,
		Cold: *scaleCold, Adaptive: *scaleAdaptive, PollWorkers: *scaleWorkers,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatal(err)
	}

	all := res.AllLags()
	workers := *scaleWorkers
	if workers == 0 {
		workers = jobs.DefaultPollWorkers
	}
	t.Logf("%d sources (cold %v, added in %s), interval %s (adaptive %v), run %s, poll workers %d: %d polls (%.1f/s), %d full, %d not modified",
		*scaleSources, *scaleCold, res.Added.Round(time.Millisecond), *scaleInterval, *scaleAdaptive, res.Wall.Round(time.Second), workers,
		len(all), float64(len(all))/res.Wall.Seconds(), res.Full, res.NotModified)
	for _, row := range []struct {
		name string
		lags []time.Duration
	}{{"first polls", res.FirstLags}, {"later polls", res.LaterLags}, {"all polls", all}} {
		t.Logf("schedule lag, %-17s n=%-6d p50 %-8s p95 %-8s p99 %-8s max %s", row.name, len(row.lags),
			pollscale.Percentile(row.lags, .50).Round(time.Millisecond), pollscale.Percentile(row.lags, .95).Round(time.Millisecond),
			pollscale.Percentile(row.lags, .99).Round(time.Millisecond), pollscale.Percentile(row.lags, 1).Round(time.Millisecond))
	}
	t.Logf("CPU %.1fs over %.1fs wall (%.2f cores; test process, fake upstream included); peak RSS %d MiB; Go heap in use %d MiB, sys %d MiB",
		res.CPU.Seconds(), res.Wall.Seconds(), res.CPU.Seconds()/res.Wall.Seconds(), res.PeakRSS>>20, res.HeapInuse>>20, res.Sys>>20)

	if res.SourcesPolled != *scaleSources {
		t.Errorf("%d of %d sources polled", res.SourcesPolled, *scaleSources)
	}
	if want := res.WantLaterPolls(); !*scaleAdaptive && len(res.LaterLags) < want {
		t.Errorf("%d later polls, want at least %d", len(res.LaterLags), want)
	}
	if p95 := pollscale.Percentile(all, .95); p95 >= 5*time.Second {
		t.Errorf("p95 schedule lag %s, want under 5s", p95)
	}
}
