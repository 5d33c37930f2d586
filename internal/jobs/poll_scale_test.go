package jobs_test

import (
	"bufio"
	"cmp"
	"context"
	"flag"
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
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// The scale run's size. The defaults are a smoke run for `make check`; the
// figures in BENCHMARKS.md come from
//
//	CI=true go test -run TestSchedulerScale -v -timeout 15m ./internal/jobs/ \
//	    -scale-sources=10000 -scale-interval=60s -scale-duration=3m
//
// The node runs scaleWarmUp before the sources are added, so a run lasts
// that much longer than -scale-duration.
var (
	scaleSources  = flag.Int("scale-sources", 200, "TestSchedulerScale: sources on the fake upstream")
	scaleInterval = flag.Duration("scale-interval", 2*time.Second, "TestSchedulerScale: every source's poll interval")
	scaleDuration = flag.Duration("scale-duration", 8*time.Second, "TestSchedulerScale: how long to run once the sources are added; at least 2 intervals")
	scaleCold     = flag.Bool("scale-cold", false, "TestSchedulerScale: the sources are new, added at once to a running node and first answered in full; "+
		"without it, the node starts on sources polled before, due evenly over one interval, and every answer is a 304")
	scaleAdaptive = flag.Bool("scale-adaptive", false, "TestSchedulerScale: let quiet sources slow down (the default in production); off measures the full rate")
	scaleWorkers  = flag.Int("scale-poll-workers", 0, "TestSchedulerScale: poll workers; 0 for jobs.DefaultPollWorkers")
)

// scaleWarmUp is how long the node runs before the sources are added.
const scaleWarmUp = 5 * time.Second

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

// scaleUpstream answers a source's first request with a one-item RSS feed
// and an ETag, and every conditional request after with 304, as a quiet
// agency feed does. It measures each fetch's lag behind its due time.
type scaleUpstream struct {
	due *dueRecordingStore
	ids []int64 // by source index in the path

	mu                sync.Mutex
	firstLags, steady []time.Duration
	seen              map[int64]bool
	full, notModified atomic.Int64
}

func (u *scaleUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(p*float64(len(s))), len(s)-1)]
}

// processRSS is the resident set size from /proc (Linux); 0 elsewhere.
func processRSS() int64 {
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

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSchedulerScale runs one node on SQLite with many sources on one
// local fake upstream that answers 304 to conditional requests, and
// reports the schedule lag (due time to the fetch reaching the upstream),
// CPU and memory. Every piece is the production one: the store, River, the
// scan, the poller with its per-host limit, the fetch client.
func TestSchedulerScale(t *testing.T) {
	if *scaleDuration < 2**scaleInterval {
		t.Fatalf("-scale-duration %s is under two intervals of %s", *scaleDuration, *scaleInterval)
	}
	base := dbtest.SQLite(t)
	ctx := t.Context()
	due := &dueRecordingStore{Store: base}
	up := &scaleUpstream{due: due, seen: map[int64]bool{}}
	srv := httptest.NewServer(up)
	defer srv.Close()

	pipeline := ingest.NewPipeline(base, apply.New(base, nil, nil), nil, nil)
	poller, err := ingest.NewPoller(ingest.PollerConfig{
		Store: due, Fetcher: fetch.New(fetch.Config{Timeout: 10 * time.Second}), Pipeline: pipeline,
		FixedInterval: !*scaleAdaptive,
	})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.NewSQLite(base, jobs.Config{
		Logger:         slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
		Store:          base,
		Poll:           poller.Poll,
		ReleaseEmbargo: func(context.Context, int64) error { return nil },
		PollWorkers:    *scaleWorkers,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	var peakRSS atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampled sync.WaitGroup
	sampled.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			peakRSS.Store(max(peakRSS.Load(), processRSS()))
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
			}
		}
	})

	up.ids = make([]int64, *scaleSources)
	addSources := func(warmAt time.Time) {
		for i := range *scaleSources {
			first := ingest.FirstAttemptAt(time.Now(), *scaleInterval)
			if !warmAt.IsZero() {
				first = warmAt
			}
			src, err := base.UpsertSource(ctx, &store.UpsertSourceParams{
				Name: fmt.Sprintf("scale-%05d", i), URL: fmt.Sprintf("%s/s/%d", srv.URL, i), Agency: "Scale Wire",
				Interval: *scaleInterval, AllowPrivate: true, FirstAttemptAt: first,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !warmAt.IsZero() {
				// Polled before: the validator is known, and the next
				// attempts are spread over one interval as a running
				// node leaves them.
				next := warmAt.Add(time.Duration(rand.Int64N(int64(*scaleInterval))))
				if _, err := base.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: time.Now(), ETag: `"v1"`, NextAttemptAt: next}); err != nil {
					t.Fatal(err)
				}
			}
			up.mu.Lock()
			up.ids[i] = src.ID
			up.mu.Unlock()
		}
	}

	// The measured run starts once the node is up and its periodic scan
	// running (River staggers its start by a few seconds): the lag
	// measured is the scheduler's, not the start-up's. Cold, the sources
	// then arrive all at once, as from a config file; warm, they are in
	// the store before the node starts and come due from the start of the
	// run on.
	var (
		added    time.Duration
		runStart time.Time
	)
	if !*scaleCold {
		setup := time.Now()
		addSources(time.Now().Add(24 * time.Hour))
		added = time.Since(setup)
		// Re-spread from the start of the measured run, which comes once
		// this second pass (about as long as the first) is done and the
		// node has had its warm-up.
		start := time.Now().Add(2*added + scaleWarmUp)
		for _, id := range up.ids {
			next := start.Add(time.Duration(rand.Int64N(int64(*scaleInterval))))
			if _, err := base.RecordPoll(ctx, &store.RecordPollParams{SourceID: id, At: time.Now(), ETag: `"v1"`, NextAttemptAt: next}); err != nil {
				t.Fatal(err)
			}
		}
		runStart = start
	}
	stop := startRunner(t, runner)
	time.Sleep(max(time.Until(runStart), scaleWarmUp))
	cpu0, wall0 := cpuTime(), time.Now()
	if *scaleCold {
		addSources(time.Time{})
		added = time.Since(wall0)
	}
	time.Sleep(*scaleDuration - time.Since(wall0))
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stopSampling()
	sampled.Wait()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	up.mu.Lock()
	defer up.mu.Unlock()
	all := append(slices.Clone(up.firstLags), up.steady...)
	polls := len(all)
	t.Logf("%d sources (cold %v, added in %s), interval %s (adaptive %v), run %s, poll workers %d: %d polls (%.1f/s), %d full, %d not modified",
		*scaleSources, *scaleCold, added.Round(time.Millisecond), *scaleInterval, *scaleAdaptive, wall.Round(time.Second), cmp.Or(*scaleWorkers, jobs.DefaultPollWorkers),
		polls, float64(polls)/wall.Seconds(), up.full.Load(), up.notModified.Load())
	for _, row := range []struct {
		name string
		lags []time.Duration
	}{{"first polls", up.firstLags}, {"later polls", up.steady}, {"all polls", all}} {
		t.Logf("schedule lag, %-17s n=%-6d p50 %-8s p95 %-8s p99 %-8s max %s", row.name, len(row.lags),
			percentile(row.lags, .50).Round(time.Millisecond), percentile(row.lags, .95).Round(time.Millisecond),
			percentile(row.lags, .99).Round(time.Millisecond), percentile(row.lags, 1).Round(time.Millisecond))
	}
	t.Logf("CPU %.1fs over %.1fs wall (%.2f cores; test process, fake upstream included); peak RSS %d MiB; Go heap in use %d MiB, sys %d MiB",
		cpu.Seconds(), wall.Seconds(), cpu.Seconds()/wall.Seconds(), peakRSS.Load()>>20, ms.HeapInuse>>20, ms.Sys>>20)

	// Every source is polled, and again once per interval after its first.
	// The first may come a whole interval in; a wait runs from the start
	// of the last poll, so a period is the interval, up to a tenth longer
	// for the jitter, plus the lag (the lag itself is checked below).
	if len(up.seen) != *scaleSources {
		t.Errorf("%d of %d sources polled", len(up.seen), *scaleSources)
	}
	slack := percentile(all, 1) + 100*time.Millisecond
	perSource := float64(*scaleDuration-*scaleInterval-slack) / float64(*scaleInterval*11/10+slack)
	wantLater := int(float64(*scaleSources) * perSource)
	if !*scaleAdaptive && len(up.steady) < wantLater {
		t.Errorf("%d later polls, want at least %d", len(up.steady), wantLater)
	}
	if p95 := percentile(all, .95); p95 >= 5*time.Second {
		t.Errorf("p95 schedule lag %s, want under 5s", p95)
	}
}
