package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// Short intervals keep the tests quick; River's startup still staggers its
// maintenance services (the periodic enqueuer among them) by up to a second.
const (
	testScanInterval  = 100 * time.Millisecond
	testFetchInterval = 50 * time.Millisecond
	// waitFor bounds every "eventually" in these tests.
	waitFor = 10 * time.Second
)

// pollRecorder is a Poll func that records every call, and how many polls
// of one source ran at once.
type pollRecorder struct {
	// during, when set, runs inside each poll; it stands for the fetch.
	during func(ctx context.Context, sourceID int64) error

	mu         sync.Mutex
	calls      []int64
	running    map[int64]int
	maxRunning int
	started    chan int64
}

func newPollRecorder() *pollRecorder {
	return &pollRecorder{running: map[int64]int{}, started: make(chan int64, 100)}
}

func (p *pollRecorder) Poll(ctx context.Context, sourceID int64) error {
	p.mu.Lock()
	p.calls = append(p.calls, sourceID)
	p.running[sourceID]++
	p.maxRunning = max(p.maxRunning, p.running[sourceID])
	p.mu.Unlock()
	p.started <- sourceID
	defer func() {
		p.mu.Lock()
		p.running[sourceID]--
		p.mu.Unlock()
	}()
	if p.during != nil {
		return p.during(ctx, sourceID)
	}
	return nil
}

// callsFor counts the polls of one source so far.
func (p *pollRecorder) callsFor(sourceID int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, id := range p.calls {
		if id == sourceID {
			n++
		}
	}
	return n
}

func (p *pollRecorder) maxConcurrent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxRunning
}

// waitStarted waits for a poll of sourceID to start.
func (p *pollRecorder) waitStarted(t *testing.T, sourceID int64) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case id := <-p.started:
			if id == sourceID {
				return
			}
		case <-deadline:
			t.Fatalf("source %d was not polled within %s", sourceID, waitFor)
		}
	}
}

// testConfig is a Config with short intervals, quiet logs and poll as Poll.
func testConfig(t *testing.T, s store.Store, poll func(context.Context, int64) error) jobs.Config {
	return jobs.Config{
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Store:             s,
		Poll:              poll,
		ReleaseEmbargo:    func(context.Context, int64) error { return nil },
		ScanInterval:      testScanInterval,
		FetchPollInterval: testFetchInterval,
		StopTimeout:       2 * time.Second,
	}
}

// newRunner builds the Runner for whichever backend s is.
func newRunner(t *testing.T, s store.Store, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	var (
		r   *jobs.Runner
		err error
	)
	switch s := s.(type) {
	case *sqlite.Store:
		r, err = jobs.NewSQLite(s, cfg)
	case *postgres.Store:
		r, err = jobs.NewPostgres(s, cfg)
	default:
		t.Fatalf("no job runner for store %T", s)
	}
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	return r
}

// migratedRunner is newRunner with River's tables migrated.
func migratedRunner(t *testing.T, s store.Store, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	r := newRunner(t, s, cfg)
	if err := r.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return r
}

// startRunner runs r until the test ends (or until the returned stop is
// called), failing the test unless Run returns nil.
func startRunner(t *testing.T, r *jobs.Runner) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(waitFor):
				runErr = fmt.Errorf("Run did not return within %s of cancel", waitFor)
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return stop
}

func addSource(t *testing.T, s store.Store, name string, paused bool) *store.Source {
	t.Helper()
	src, err := s.UpsertSource(t.Context(), &store.UpsertSourceParams{
		Name:     name,
		URL:      "https://wire.example/" + name + ".xml",
		Agency:   "Example Press",
		Interval: time.Minute,
		Paused:   paused,
	})
	if err != nil {
		t.Fatalf("add source %s: %v", name, err)
	}
	return src
}

// postponeNextAttempt records a successful poll whose next attempt is far
// off, as the real poller would, so the scan stops finding the source due.
func postponeNextAttempt(ctx context.Context, s store.Store, sourceID int64) error {
	now := time.Now()
	_, err := s.RecordPoll(ctx, &store.RecordPollParams{
		SourceID:      sourceID,
		At:            now,
		NextAttemptAt: now.Add(time.Hour),
	})
	return err
}

func TestRunnerPollsDueSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		polls := newPollRecorder()
		src := addSource(t, s, "due", false)
		startRunner(t, migratedRunner(t, s, testConfig(t, s, polls.Poll)))

		polls.waitStarted(t, src.ID)
	})
}

func TestRunnerSkipsPausedSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		polls := newPollRecorder()
		polls.during = func(ctx context.Context, id int64) error { return postponeNextAttempt(ctx, s, id) }
		paused := addSource(t, s, "paused", true)
		due := addSource(t, s, "due", false)
		startRunner(t, migratedRunner(t, s, testConfig(t, s, polls.Poll)))

		// Once the due source has been polled, scans are running; a few more
		// of them give the paused source every chance to be wrongly polled.
		polls.waitStarted(t, due.ID)
		time.Sleep(5 * testScanInterval)

		if got := polls.callsFor(paused.ID); got != 0 {
			t.Errorf("paused source polled %d times, want 0", got)
		}
	})
}

// lockedBuffer collects log lines written from River's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestManyDueSourcesPolledOnceEach has every poll write to the store while
// River works, the load under which SQLite's one writer connection could
// show SQLITE_BUSY or a stall: any warning or error logged fails the test.
func TestManyDueSourcesPolledOnceEach(t *testing.T) {
	const sources = 25
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		warnings := &lockedBuffer{}
		polls := newPollRecorder()
		polls.during = func(ctx context.Context, id int64) error { return postponeNextAttempt(ctx, s, id) }
		var ids []int64
		for i := range sources {
			ids = append(ids, addSource(t, s, fmt.Sprintf("feed%02d", i), false).ID)
		}
		cfg := testConfig(t, s, polls.Poll)
		cfg.Logger = slog.New(slog.NewTextHandler(warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
		stop := startRunner(t, migratedRunner(t, s, cfg))

		pending := map[int64]bool{}
		for _, id := range ids {
			pending[id] = true
		}
		deadline := time.After(waitFor)
		for len(pending) > 0 {
			select {
			case id := <-polls.started:
				delete(pending, id)
			case <-deadline:
				t.Fatalf("%d of %d sources not polled within %s", len(pending), sources, waitFor)
			}
		}
		time.Sleep(5 * testScanInterval) // scans that must find nothing due
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		for _, id := range ids {
			if got := polls.callsFor(id); got != 1 {
				t.Errorf("source %d polled %d times, want 1", id, got)
			}
		}
		if got := warnings.String(); got != "" {
			t.Errorf("warnings or errors logged:\n%s", got)
		}
	})
}

func TestEnqueuePollRunsOneAtATime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		release := make(chan struct{})
		polls := newPollRecorder()
		polls.during = func(ctx context.Context, _ int64) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Paused, so that only EnqueuePoll polls it.
		src := addSource(t, s, "manual", true)
		r := migratedRunner(t, s, testConfig(t, s, polls.Poll))
		startRunner(t, r)

		if err := r.EnqueuePoll(ctx, src.ID); err != nil {
			t.Fatalf("first EnqueuePoll: %v", err)
		}
		polls.waitStarted(t, src.ID)
		for i := range 2 {
			if err := r.EnqueuePoll(ctx, src.ID); err != nil {
				t.Fatalf("EnqueuePoll %d while polling: %v", i+2, err)
			}
		}
		// Many fetch intervals: a duplicate job, had one been queued, would
		// have started by now.
		time.Sleep(10 * testFetchInterval)
		close(release)
		time.Sleep(10 * testFetchInterval)

		if got, want := polls.callsFor(src.ID), 1; got != want {
			t.Errorf("polls after three EnqueuePoll during one poll = %d, want %d", got, want)
		}
		if got := polls.maxConcurrent(); got != 1 {
			t.Errorf("at most %d polls of one source ran at once, want 1", got)
		}

		// A finished poll must not block the next one. Until River has
		// recorded the job as done (in batches, after the worker returns)
		// a request is taken as a duplicate of the running poll, so the
		// test waits for that record first.
		if got := settledPollJob(t, s, src.ID); got.State != "completed" {
			t.Fatalf("poll job %s after the poll returned, want completed", got.State)
		}
		if err := r.EnqueuePoll(ctx, src.ID); err != nil {
			t.Fatalf("EnqueuePoll after the poll finished: %v", err)
		}
		polls.waitStarted(t, src.ID)
		if got, want := polls.callsFor(src.ID), 2; got != want {
			t.Errorf("polls after a later EnqueuePoll = %d, want %d", got, want)
		}
	})
}

func TestEnqueuePollTxFollowsTransaction(t *testing.T) {
	errRollback := errors.New("roll back on purpose")
	tests := []struct {
		name      string
		txErr     error
		wantPolls int
	}{
		{name: "commit enqueues", txErr: nil, wantPolls: 1},
		{name: "rollback enqueues nothing", txErr: errRollback, wantPolls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				ctx := t.Context()
				polls := newPollRecorder()
				src := addSource(t, s, "tx", true)
				r := migratedRunner(t, s, testConfig(t, s, polls.Poll))

				err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					if err := r.EnqueuePollTx(ctx, tx, src.ID); err != nil {
						return err
					}
					return tt.txErr
				})
				if !errors.Is(err, tt.txErr) {
					t.Fatalf("InTx = %v, want %v", err, tt.txErr)
				}
				// Started after the transaction ended, so a poll can only
				// come from a committed job.
				stop := startRunner(t, r)
				if tt.wantPolls > 0 {
					polls.waitStarted(t, src.ID)
				} else {
					time.Sleep(20 * testFetchInterval)
				}
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}

				if got := polls.callsFor(src.ID); got != tt.wantPolls {
					t.Errorf("polls = %d, want %d", got, tt.wantPolls)
				}
			})
		})
	}
}

// pollJobState reads River's row for the one poll_source job of sourceID:
// its state and how many attempts it has had.
func pollJobState(ctx context.Context, s store.Store, sourceID int64) (state string, attempts int, err error) {
	switch s := s.(type) {
	case *sqlite.Store:
		const q = `SELECT state, attempt FROM river_job
			WHERE kind = 'poll_source' AND json_extract(args, '$.source_id') = ?`
		err = s.WriterDB().QueryRowContext(ctx, q, sourceID).Scan(&state, &attempts)
	case *postgres.Store:
		const q = `SELECT state, attempt FROM river_job
			WHERE kind = 'poll_source' AND (args->>'source_id')::bigint = $1`
		err = s.Pool().QueryRow(ctx, q, sourceID).Scan(&state, &attempts)
	default:
		err = fmt.Errorf("no river_job query for store %T", s)
	}
	return state, attempts, err
}

type jobState struct {
	State    string
	Attempts int
}

// settledPollJob waits (up to waitFor) for the poll job of sourceID to
// leave the running state and returns the state it is then in. River
// records a job's outcome after its worker returns, in batches, so right
// after a poll the row may still say running for a while on a busy machine.
func settledPollJob(t *testing.T, s store.Store, sourceID int64) jobState {
	t.Helper()
	var got jobState
	for deadline := time.Now().Add(waitFor); time.Now().Before(deadline); time.Sleep(testFetchInterval) {
		state, attempts, err := pollJobState(t.Context(), s, sourceID)
		if err != nil {
			t.Fatalf("read poll job: %v", err)
		}
		got = jobState{state, attempts}
		if got.State != "running" {
			break
		}
	}
	return got
}

func TestFailedPollIsNotRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		polls := newPollRecorder()
		polls.during = func(context.Context, int64) error { return errors.New("feed answered 503") }
		src := addSource(t, s, "failing", true)
		r := migratedRunner(t, s, testConfig(t, s, polls.Poll))
		startRunner(t, r)
		if err := r.EnqueuePoll(ctx, src.ID); err != nil {
			t.Fatalf("EnqueuePoll: %v", err)
		}
		polls.waitStarted(t, src.ID)

		want := jobState{State: "discarded", Attempts: 1}
		got := settledPollJob(t, s, src.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("poll job after a failed poll (-want +got):\n%s", diff)
		}
		if n := polls.callsFor(src.ID); n != 1 {
			t.Errorf("polls = %d, want 1", n)
		}
	})
}

func TestRunStopsPromptlyAfterCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		polls := newPollRecorder()
		src := addSource(t, s, "due", false)
		polls.during = func(ctx context.Context, id int64) error { return postponeNextAttempt(ctx, s, id) }
		stop := startRunner(t, migratedRunner(t, s, testConfig(t, s, polls.Poll)))
		polls.waitStarted(t, src.ID) // fully running, leader elected

		start := time.Now()
		err := stop()
		took := time.Since(start)

		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
		if limit := 3 * time.Second; took > limit {
			t.Errorf("Run took %s to return after cancel, want under %s", took, limit)
		}
	})
}

func TestRunLetsRunningPollFinish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		finished := make(chan error, 1)
		polls := newPollRecorder()
		polls.during = func(ctx context.Context, _ int64) error {
			// Longer than the test waits before cancelling Run, well
			// within StopTimeout.
			select {
			case <-time.After(500 * time.Millisecond):
				finished <- nil
			case <-ctx.Done():
				finished <- ctx.Err()
			}
			return nil
		}
		src := addSource(t, s, "slow", true)
		r := migratedRunner(t, s, testConfig(t, s, polls.Poll))
		stop := startRunner(t, r)
		if err := r.EnqueuePoll(t.Context(), src.ID); err != nil {
			t.Fatalf("EnqueuePoll: %v", err)
		}
		polls.waitStarted(t, src.ID)

		if err := stop(); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		select {
		case err := <-finished:
			if err != nil {
				t.Errorf("running poll ended with %v, want it to finish uncancelled", err)
			}
		default:
			t.Errorf("Run returned before the running poll finished")
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		r := newRunner(t, s, testConfig(t, s, newPollRecorder().Poll))
		for i := range 2 {
			if err := r.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
		}
	})
}

func TestRunRefusesUnmigratedQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		r := newRunner(t, s, testConfig(t, s, newPollRecorder().Poll))
		ctx, cancel := context.WithTimeout(t.Context(), waitFor)
		defer cancel()

		err := r.Run(ctx)

		if !errors.Is(err, jobs.ErrRiverSchemaOutdated) {
			t.Errorf("Run before Migrate = %v, want %v", err, jobs.ErrRiverSchemaOutdated)
		}
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		tests := []struct {
			name string
			cfg  jobs.Config
		}{
			{name: "no store", cfg: jobs.Config{Poll: newPollRecorder().Poll}},
			{name: "no poll", cfg: jobs.Config{Store: s}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				switch s := s.(type) {
				case *sqlite.Store:
					_, err = jobs.NewSQLite(s, tt.cfg)
				case *postgres.Store:
					_, err = jobs.NewPostgres(s, tt.cfg)
				}
				if err == nil {
					t.Errorf("new runner with %s: err = nil, want an error", tt.name)
				}
			})
		}
	})
}

// scanTally counts the scans for due sources made by any runner.
type scanTally struct {
	scans atomic.Int64
}

// wait waits until n more scans have been made, or waitFor has passed.
func (c *scanTally) wait(ctx context.Context, n int64) error {
	target := c.scans.Load() + n
	deadline := time.Now().Add(waitFor)
	for c.scans.Load() < target {
		if time.Now().After(deadline) {
			return fmt.Errorf("fewer than %d scans within %s", n, waitFor)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(testScanInterval / 4):
		}
	}
	return nil
}

// scanCountingStore adds each scan for due sources to a tally: a scan is
// a transaction claiming due sources, and nothing else here writes in one.
type scanCountingStore struct {
	store.Store
	tally *scanTally
}

func (c *scanCountingStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	c.tally.scans.Add(1)
	return c.Store.InTx(ctx, fn)
}

// TestTwoRunnersPollDueSourceOnce stands for two wiredesk processes on one
// PostgreSQL schema: each with its own pool and River client.
func TestTwoRunnersPollDueSourceOnce(t *testing.T) {
	first := dbtest.Postgres(t)
	second, err := postgres.Open(t.Context(), postgres.Config{URL: dbtest.PostgresURL(), Schema: first.Schema()})
	if err != nil {
		t.Fatalf("open second store on schema %q: %v", first.Schema(), err)
	}
	t.Cleanup(func() { second.Close() })

	scans := &scanTally{}
	polls := newPollRecorder()
	// The poll lasts while several scans find the source still due; then
	// it moves the source's next attempt an hour on, as the real poller
	// does, and no later scan may find it due.
	polls.during = func(ctx context.Context, id int64) error {
		if err := scans.wait(ctx, 3); err != nil {
			return err
		}
		return postponeNextAttempt(ctx, first, id)
	}
	src := addSource(t, first, "shared", false)
	startRunner(t, migratedRunner(t, first, testConfig(t, &scanCountingStore{first, scans}, polls.Poll)))
	startRunner(t, migratedRunner(t, second, testConfig(t, &scanCountingStore{second, scans}, polls.Poll)))

	polls.waitStarted(t, src.ID)
	// Many scans by whichever runner leads, and fetches by both.
	if err := scans.wait(t.Context(), 3); err != nil {
		t.Fatalf("scans after the poll: %v", err)
	}
	time.Sleep(5 * testFetchInterval)

	got := map[string]int{"polls": polls.callsFor(src.ID), "most at once": polls.maxConcurrent()}
	want := map[string]int{"polls": 1, "most at once": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("two runners on one schema (-want +got):\n%s", diff)
	}
}
