package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// apPage is an AP Media API feed response with items of the given ids and
// a next_page link ("" for none).
func apPage(next string, ids ...string) []byte {
	type item struct {
		URI            string            `json:"uri"`
		AltIDs         map[string]string `json:"altids"`
		Version        int               `json:"version"`
		Type           string            `json:"type"`
		PubStatus      string            `json:"pubstatus"`
		Headline       string            `json:"headline"`
		VersionCreated string            `json:"versioncreated"`
	}
	type entry struct {
		Item item `json:"item"`
	}
	var page struct {
		APIVersion string `json:"api_version"`
		Data       struct {
			NextPage string  `json:"next_page,omitempty"`
			Items    []entry `json:"items"`
		} `json:"data"`
	}
	page.APIVersion = "1.1"
	page.Data.NextPage = next
	page.Data.Items = []entry{}
	for _, id := range ids {
		page.Data.Items = append(page.Data.Items, entry{item{
			URI: "https://api.ap.example/content/" + id, AltIDs: map[string]string{"itemid": id, "etag": id + "_v1"},
			Version: 1, Type: "text", PubStatus: "usable", Headline: "Story " + id, VersionCreated: "2026-11-29T09:00:00Z",
		}})
	}
	b, err := json.Marshal(page)
	if err != nil {
		panic(err)
	}
	return b
}

// apServer is a fake AP Media API with three pages of items and a
// caught-up fourth that points at itself. It checks the API key on every
// page and records the paths asked for.
type apServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string
}

const apKey = "ap-key-123"

func newAPServer(t *testing.T) *apServer {
	a := &apServer{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.hits = append(a.hits, r.URL.Path)
		a.mu.Unlock()
		if r.Header.Get("X-Api-Key") != apKey {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		base := a.srv.URL
		switch r.URL.Path {
		case "/feed":
			w.Write(apPage(base+"/page/2", "a1", "a2"))
		case "/page/2":
			w.Write(apPage(base+"/page/3", "a3", "a4"))
		case "/page/3":
			w.Write(apPage(base+"/page/4", "a5", "a6"))
		case "/page/4":
			w.Write(apPage(base + "/page/4"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *apServer) paths() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.hits...)
}

// cursorCrashStore fails SetSourceCursor while crash is set: the moment
// between a page's items and its cursor, where a crash must keep neither.
type cursorCrashStore struct {
	store.Store
	crash atomic.Bool
}

func (c *cursorCrashStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return c.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return fn(ctx, &cursorCrashTx{Tx: tx, crash: &c.crash})
	})
}

type cursorCrashTx struct {
	store.Tx
	crash *atomic.Bool
}

var errCrash = errors.New("simulated crash before the cursor was stored")

func (t *cursorCrashTx) SetSourceCursor(ctx context.Context, p *store.SetSourceCursorParams) error {
	if t.crash.Load() {
		return errCrash
	}
	return t.Tx.SetSourceCursor(ctx, p)
}

// A cursor feed is followed page by page, with the source's credentials;
// every item is stored once; the cursor and a page's items commit together,
// so a crash between them leaves neither and the page is fetched again.
func TestPollCursorFeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, base store.Store) {
		ctx := context.Background()
		ap := newAPServer(t)
		s := &cursorCrashStore{Store: base}
		now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		pipeline := ingest.NewPipeline(s, apply.New(s, nil, clock), nil, clock)
		poller, err := ingest.NewPoller(ingest.PollerConfig{
			Store: s, Fetcher: fetch.New(fetch.Config{Timeout: 5 * time.Second}), Pipeline: pipeline, Now: clock,
			Jitter: func(d time.Duration) time.Duration { return d },
		})
		if err != nil {
			t.Fatal(err)
		}
		src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{
			Name: "ap", URL: ap.srv.URL + "/feed", Agency: "AP", Interval: time.Minute, AllowPrivate: true,
			Auth: store.SourceAuth{Kind: fetch.AuthHeader, Name: "X-Api-Key", Secret: apKey},
		})
		if err != nil {
			t.Fatal(err)
		}
		get := func() *store.Source {
			t.Helper()
			got, err := s.GetSourceByID(ctx, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		// The crash: page 1's items are applied, then storing the cursor
		// fails in the same transaction.
		s.crash.Store(true)
		if err := poller.Poll(ctx, src.ID); !errors.Is(err, errCrash) {
			t.Fatalf("poll with a crash before the cursor: %v, want the crash", err)
		}
		if n, _ := s.CountStories(ctx); n != 0 {
			t.Errorf("after the crash: %d stories, want 0 (the items roll back with the cursor)", n)
		}
		if got := get(); got.Cursor != "" || got.State != store.SourceDegraded {
			t.Errorf("after the crash: cursor %q, state %s; want no cursor, degraded", got.Cursor, got.State)
		}

		s.crash.Store(false)
		var waits []time.Duration
		for range 5 {
			if err := poller.Poll(ctx, src.ID); err != nil {
				t.Fatalf("poll: %v", err)
			}
			got := get()
			waits = append(waits, got.NextAttemptAt.Sub(now))
		}
		wantPaths := []string{"/feed", "/feed", "/page/2", "/page/3", "/page/4", "/page/4"}
		if diff := cmp.Diff(wantPaths, ap.paths()); diff != "" {
			t.Errorf("pages fetched (-want +got):\n%s", diff)
		}
		// Pages with new items and a next page are followed at once; a
		// caught-up page brings nothing new and waits the interval, a
		// quarter longer each quiet time.
		wantWaits := []time.Duration{0, 0, 0, 75 * time.Second, 93750 * time.Millisecond}
		if diff := cmp.Diff(wantWaits, waits); diff != "" {
			t.Errorf("waits after each page (-want +got):\n%s", diff)
		}
		if got := get(); got.Cursor != ap.srv.URL+"/page/4" {
			t.Errorf("cursor = %q, want page 4", got.Cursor)
		}
		list, err := s.ListStories(ctx, &store.ListStoriesParams{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var uris []string
		for _, st := range list {
			if st.Versions != 1 {
				t.Errorf("story %s has %d versions, want 1", st.URI, st.Versions)
			}
			uris = append(uris, st.URI)
		}
		if len(uris) != 6 {
			t.Errorf("stories = %v, want the 6 items of pages 1-3 once each", uris)
		}
		if n, _ := s.CountStories(ctx); n != 6 {
			t.Errorf("CountStories = %d, want 6", n)
		}
	})
}
