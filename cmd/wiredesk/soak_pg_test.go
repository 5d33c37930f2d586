package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/ingest"
)

var soakPGDuration = flag.Duration("soak-pg-duration", 15*time.Second,
	"how long TestIngestSurvivesPostgresRestart pushes while restarting PostgreSQL (make soak raises it)")

const (
	pgSoakSource = "pgsoak"
	pgSoakAgency = "PG Soak Wire"
	pgSoakSecret = "whsec_c29hay10ZXN0LXNlY3JldC1mb3ItcGctcmVzdGFydHM="
	// pgSoakSenders push at once, each for stories of its own, so the
	// versions of one story always arrive in the order they were made.
	pgSoakSenders = 4
	// pgSoakBatch is the number of items in one push.
	pgSoakBatch = 8
)

// pgSoakSender is an agency pushing to POST /ingest/{source}: it signs each
// payload as Standard Webhooks says and sends it again, under the same
// webhook-id and signed anew, until it is answered 2xx.
type pgSoakSender struct {
	client *http.Client
	url    string
	// retried counts pushes that needed more than one attempt, failures
	// every attempt that was not answered 2xx.
	pushes, retried, failures atomic.Int64
	mu                        sync.Mutex
	outcomes                  map[string]int // failed attempts by status or error kind
}

// push delivers body, retrying until it is accepted or giveUp passes.
func (s *pgSoakSender) push(giveUp time.Time, id string, body []byte) error {
	s.pushes.Add(1)
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		outcome, err := s.attempt(id, body)
		if err == nil {
			if attempt > 1 {
				s.retried.Add(1)
			}
			return nil
		}
		s.failures.Add(1)
		s.mu.Lock()
		s.outcomes[outcome]++
		s.mu.Unlock()
		if time.Now().After(giveUp) {
			return fmt.Errorf("push %s: still refused after %d attempts, last: %w", id, attempt, err)
		}
		time.Sleep(wait)
		wait = min(wait*2, time.Second)
	}
}

// attempt is one signed POST; outcome names a failure for the tally.
func (s *pgSoakSender) attempt(id string, body []byte) (outcome string, err error) {
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return "request", err
	}
	now := time.Now().Unix()
	req.Header.Set("Content-Type", "application/rss+xml")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now, 10))
	req.Header.Set("webhook-signature", ingest.Sign(pgSoakSecret, id, now, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return "transport error", err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "HTTP " + strconv.Itoa(resp.StatusCode), fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return "", nil
}

// pgSoakStory is what one story was sent as: its versions' headlines in
// the order they were made.
type pgSoakStory struct {
	versions []string
}

// pgSoakWork generates and pushes one sender's stories until ctx ends:
// new stories, new versions of its earlier ones, and re-deliveries of
// versions already sent (which must change nothing). It returns what it
// sent, by agency id.
func pgSoakWork(ctx context.Context, s *pgSoakSender, worker int, r *rand.Rand, giveUp time.Time) (map[string]*pgSoakStory, error) {
	sent := map[string]*pgSoakStory{}
	var ids []string
	base := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	next := 0
	for push := 0; ctx.Err() == nil; push++ {
		var items []soakItem
		inPush := map[string]bool{}
		for len(items) < pgSoakBatch {
			var sid, version int
			switch p := r.IntN(10); {
			case p < 2 && len(ids) > 0: // a new version of an earlier story
				id := ids[r.IntN(len(ids))]
				if inPush[id] {
					continue
				}
				sid, _ = strconv.Atoi(strings.TrimPrefix(id, "pgsoak-"))
				version = len(sent[id].versions) + 1
			case p < 3 && len(ids) > 0: // an earlier version again
				id := ids[r.IntN(len(ids))]
				if inPush[id] {
					continue
				}
				sid, _ = strconv.Atoi(strings.TrimPrefix(id, "pgsoak-"))
				version = 1 + r.IntN(len(sent[id].versions))
			default:
				sid = worker + pgSoakSenders*next
				next++
				version = 1
			}
			id := fmt.Sprintf("pgsoak-%d", sid)
			inPush[id] = true
			headline := fmt.Sprintf("PG soak story %d, version %d", sid, version)
			items = append(items, soakItem{
				GUID: id, Title: headline,
				Body:      fmt.Sprintf("%s. Version %d of this story.", storyWords(sid), version),
				Published: base.Add(time.Duration(version) * time.Minute),
			})
			st := sent[id]
			if st == nil {
				st = &pgSoakStory{}
				sent[id] = st
				ids = append(ids, id)
			}
			if version > len(st.versions) {
				st.versions = append(st.versions, headline)
			}
		}
		msgID := fmt.Sprintf("msg-%d-%d", worker, push)
		if err := s.push(giveUp, msgID, soakRSS("PG soak wire", items)); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// TestIngestSurvivesPostgresRestart pushes stories to `wiredesk serve` on a
// PostgreSQL of its own while restarting that PostgreSQL again and again,
// cleanly and by crashing it; the pushers retry whatever was not accepted,
// as an agency does. The server must live through it without being
// restarted itself, and store every story exactly once, every version
// exactly once, and one story event per change.
func TestIngestSurvivesPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, duration %s", seed, *soakPGDuration)
	pg := startPrivatePostgres(t)
	bin := buildWiredesk(t)
	env := map[string]string{
		"WIREDESK_DATABASE_URL": pg.URL(),
		"WIREDESK_LOG_LEVEL":    "warn",
		"WIREDESK_CONFIG": writeSoakConfig(t, map[string]any{
			// The source is push-only: paused, its URL is never fetched.
			"sources": []map[string]any{{
				"name": pgSoakSource, "url": "http://127.0.0.1:9/unused", "agency": pgSoakAgency,
				"paused": true, "push_secret": pgSoakSecret,
			}},
		}),
	}
	runWiredesk(t, bin, env, "migrate")
	srv := startSoakServe(t, bin, env)

	sender := &pgSoakSender{
		client:   &http.Client{Timeout: time.Minute},
		url:      srv.base + "/ingest/" + pgSoakSource,
		outcomes: map[string]int{},
	}
	ctx, cancel := context.WithTimeout(context.Background(), *soakPGDuration)
	defer cancel()
	giveUp := time.Now().Add(*soakPGDuration + 2*time.Minute)

	// Restarts come at even steps, a fifth of the run apart but at least
	// every 30s of a long one, alternating a fast restart with a crash
	// (immediate stop) followed by one or three seconds down.
	restarts := map[string]int{}
	var lastRestart time.Time
	restartErr := make(chan error, 1)
	var restarting sync.WaitGroup
	restarting.Add(1)
	go func() {
		defer restarting.Done()
		step := min(max(*soakPGDuration/5, 3*time.Second), 30*time.Second)
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				restartErr <- nil
				return
			case <-time.After(step):
			}
			mode, down := "fast", time.Duration(0)
			if i%2 == 1 {
				mode, down = "immediate", time.Duration(1+2*(i/2%2))*time.Second
			}
			if err := pg.stop(mode); err != nil {
				restartErr <- err
				return
			}
			time.Sleep(down)
			if err := pg.start(); err != nil {
				restartErr <- err
				return
			}
			restarts[mode]++
			lastRestart = time.Now()
		}
	}()

	var (
		mu   sync.Mutex
		want = map[string]*pgSoakStory{}
		errs []error
		wg   sync.WaitGroup
	)
	for w := range pgSoakSenders {
		wg.Add(1)
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		go func() {
			defer wg.Done()
			sent, err := pgSoakWork(ctx, sender, w, r, giveUp)
			mu.Lock()
			defer mu.Unlock()
			for id, st := range sent {
				want[id] = st
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	restarting.Wait()
	if err := <-restartErr; err != nil {
		t.Fatalf("restarting PostgreSQL: %v", err)
	}
	if !srv.running() {
		t.Fatalf("wiredesk serve exited during the PostgreSQL restarts: %v\nlog tail:\n%s", srv.exitErr, tail(srv.log.String(), 60))
	}
	for _, err := range errs {
		t.Errorf("sender gave up: %v", err)
	}
	// After the last restart the server must still take a push at once.
	probe := soakRSS("PG soak wire", []soakItem{{GUID: "pgsoak-probe", Title: "PG soak probe", Body: storyWords(-1), Published: time.Now()}})
	if _, err := sender.attempt("msg-probe", probe); err != nil {
		t.Errorf("a push after the restarts was refused: %v", err)
	} else {
		want["pgsoak-probe"] = &pgSoakStory{versions: []string{"PG soak probe"}}
	}
	if code, body := get(t, srv.base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after the restarts = %d %s, want 200", code, body)
	}
	sender.mu.Lock()
	t.Logf("restarts %v; %d pushes, %d retried, %d failed attempts %v; %d stories, %d versions sent",
		restarts, sender.pushes.Load(), sender.retried.Load(), sender.failures.Load(), sender.outcomes, len(want), pgSoakVersionCount(want))
	sender.mu.Unlock()
	if restarts["fast"] == 0 || restarts["immediate"] == 0 {
		t.Errorf("restarts %v: the run was too short to restart PostgreSQL both ways", restarts)
	}

	db, err := pgx.Connect(context.Background(), pg.URL())
	if err != nil {
		t.Fatalf("connect to the private PostgreSQL: %v", err)
	}
	defer db.Close(context.Background())
	got := pgSoakStored(t, db)
	wantStories := map[string]pgSoakRow{}
	for id, st := range want {
		n := len(st.versions)
		wantStories[id] = pgSoakRow{Stories: 1, Versions: n, Current: st.versions[n-1], Published: 1, Updated: n - 1}
	}
	if diff := cmp.Diff(wantStories, got); diff != "" {
		t.Errorf("stored stories differ from those sent (-sent +stored):\n%s", diff)
	}

	// A story event is worked in milliseconds: one still marked running
	// long after the last restart was claimed by a worker that the restart
	// cut off (its fetch or its completion lost with the connection).
	// River leaves such a job until its rescuer looks, an hour later, so
	// subscribers would hear of the change an hour late, or twice if it
	// had been worked. Jobs merely waiting (available) are a backlog, not a
	// loss: they are counted above, one per change, and logged here.
	const stuckAfter = 10 * time.Second
	time.Sleep(time.Until(lastRestart.Add(stuckAfter + 2*time.Second)))
	var stuck []int64
	rows, err := db.Query(context.Background(), `
		SELECT id FROM river_job
		WHERE kind = 'story_event' AND state = 'running' AND attempted_at < now() - make_interval(secs => $1)
		ORDER BY id`, stuckAfter.Seconds())
	if err == nil {
		stuck, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		t.Fatalf("read stuck story events: %v", err)
	}
	if len(stuck) > 0 {
		t.Errorf("%d story_event jobs still running %s after the last restart (ids %v): lost to the restart until River rescues them", len(stuck), stuckAfter, stuck)
	}
	states := pgSoakEventStates(t, db)
	t.Logf("story_event jobs by state: %v", states)
	for _, bad := range []string{"discarded", "cancelled"} {
		if states[bad] > 0 {
			t.Errorf("%d story_event jobs %s", states[bad], bad)
		}
	}
	if t.Failed() {
		t.Logf("server log tail:\n%s", tail(srv.log.String(), 60))
	}
}

func pgSoakVersionCount(m map[string]*pgSoakStory) int {
	n := 0
	for _, st := range m {
		n += len(st.versions)
	}
	return n
}

// pgSoakRow is what is stored for one agency id: stories with that id (one),
// their versions, the current version's headline, and story events.
type pgSoakRow struct {
	Stories, Versions  int
	Current            string
	Published, Updated int
	Other              []string
}

// pgSoakStored reads, per agency id of the soak's agency, what the database
// holds: how many stories, versions (distinct version keys must be as
// many), the current headline and the story_event jobs by kind.
func pgSoakStored(t *testing.T, db *pgx.Conn) map[string]pgSoakRow {
	t.Helper()
	ctx := context.Background()
	out := map[string]pgSoakRow{}
	byStory := map[int64]string{}
	rows, err := db.Query(ctx, `
		SELECT s.id, s.uri, COALESCE(v.item->>'headline', ''),
		       (SELECT count(*) FROM story_versions c WHERE c.story_id = s.id),
		       (SELECT count(DISTINCT version_key) FROM story_versions c WHERE c.story_id = s.id)
		FROM stories s LEFT JOIN story_versions v ON v.id = s.current_version_id
		WHERE s.agency = $1`, pgSoakAgency)
	if err != nil {
		t.Fatalf("read stories: %v", err)
	}
	for rows.Next() {
		var (
			id               int64
			uri, headline    string
			versions, unique int
		)
		if err := rows.Scan(&id, &uri, &headline, &versions, &unique); err != nil {
			t.Fatal(err)
		}
		if unique != versions {
			t.Errorf("story %s holds %d versions with only %d distinct keys", uri, versions, unique)
		}
		r := out[uri]
		r.Stories++
		r.Versions += versions
		r.Current = headline
		out[uri] = r
		byStory[id] = uri
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read stories: %v", err)
	}
	rows, err = db.Query(ctx, `SELECT (args->>'story_id')::bigint, args->>'event' FROM river_job WHERE kind = 'story_event'`)
	if err != nil {
		t.Fatalf("read story events: %v", err)
	}
	for rows.Next() {
		var (
			id    int64
			event string
		)
		if err := rows.Scan(&id, &event); err != nil {
			t.Fatal(err)
		}
		uri, ok := byStory[id]
		if !ok {
			continue
		}
		r := out[uri]
		switch event {
		case "published":
			r.Published++
		case "updated":
			r.Updated++
		default:
			r.Other = append(r.Other, event)
			sort.Strings(r.Other)
		}
		out[uri] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read story events: %v", err)
	}
	return out
}

// pgSoakEventStates counts story_event jobs by River state.
func pgSoakEventStates(t *testing.T, db *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT state::text, count(*) FROM river_job WHERE kind = 'story_event' GROUP BY state`)
	if err != nil {
		t.Fatalf("read story event states: %v", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			t.Fatalf("read story event states: %v", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read story event states: %v", err)
	}
	return out
}
