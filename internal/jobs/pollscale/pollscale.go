// Package pollscale measures the poll scheduler at scale: one node on SQLite
// with many sources on one local fake upstream that answers 304 to
// conditional requests, and the schedule lag, CPU and memory that gives.
// TestSchedulerScale and `wiredesk bench --only scheduler` both run it.
package pollscale

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// DefaultWarmUp is Config.WarmUp when unset.
const DefaultWarmUp = 5 * time.Second

// Config is one scale run. The zero value of each optional field means its
// default.
type Config struct {
	// Store is the node's store, migrated; River's tables are migrated by
	// Run. Required. Run adds its sources to it.
	Store *sqlite.Store
	// Sources is how many sources the fake upstream serves. Required.
	Sources int
	// Interval is every source's poll interval. Required.
	Interval time.Duration
	// Duration is how long the measured run lasts once the sources are
	// added; at least two intervals, so every source is polled again.
	Duration time.Duration
	// Cold: the sources are new, added at once to the running node and
	// first answered in full. Default false: the node starts on sources
	// polled before, due evenly over one interval, and every answer is a
	// 304.
	Cold bool
	// Adaptive lets quiet sources slow down (the default in production).
	// Default false: every source is polled at its interval, which
	// measures the full rate.
	Adaptive bool
	// PollWorkers is passed to the job runner. Default
	// jobs.DefaultPollWorkers.
	PollWorkers int
	// WarmUp is how long the node runs before the measured run starts, so
	// that River's staggered start is not counted as lag. Default
	// DefaultWarmUp.
	WarmUp time.Duration
	// Logger receives the runner's errors. Default: discarded.
	Logger *slog.Logger
	// Progress, when set, is called about once a second during the
	// measured run with the time gone and the run's length.
	Progress func(elapsed, total time.Duration)
}

func (c *Config) validate() error {
	var problems []string
	if c.Store == nil {
		problems = append(problems, "Store is required")
	}
	if c.Sources <= 0 {
		problems = append(problems, fmt.Sprintf("Sources %d is not positive", c.Sources))
	}
	if c.Interval <= 0 {
		problems = append(problems, fmt.Sprintf("Interval %s is not positive", c.Interval))
	}
	if c.Duration < 2*c.Interval {
		problems = append(problems, fmt.Sprintf("Duration %s is under two intervals of %s", c.Duration, c.Interval))
	}
	if c.PollWorkers < 0 || c.WarmUp < 0 {
		problems = append(problems, "PollWorkers and WarmUp must not be negative")
	}
	if len(problems) > 0 {
		return errors.New("pollscale config: " + strings.Join(problems, "; "))
	}
	return nil
}

// Result is what one run measured. Lags run from a poll's due time to its
// request reaching the upstream, sorted.
type Result struct {
	Config Config
	// Added is how long adding the sources took.
	Added time.Duration
	// Wall is the measured run's length; CPU is this whole process's CPU
	// time over it, the fake upstream included.
	Wall, CPU time.Duration
	// FirstLags are the lags of each source's first poll in the run,
	// LaterLags those of the polls after.
	FirstLags, LaterLags []time.Duration
	// SourcesPolled counts sources polled at least once.
	SourcesPolled int
	// Full and NotModified count the upstream's full and 304 answers.
	Full, NotModified int64
	// PeakRSS is the highest resident set sampled during the run, in
	// bytes (0 where /proc is not there).
	PeakRSS int64
	// HeapInuse and Sys are the Go runtime's figures at the end of the run.
	HeapInuse, Sys uint64
}

// AllLags is every poll's lag, sorted.
func (r *Result) AllLags() []time.Duration {
	all := append(slices.Clone(r.FirstLags), r.LaterLags...)
	slices.Sort(all)
	return all
}

// Percentile returns the p-th quantile (0 to 1) of sorted lags.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(p*float64(len(sorted))), len(sorted)-1)]
}

// WantLaterPolls is the fewest later polls a run with fixed intervals
// must see: every source polled again once per interval after its first.
// The first may come a whole interval in; a wait runs from the start of
// the last poll, so a period is the interval, up to a tenth longer for the
// jitter, plus the lag.
func (r *Result) WantLaterPolls() int {
	c := r.Config
	slack := Percentile(r.AllLags(), 1) + 100*time.Millisecond
	perSource := float64(c.Duration-c.Interval-slack) / float64(c.Interval*11/10+slack)
	return int(float64(c.Sources) * perSource)
}

// Run runs one node with the production pieces (the store, River, the
// scan, the poller with its per-host limit, the fetch client) against a
// fake upstream on loopback, and measures it. It returns when the run is
// over or ctx ends.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.WarmUp = cmp.Or(cfg.WarmUp, DefaultWarmUp)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	base := cfg.Store
	due := &dueRecordingStore{Store: base}
	up := &upstream{due: due, seen: map[int64]bool{}, ids: make([]int64, cfg.Sources)}
	srv := httptest.NewServer(up)
	defer srv.Close()

	pipeline := ingest.NewPipeline(base, apply.New(base, nil, nil), nil, nil)
	poller, err := ingest.NewPoller(ingest.PollerConfig{
		Store: due, Fetcher: fetch.New(fetch.Config{Timeout: 10 * time.Second}), Pipeline: pipeline,
		FixedInterval: !cfg.Adaptive,
	})
	if err != nil {
		return nil, err
	}
	runner, err := jobs.NewSQLite(base, jobs.Config{
		Logger:         cfg.Logger,
		Store:          base,
		Poll:           poller.Poll,
		ReleaseEmbargo: func(context.Context, int64) error { return nil },
		PollWorkers:    cfg.PollWorkers,
	})
	if err != nil {
		return nil, err
	}
	if err := runner.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}

	var peakRSS atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampled sync.WaitGroup
	sampled.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			peakRSS.Store(max(peakRSS.Load(), residentBytes()))
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
			}
		}
	})
	defer func() {
		stopSampling()
		sampled.Wait()
	}()

	addSources := func(warmAt time.Time) error {
		for i := range cfg.Sources {
			first := ingest.FirstAttemptAt(time.Now(), cfg.Interval)
			if !warmAt.IsZero() {
				first = warmAt
			}
			src, err := base.UpsertSource(ctx, &store.UpsertSourceParams{
				Name: fmt.Sprintf("scale-%05d", i), URL: fmt.Sprintf("%s/s/%d", srv.URL, i), Agency: "Scale Wire",
				Interval: cfg.Interval, AllowPrivate: true, FirstAttemptAt: first,
			})
			if err != nil {
				return fmt.Errorf("add source %d: %w", i, err)
			}
			if !warmAt.IsZero() {
				// Polled before: the validator is known, and the next
				// attempts are spread over one interval as a running
				// node leaves them.
				next := warmAt.Add(time.Duration(rand.Int64N(int64(cfg.Interval))))
				if _, err := base.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: time.Now(), ETag: `"v1"`, NextAttemptAt: next}); err != nil {
					return fmt.Errorf("warm source %d: %w", i, err)
				}
			}
			up.mu.Lock()
			up.ids[i] = src.ID
			up.mu.Unlock()
		}
		return nil
	}

	// The measured run starts once the node is up and its periodic scan
	// running (River staggers its start by a few seconds): the lag
	// measured is the scheduler's, not the start-up's. Cold, the sources
	// then arrive all at once, as from a config file; warm, they are in
	// the store before the node starts and come due from the start of the
	// run on.
	res := &Result{Config: cfg}
	var runStart time.Time
	if !cfg.Cold {
		setup := time.Now()
		if err := addSources(time.Now().Add(24 * time.Hour)); err != nil {
			return nil, err
		}
		res.Added = time.Since(setup)
		// Re-spread from the start of the measured run, which comes once
		// this second pass (about as long as the first) is done and the
		// node has had its warm-up.
		start := time.Now().Add(2*res.Added + cfg.WarmUp)
		for _, id := range up.ids {
			next := start.Add(time.Duration(rand.Int64N(int64(cfg.Interval))))
			if _, err := base.RecordPoll(ctx, &store.RecordPollParams{SourceID: id, At: time.Now(), ETag: `"v1"`, NextAttemptAt: next}); err != nil {
				return nil, fmt.Errorf("spread source %d: %w", id, err)
			}
		}
		runStart = start
	}

	runCtx, stopRunner := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- runner.Run(runCtx) }()
	// A runner that stops by itself ends the run at once, with its error.
	var stopped bool
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		stopRunner()
		return <-ran
	}
	sleep := func(d time.Duration, tick func()) error {
		end := time.Now().Add(d)
		for left := time.Until(end); left > 0; left = time.Until(end) {
			t := time.NewTimer(min(left, time.Second))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case err := <-ran:
				t.Stop()
				stopped = true
				return fmt.Errorf("job runner stopped during the run: %v", err)
			case <-t.C:
			}
			if tick != nil {
				tick()
			}
		}
		return nil
	}
	if err := sleep(max(time.Until(runStart), cfg.WarmUp), nil); err != nil {
		return nil, errors.Join(err, stop())
	}
	cpu0, wall0 := cpuTime(), time.Now()
	if cfg.Cold {
		if err := addSources(time.Time{}); err != nil {
			return nil, errors.Join(err, stop())
		}
		res.Added = time.Since(wall0)
	}
	progress := func() {
		if cfg.Progress != nil {
			cfg.Progress(time.Since(wall0), cfg.Duration)
		}
	}
	if err := sleep(cfg.Duration-time.Since(wall0), progress); err != nil {
		return nil, errors.Join(err, stop())
	}
	res.CPU, res.Wall = cpuTime()-cpu0, time.Since(wall0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuse, res.Sys = ms.HeapInuse, ms.Sys
	if err := stop(); err != nil {
		return nil, fmt.Errorf("job runner: %w", err)
	}
	res.PeakRSS = peakRSS.Load()

	up.mu.Lock()
	defer up.mu.Unlock()
	res.FirstLags, res.LaterLags = slices.Clone(up.firstLags), slices.Clone(up.steady)
	slices.Sort(res.FirstLags)
	slices.Sort(res.LaterLags)
	res.SourcesPolled = len(up.seen)
	res.Full, res.NotModified = up.full.Load(), up.notModified.Load()
	return res, nil
}

// dueRecordingStore notes, as each poll reads its source, when the poll was
// due: the start of its schedule lag.
type dueRecordingStore struct {
	store.Store
	due sync.Map // source id → time.Time
}

func (d *dueRecordingStore) GetSourceByID(ctx context.Context, id int64) (*store.Source, error) {
	src, err := d.Store.GetSourceByID(ctx, id)
	if err == nil && src.NextAttemptAt != nil {
		d.due.Store(id, *src.NextAttemptAt)
	}
	return src, err
}

// upstream answers a source's first request with a one-item RSS feed and
// an ETag, and every conditional request after with 304, as a quiet agency
// feed does. It measures each fetch's lag behind its due time.
type upstream struct {
	due *dueRecordingStore

	mu                sync.Mutex
	ids               []int64 // by source index in the path
	firstLags, steady []time.Duration
	seen              map[int64]bool
	full, notModified atomic.Int64
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/s/"))
	u.mu.Lock()
	if err != nil || i < 0 || i >= len(u.ids) || u.ids[i] == 0 {
		u.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	id := u.ids[i]
	u.mu.Unlock()
	if due, ok := u.due.due.Load(id); ok {
		lag := max(arrived.Sub(due.(time.Time)), 0)
		u.mu.Lock()
		if u.seen[id] {
			u.steady = append(u.steady, lag)
		} else {
			u.firstLags = append(u.firstLags, lag)
			u.seen[id] = true
		}
		u.mu.Unlock()
	}
	w.Header().Set("ETag", `"v1"`)
	if r.Header.Get("If-None-Match") == `"v1"` {
		u.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	u.full.Add(1)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Scale %[1]d</title><link>https://wire.example/</link><description>d</description>`+
		`<item><guid isPermaLink="false">scale-%[1]d</guid><title>Scale item %[1]d</title><description>Body %[1]d.</description></item></channel></rss>`, i)
}

// residentBytes is the resident set size from /proc (Linux); 0 elsewhere.
func residentBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
