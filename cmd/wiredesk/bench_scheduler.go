package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/jobs/pollscale"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// benchScheduler runs the scheduler's scale measurement (the one
// TestSchedulerScale runs): one node on a fresh SQLite store with
// cfg.sources sources on a local fake upstream answering 304, polled every
// cfg.sourceInterval, for cfg.schedulerDuration.
func benchScheduler(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	mode := "warm: every source polled before, every answer 304"
	if cfg.schedulerCold {
		mode = "cold: the sources added at once to the running node, first answers full"
	}
	sec := &benchSection{
		title:  fmt.Sprintf("Scheduler: %d sources on one node (SQLite, %s interval)", cfg.sources, cfg.sourceInterval),
		header: []string{"case", "polls", "lag p50", "lag p95", "lag p99", "lag max", "CPU", "peak RSS", "Go heap"},
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	dir, err := os.MkdirTemp("", "wiredesk-bench-")
	if err != nil {
		return sec, err
	}
	defer os.RemoveAll(dir)
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "wiredesk.db"), Logger: logger})
	if err != nil {
		return sec, fmt.Errorf("open SQLite store: %w", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return sec, fmt.Errorf("migrate store: %w", err)
	}

	total := int(cfg.schedulerDuration / time.Second)
	fmt.Fprintf(env.stderr, "scheduler: adding %d sources, then a warm-up of at least %s\n", cfg.sources, pollscale.DefaultWarmUp)
	// The bar starts with the measured run, after the sources are added
	// and the warm-up, so that its rate and ETA are the run's.
	var bar *progress
	res, err := pollscale.Run(ctx, pollscale.Config{
		Store: s, Sources: cfg.sources, Interval: cfg.sourceInterval, Duration: cfg.schedulerDuration,
		Cold: cfg.schedulerCold, Logger: logger,
		Progress: func(elapsed, _ time.Duration) {
			if bar == nil {
				bar = newProgress(env.stderr, "scheduler: measured run, seconds", total)
				bar.start = time.Now().Add(-elapsed)
			}
			bar.update(int(elapsed / time.Second))
		},
	})
	if bar != nil {
		bar.done(total)
	}
	if err != nil {
		return sec, err
	}
	all := res.AllLags()
	lag := func(p float64) string { return pollscale.Percentile(all, p).Round(10 * time.Millisecond).String() }
	sec.rows = append(sec.rows, []string{
		mode,
		fmt.Sprintf("%d (%.0f/s)", len(all), float64(len(all))/res.Wall.Seconds()),
		lag(.50), "**" + lag(.95) + "**", lag(.99), lag(1),
		fmt.Sprintf("%.2f cores", res.CPU.Seconds()/res.Wall.Seconds()),
		fmt.Sprintf("%d MiB", res.PeakRSS>>20),
		fmt.Sprintf("%d MiB in use", res.HeapInuse>>20),
	})
	sec.notes = append(sec.notes,
		fmt.Sprintf("One node, SQLite, %d sources on one local fake upstream (in this process) that answers 304 to conditional GETs, "+
			"%s interval, fixed (not adaptive), a %s measured run after a warm-up of at least %s, %d poll workers; sources added in %s. "+
			"%d of %d sources polled; %d full answers, %d 304s. "+
			"Lag is the time from a source's due time to its request reaching the upstream; first polls p95 %s, later polls p95 %s. "+
			"CPU is this whole process (upstream included) over the run's wall time; peak RSS is sampled during the run. Target (issue 5): p95 under 5 s.",
			cfg.sources, cfg.sourceInterval, res.Wall.Round(time.Second), pollscale.DefaultWarmUp, jobs.DefaultPollWorkers, res.Added.Round(time.Millisecond),
			res.SourcesPolled, cfg.sources, res.Full, res.NotModified,
			pollscale.Percentile(res.FirstLags, .95).Round(10*time.Millisecond), pollscale.Percentile(res.LaterLags, .95).Round(10*time.Millisecond)))
	if res.SourcesPolled < cfg.sources {
		return sec, fmt.Errorf("only %d of %d sources were polled", res.SourcesPolled, cfg.sources)
	}
	return sec, nil
}
