package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
)

// More sources are due than one scan transaction claims: the scan goes on
// batch after batch, and each source is polled once.
func TestScanClaimsInBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		const n = 260
		polls := newPollRecorder()
		polls.started = make(chan int64, n*2)
		polls.during = func(ctx context.Context, id int64) error { return postponeNextAttempt(ctx, s, id) }
		ids := map[int64]bool{}
		for i := range n {
			ids[addSource(t, s, fmt.Sprintf("s%03d", i), false).ID] = true
		}
		cfg := testConfig(t, s, polls.Poll)
		cfg.ScanBatch = 50
		cfg.Workers = 20
		startRunner(t, migratedRunner(t, s, cfg))
		deadline := time.After(waitFor)
		for seen := 0; seen < n; {
			select {
			case id := <-polls.started:
				if !ids[id] {
					t.Fatalf("poll of unknown source %d", id)
				}
				seen++
			case <-deadline:
				t.Fatalf("%d of %d sources polled within %s", seen, n, waitFor)
			}
		}
		time.Sleep(3 * testScanInterval)
		for id := range ids {
			if got := polls.callsFor(id); got != 1 {
				t.Errorf("source %d polled %d times, want 1", id, got)
			}
		}
	})
}

// hostBusy is what ingest.HostBusyError looks like to the runner.
type hostBusy struct{ wait time.Duration }

func (h *hostBusy) Error() string              { return "host busy" }
func (h *hostBusy) PollAgainIn() time.Duration { return h.wait }

// A poll that could not start because its host was busy is put back in
// the queue and runs again shortly, instead of being dropped as failed.
func TestPollAgainLaterIsRequeued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		polls := newPollRecorder()
		var refusals atomic.Int32
		polls.during = func(ctx context.Context, id int64) error {
			if refusals.Add(1) <= 2 {
				return fmt.Errorf("poll: %w", &hostBusy{wait: 100 * time.Millisecond})
			}
			return postponeNextAttempt(ctx, s, id)
		}
		src := addSource(t, s, "busy-host", false)
		startRunner(t, migratedRunner(t, s, testConfig(t, s, polls.Poll)))
		for range 3 {
			polls.waitStarted(t, src.ID)
		}
		time.Sleep(3 * testScanInterval)
		if got := polls.callsFor(src.ID); got != 3 {
			t.Errorf("polls = %d, want 3: two refused by a busy host, then one that ran", got)
		}
		if got := settledPollJob(t, s, src.ID); got.State != "completed" || got.Attempts != 1 {
			t.Errorf("poll job %s after %d attempts, want completed after 1 (a requeue is not an attempt)", got.State, got.Attempts)
		}
	})
}

// countingUpstream serves every source an RSS feed with a new item each
// time, so that each source stays at its configured interval, and keeps
// when each source was fetched.
type countingUpstream struct {
	mu    sync.Mutex
	times map[string][]time.Time
	n     atomic.Int64
}

func (u *countingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	u.mu.Lock()
	u.times[name] = append(u.times[name], time.Now())
	u.mu.Unlock()
	i := u.n.Add(1)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>%[1]s</title><link>https://wire.example/</link><description>d</description>`+
		`<item><guid isPermaLink="false">%[1]s-%[2]d</guid><title>Item %[2]d</title><description>Body %[2]d.</description></item></channel></rss>`, name, i)
}

// TestTwoNodesPollEachSourceOncePerInterval stands for two `wiredesk serve`
// processes on one PostgreSQL: two store handles on one schema, each with
// its own River client and poller, against one upstream. Between them,
// each source is fetched once per interval: never twice within one.
func TestTwoNodesPollEachSourceOncePerInterval(t *testing.T) {
	first := dbtest.Postgres(t)
	second, err := postgres.Open(t.Context(), postgres.Config{URL: dbtest.PostgresURL(), Schema: first.Schema()})
	if err != nil {
		t.Fatalf("open second store on schema %q: %v", first.Schema(), err)
	}
	t.Cleanup(func() { second.Close() })

	up := &countingUpstream{times: map[string][]time.Time{}}
	srv := httptest.NewServer(up)
	defer srv.Close()

	const (
		sources  = 12
		interval = time.Second
		run      = 6 * time.Second
	)
	for i := range sources {
		name := fmt.Sprintf("src%02d", i)
		if _, err := first.UpsertSource(t.Context(), &store.UpsertSourceParams{
			Name: name, URL: srv.URL + "/" + name, Agency: "Two Node Wire", Interval: interval, AllowPrivate: true,
		}); err != nil {
			t.Fatal(err)
		}
	}
	node := func(s store.Store) {
		pipeline := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
		poller, err := ingest.NewPoller(ingest.PollerConfig{Store: s, Fetcher: fetch.New(fetch.Config{Timeout: 5 * time.Second}), Pipeline: pipeline})
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, s, poller.Poll)
		cfg.Workers = 8
		startRunner(t, migratedRunner(t, s, cfg))
	}
	start := time.Now()
	node(first)
	node(second)
	time.Sleep(run)
	elapsed := time.Since(start)

	up.mu.Lock()
	defer up.mu.Unlock()
	// The wait after a poll is the interval less up to JitterPercent.
	minGap := interval * (100 - ingest.JitterPercent) / 100
	for i := range sources {
		name := fmt.Sprintf("src%02d", i)
		times := up.times[name]
		// At most one fetch per (jittered) interval, and no source left
		// behind: at least one per interval and a half, after a start
		// that River staggers by up to a few seconds.
		maxFetches := int(elapsed/minGap) + 1
		if len(times) > maxFetches || len(times) < 2 {
			t.Errorf("%s fetched %d times in %s, want between 2 and %d", name, len(times), elapsed.Round(time.Millisecond), maxFetches)
		}
		for j := 1; j < len(times); j++ {
			if gap := times[j].Sub(times[j-1]); gap < minGap-50*time.Millisecond {
				t.Errorf("%s fetched twice within %s (interval %s): double fetch", name, gap.Round(time.Millisecond), interval)
			}
		}
	}
	var per []string
	for i := range sources {
		name := fmt.Sprintf("src%02d", i)
		per = append(per, strconv.Itoa(len(up.times[name])))
	}
	slices.Sort(per)
	t.Logf("fetches per source over %s: %s", elapsed.Round(time.Millisecond), strings.Join(per, " "))
}
