package site

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

func TestRouteCacheControl(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /{$}":                 listCacheControl,
		"GET /section/{name}":      listCacheControl,
		"GET /search":              listCacheControl,
		"GET /feed.atom":           listCacheControl,
		"GET /sitemap.xml":         listCacheControl,
		"GET /story/{id}/{slug}":   storyCacheControl,
		"GET /story/{id}/history":  storyCacheControl,
		"GET /static/site.css":     "",
		"/":                        "",
		"POST /ingest/{name}":      "",
		"GET /tag/{kind}/{slug}":   listCacheControl,
		"GET /story/{id}/original": storyCacheControl,
	} {
		if got := routeCacheControl(pattern); got != want {
			t.Errorf("routeCacheControl(%q) = %q, want %q", pattern, got, want)
		}
	}
	for status, want := range map[int]string{410: goneCacheControl, 404: notFoundCacheControl, 400: "no-store", 500: "no-store"} {
		if got := errorCacheControl(status); got != want {
			t.Errorf("errorCacheControl(%d) = %q, want %q", status, got, want)
		}
	}
}

// ninjsStory is a ninjs 2.x item as an agency pushes it: filed under sport
// (IPTC media topic 15...), tagged Football, with a word search can find.
func ninjsStory(uri string, version int, pubstatus string) []byte {
	return fmt.Appendf(nil, `{"uri": %q, "version": "%d", "type": "text", "pubstatus": %q, "language": "en",
		"versioncreated": "2026-11-29T10:%02d:00Z", "headlines": [{"role": "main", "value": "Gull Point ferry aground %s"}],
		"subjects": [{"name": "Football", "uri": "http://cv.iptc.org/newscodes/mediatopic/15054000"}],
		"bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>The Zanzibarquux ferry %s ran aground, with a few more words.</p>"}],
		"infosources": [{"name": "Northport Wire", "role": "originator"}]}`, uri, version, pubstatus, version, uri, uri)
}

// node is one wiredesk node: its own store handle, site, response cache and
// cache invalidator, behind a test HTTP server.
type node struct {
	name  string
	base  string
	cache *server.ResponseCache
}

func startNode(t *testing.T, name string, s store.Store) *node {
	t.Helper()
	st, err := New(Config{Store: s, PublicURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	st.Register(mux)
	// The JSON API sits behind the same cache on a real node (serve), so
	// the kill must leave it too.
	a, err := api.New(api.Config{Store: s, BaseURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	a.Register(mux)
	cache := server.NewResponseCache(server.ResponseCacheConfig{})
	inv, err := NewCacheInvalidator(CacheInvalidatorConfig{Store: s, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inv.Run(ctx) }()
	srv := httptest.NewServer(cache.Wrap(mux))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: invalidator: %v", name, err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !cache.Live() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: cache not live 10s after its invalidator started", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &node{name: name, base: srv.URL, cache: cache}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (n *node) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := noRedirects.Get(n.base + path)
	if err != nil {
		t.Fatalf("%s GET %s: %v", n.name, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s GET %s: %v", n.name, path, err)
	}
	return resp.StatusCode, string(b)
}

// listings are every output that lists stories.
var listings = []string{
	"/", "/section/sport", "/tag/subject/football", "/search?q=Zanzibarquux",
	"/feed.rss", "/feed.atom", "/feed.json",
	"/section/sport/feed.rss", "/section/sport/feed.atom", "/section/sport/feed.json",
	"/tag/subject/football/feed.rss", "/tag/subject/football/feed.atom", "/tag/subject/football/feed.json",
	"/sitemap-news.xml", "/sitemap-1.xml",
	"/api/v1/stories", "/api/v1/stories?section=sport", "/api/v1/stories?q=Zanzibarquux",
}

// killEverywhere publishes two stories through apply on the first node,
// warms every node's cache with every output, kills one story through
// apply on the first node, and checks that within bound every node answers
// 410 for it and lists it nowhere, while the other story stays.
func killEverywhere(t *testing.T, deliverOn store.Store, nodes []*node, bound time.Duration) {
	t.Helper()
	ctx := context.Background()
	pipeline := ingest.NewPipeline(deliverOn, apply.New(deliverOn, nil, nil), nil, nil)
	deliver := func(uri string, version int, pubstatus string) {
		t.Helper()
		if _, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: "test", Body: ninjsStory(uri, version, pubstatus)}); err != nil {
			t.Fatalf("deliver %s v%d: %v", uri, version, err)
		}
	}
	deliver("keeper", 1, "usable")
	deliver("doomed", 1, "usable")
	list, err := deliverOn.ListStories(ctx, &store.ListStoriesParams{Limit: 10})
	if err != nil || len(list) != 2 {
		t.Fatalf("stories after publishing: %v, %d", err, len(list))
	}
	var doomed, keeper int64
	for _, st := range list {
		if st.URI == "doomed" {
			doomed = st.ID
		} else {
			keeper = st.ID
		}
	}
	var gonePages []string // the story's own pages, which must answer 410
	for _, st := range list {
		if st.ID == doomed {
			gonePages = []string{storyURL(st), fmt.Sprintf("/story/%d", st.ID), fmt.Sprintf("/story/%d/history", st.ID), fmt.Sprintf("/api/v1/stories/%d", st.ID)}
		}
	}
	doomedRef := regexp.MustCompile(fmt.Sprintf(`/story/%d\b`, doomed))
	keeperRef := regexp.MustCompile(fmt.Sprintf(`/story/%d\b`, keeper))
	pages := append(append([]string{}, gonePages...), listings...)

	// Both stories are on every listing of every node, and every page is
	// in every node's cache (a second GET is a hit).
	for _, n := range nodes {
		for _, p := range listings {
			// The invalidators may still be flushing for the deliveries.
			deadline := time.Now().Add(bound)
			for {
				code, body := n.get(t, p)
				if code == http.StatusOK && doomedRef.MatchString(body) && keeperRef.MatchString(body) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s %s before the kill: status %d, lists doomed %v, keeper %v\n%.2000s", n.name, p, code, doomedRef.MatchString(body), keeperRef.MatchString(body), body)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		for _, p := range pages {
			n.get(t, p)
		}
		before := n.cache.Stats()
		for _, p := range pages {
			n.get(t, p)
		}
		if hits := n.cache.Stats().Hits - before.Hits; hits != uint64(len(pages)) {
			t.Fatalf("%s: %d of %d warmed pages were cache hits", n.name, hits, len(pages))
		}
	}

	start := time.Now()
	deliver("doomed", 2, "canceled")
	for _, n := range nodes {
		deadline := start.Add(bound)
		for {
			var left []string
			for _, p := range gonePages {
				if code, _ := n.get(t, p); code != http.StatusGone {
					left = append(left, fmt.Sprintf("%s answers %d", p, code))
				}
			}
			for _, p := range listings {
				code, body := n.get(t, p)
				if doomedRef.MatchString(body) {
					left = append(left, p+" lists it")
				}
				if code != http.StatusOK || !keeperRef.MatchString(body) {
					t.Fatalf("%s %s lost the other story too (status %d)", n.name, p, code)
				}
			}
			if len(left) == 0 {
				t.Logf("%s: the kill was gone from every output %s after it was delivered", n.name, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s after the kill: %v", n.name, bound, left)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// killBound is how soon a kill must be gone from every output in these
// tests. The target is 250 ms (p99) and runs here take 30 to 50 ms; the
// bound leaves room for -race on a loaded machine, and is still far below
// the 30 to 60 seconds the caches would keep a page without invalidation.
const killBound = 2 * time.Second

// TestKillGoneFromEveryNode: two nodes on one PostgreSQL database, each with
// its own store handle, cache and invalidator; a kill applied on the first
// is gone from every output of the second (and the first) within killBound,
// however warm their caches were.
func TestKillGoneFromEveryNode(t *testing.T) {
	s1 := dbtest.Postgres(t)
	s2, err := postgres.Open(context.Background(), postgres.Config{URL: dbtest.PostgresURL(), Schema: s1.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	nodes := []*node{startNode(t, "node 2", s2), startNode(t, "node 1", s1)}
	killEverywhere(t, s1, nodes, killBound)
}

// TestKillGoneAcrossProcesses: on SQLite, `wiredesk ingest` writes from
// another process; a store opened separately on the same file stands for
// it. The serving process's cache sees its commit within killBound too.
func TestKillGoneAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wiredesk.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	serving, ingesting := open(), open()
	if err := serving.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	killEverywhere(t, ingesting, []*node{startNode(t, "server", serving)}, killBound)
}

// TestCacheInvalidatorSuspendsWhileWatchBroken: when the watch breaks (its
// PostgreSQL session killed), the cache stops serving kept pages at once
// and comes back, flushed, once the invalidator watches again.
func TestCacheInvalidatorSuspendsWhileWatchBroken(t *testing.T) {
	s := dbtest.Postgres(t)
	n := startNode(t, "node", s)
	n.get(t, "/feed.atom")
	if n.cache.Stats().Entries == 0 {
		t.Fatal("nothing cached")
	}
	// End this schema's LISTEN session the way a failover or a network
	// cut would.
	ctx := context.Background()
	// pg_stat_activity cannot tell this test's session from another
	// test's; any other invalidator whose session ends watches again too.
	var killed int
	err := s.Pool().QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN wiredesk_changes' AND pid <> pg_backend_pid()`).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Skip("no LISTEN session found to end")
	}
	deadline := time.Now().Add(5 * time.Second)
	sawSuspended := false
	for time.Now().Before(deadline) {
		if !n.cache.Live() {
			sawSuspended = true
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !sawSuspended {
		t.Fatal("cache still live after its watch's session ended")
	}
	for !n.cache.Live() {
		if time.Now().After(deadline) {
			t.Fatal("cache not live again within 5s: the invalidator did not watch again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if e := n.cache.Stats().Entries; e != 0 {
		t.Errorf("%d entries kept across the broken watch, want a flushed cache", e)
	}
}

// BenchmarkKillToGoneCached measures, for each of b.N stories, the time from
// a kill entering the pipeline on one node to the story answering 410 on a
// node with a warm cache and being off its home page and Atom feed: on
// SQLite the same process's cache, on PostgreSQL a second node's. It
// reports p50 and p99 in milliseconds.
func BenchmarkKillToGoneCached(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var deliverOn, serveFrom store.Store
			if backend == "sqlite" {
				s := dbtest.SQLite(b)
				deliverOn, serveFrom = s, s
			} else {
				s1 := dbtest.Postgres(b)
				s2, err := postgres.Open(context.Background(), postgres.Config{URL: dbtest.PostgresURL(), Schema: s1.Schema()})
				if err != nil {
					b.Fatal(err)
				}
				defer s2.Close()
				deliverOn, serveFrom = s1, s2
			}
			st, err := New(Config{Store: serveFrom, PublicURL: testPublicURL})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			st.Register(mux)
			cache := server.NewResponseCache(server.ResponseCacheConfig{})
			inv, _ := NewCacheInvalidator(CacheInvalidatorConfig{Store: serveFrom, Cache: cache})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go inv.Run(ctx)
			srv := httptest.NewServer(cache.Wrap(mux))
			defer srv.Close()
			pipeline := ingest.NewPipeline(deliverOn, apply.New(deliverOn, nil, nil), nil, nil)
			get := func(path string) (int, string) {
				resp, err := noRedirects.Get(srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			ids := make([]int64, b.N)
			for i := range b.N {
				uri := fmt.Sprintf("bench-%d", i)
				if _, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: "bench", Body: ninjsStory(uri, 1, "usable")}); err != nil {
					b.Fatal(err)
				}
				list, _ := deliverOn.ListStories(ctx, &store.ListStoriesParams{Limit: 1})
				ids[i] = list[0].ID
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				ref := regexp.MustCompile(fmt.Sprintf(`/story/%d\b`, ids[i]))
				page := fmt.Sprintf("/story/%d/history", ids[i])
				// Warm: the pages are in the cache when the kill comes.
				for range 2 {
					get(page)
					get("/")
					get("/feed.atom")
				}
				start := time.Now()
				if _, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: "bench", Body: ninjsStory(fmt.Sprintf("bench-%d", i), 2, "canceled")}); err != nil {
					b.Fatal(err)
				}
				for {
					code, _ := get(page)
					_, home := get("/")
					_, feed := get("/feed.atom")
					if code == http.StatusGone && !ref.MatchString(home) && !ref.MatchString(feed) {
						break
					}
					if time.Since(start) > 10*time.Second {
						b.Fatalf("story %d still up 10s after its kill", ids[i])
					}
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
