package demo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"github.com/wiredesk/wiredesk/internal/demo"
	"github.com/wiredesk/wiredesk/internal/fetch"
)

const waitLimit = 10 * time.Second

// startAgency runs a on a test server until the test ends.
func startAgency(t *testing.T, a *demo.Agency) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(a.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil after cancel", err)
		}
		srv.Close()
	})
	return srv
}

type fetched struct {
	feed *gofeed.Feed
	etag string
}

func getFeed(t *testing.T, srv *httptest.Server) fetched {
	t.Helper()
	resp, err := http.Get(srv.URL + demo.FeedPath)
	if err != nil {
		t.Fatalf("GET feed: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read feed: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET feed: status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/rss+xml", ct)
	}
	feed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, body)
	}
	if feed.FeedType != "rss" || feed.FeedVersion != "2.0" {
		t.Errorf("feed is %s %s, want rss 2.0", feed.FeedType, feed.FeedVersion)
	}
	return fetched{feed: feed, etag: resp.Header.Get("ETag")}
}

// waitForFeed polls the feed until cond holds for it.
func waitForFeed(t *testing.T, srv *httptest.Server, what string, cond func(*gofeed.Feed) bool) fetched {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		f := getFeed(t, srv)
		if cond(f.feed) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed never had %s within %s; last had %d items", what, waitLimit, len(f.feed.Items))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func guids(f *gofeed.Feed) []string {
	var g []string
	for _, it := range f.Items {
		g = append(g, it.GUID)
	}
	return g
}

func itemByGUID(f *gofeed.Feed, guid string) *gofeed.Item {
	for _, it := range f.Items {
		if it.GUID == guid {
			return it
		}
	}
	return nil
}

func TestRunReleasesThreeAtStart(t *testing.T) {
	start := time.Date(2025, time.November, 29, 9, 30, 0, 0, time.UTC)
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour, Now: func() time.Time { return start }})
	srv := startAgency(t, a)

	got := waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 })
	if n := len(got.feed.Items); n != demo.InitialRelease {
		t.Fatalf("%d items right after start, want %d", n, demo.InitialRelease)
	}
	if got.feed.Title != demo.AgencyName {
		t.Errorf("feed title = %q, want %q", got.feed.Title, demo.AgencyName)
	}
	// Released at the same instant, the latest released is listed first.
	wantGUIDs := []string{"urn:harbourwire:hws-0003", "urn:harbourwire:hws-0002", "urn:harbourwire:hws-0001"}
	if diff := cmp.Diff(wantGUIDs, guids(got.feed)); diff != "" {
		t.Errorf("guids mismatch (-want +got):\n%s", diff)
	}
	first := itemByGUID(got.feed, "urn:harbourwire:hws-0001")
	type itemView struct {
		Title, Creator, Published string
		Categories                []string
		ContentStart              string
		Paragraphs                int
	}
	const wantLead = "<p>PORT ALDER, Nov 29 (HWS) - The harbour authority in Port Alder"
	var creator string
	if len(first.Authors) > 0 {
		creator = first.Authors[0].Name
	}
	gotView := itemView{
		Title: first.Title, Creator: creator, Published: first.Published, Categories: first.Categories,
		ContentStart: first.Content[:min(len(first.Content), len(wantLead))],
		Paragraphs:   strings.Count(first.Content, "<p>"),
	}
	wantView := itemView{
		Title:        "Storm Brannagh shuts Port Alder harbour as gales strengthen",
		Creator:      "Mirela Ostrand",
		Published:    "Sat, 29 Nov 2025 09:30:00 +0000",
		Categories:   []string{"Weather", "Transport"},
		ContentStart: wantLead,
		Paragraphs:   4,
	}
	if diff := cmp.Diff(wantView, gotView); diff != "" {
		t.Errorf("first item mismatch (-want +got):\n%s", diff)
	}
	if first.DublinCoreExt == nil || len(first.DublinCoreExt.Creator) != 1 || first.DublinCoreExt.Creator[0] != "Mirela Ostrand" {
		t.Errorf("dc:creator = %+v, want Mirela Ostrand", first.DublinCoreExt)
	}
}

func TestRunReleasesOneMorePerInterval(t *testing.T) {
	a := demo.New(demo.Config{Interval: 100 * time.Millisecond, UpdateAfter: time.Hour})
	srv := startAgency(t, a)

	before := waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 })
	if n := len(before.feed.Items); n != demo.InitialRelease {
		t.Fatalf("%d items right after start, want %d", n, demo.InitialRelease)
	}
	after := waitForFeed(t, srv, "a fourth item", func(f *gofeed.Feed) bool { return len(f.Items) > demo.InitialRelease })
	wantGUIDs := append([]string{"urn:harbourwire:hws-0004"}, guids(before.feed)...)
	if diff := cmp.Diff(wantGUIDs, guids(after.feed)[:4]); diff != "" {
		t.Errorf("after one interval, guids mismatch (-want +got):\n%s", diff)
	}
	if after.etag == before.etag {
		t.Errorf("ETag stayed %s after a release, want a new one", after.etag)
	}
	// All 13 come out, and then the feed stops growing.
	all := waitForFeed(t, srv, "13 items", func(f *gofeed.Feed) bool { return len(f.Items) >= 13 })
	time.Sleep(300 * time.Millisecond)
	if got := getFeed(t, srv); len(got.feed.Items) != len(all.feed.Items) || got.etag != all.etag {
		t.Errorf("feed changed after every story was out: %d items, want %d", len(got.feed.Items), len(all.feed.Items))
	}
}

func TestRunUpdatesFirstStory(t *testing.T) {
	now := time.Date(2025, time.November, 29, 9, 30, 0, 0, time.UTC)
	// The release at start reads the clock first; the update, with no
	// further release due for an hour, reads it second and gets a time
	// 20 s on, so its pubDate is visibly new.
	var mu sync.Mutex
	calls := 0
	nowFunc := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls > 1 {
			return now.Add(20 * time.Second)
		}
		return now
	}
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: 300 * time.Millisecond, Now: nowFunc})
	srv := startAgency(t, a)

	before := waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 })
	const guid = "urn:harbourwire:hws-0001"
	old := itemByGUID(before.feed, guid)
	if old == nil {
		t.Fatalf("no item %s before the update", guid)
	}
	after := waitForFeed(t, srv, "the update", func(f *gofeed.Feed) bool {
		it := itemByGUID(f, guid)
		return it != nil && it.Title != old.Title
	})
	upd := itemByGUID(after.feed, guid)
	if !strings.HasPrefix(upd.Title, "UPDATE 1-") {
		t.Errorf("updated title = %q, want an UPDATE 1- headline", upd.Title)
	}
	if upd.Content == old.Content {
		t.Error("content unchanged by the update")
	}
	if !strings.HasPrefix(upd.Content, "<p>PORT ALDER, Nov 29 (HWS) - Port Alder harbour will stay closed") {
		t.Errorf("updated content starts %q, want the dateline and the new lead", upd.Content[:min(len(upd.Content), 80)])
	}
	if got, want := upd.Published, "Sat, 29 Nov 2025 09:30:20 +0000"; got != want {
		t.Errorf("updated pubDate = %q, want %q", got, want)
	}
	if got, want := guids(after.feed), []string{guid, "urn:harbourwire:hws-0003", "urn:harbourwire:hws-0002"}; !cmp.Equal(got, want) {
		t.Errorf("after the update guids = %v, want %v (same three, updated first)", got, want)
	}
	if after.etag == before.etag {
		t.Errorf("ETag stayed %s after the update, want a new one", after.etag)
	}
}

func TestRunTwice(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour})
	srv := startAgency(t, a)
	// Items in the feed show the first Run has started.
	waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Run(ctx); !errors.Is(err, demo.ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
}

func TestFeedConditionalGET(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour})
	srv := startAgency(t, a)
	current := waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 }).etag
	if current == "" || !strings.HasPrefix(current, `"`) {
		t.Fatalf("ETag = %q, want a quoted strong ETag", current)
	}

	tests := []struct {
		name        string
		ifNoneMatch string
		wantStatus  int
		wantBody    bool
	}{
		{"no validator", "", http.StatusOK, true},
		{"current ETag", current, http.StatusNotModified, false},
		{"weak form of the current ETag", "W/" + current, http.StatusNotModified, false},
		{"current ETag in a list", `"stale", ` + current, http.StatusNotModified, false},
		{"any", "*", http.StatusNotModified, false},
		{"stale ETag", `"0123456789abcdef"`, http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+demo.FeedPath, nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := len(body) > 0; got != tt.wantBody {
				t.Errorf("body present = %v, want %v", got, tt.wantBody)
			}
			if got := resp.Header.Get("ETag"); got != current {
				t.Errorf("ETag = %q, want %q", got, current)
			}
		})
	}
}

// The demo runs on the operator's own machine, so wiredesk polls it with
// AllowPrivate; its validators must round-trip through the real fetcher.
func TestFeedThroughFetcher(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour})
	srv := startAgency(t, a)
	waitForFeed(t, srv, "items", func(f *gofeed.Feed) bool { return len(f.Items) > 0 })

	c := fetch.New(fetch.Config{})
	t.Cleanup(c.CloseIdleConnections)
	first, err := c.Get(t.Context(), &fetch.Request{URL: srv.URL + demo.FeedPath, AllowPrivate: true})
	if err != nil {
		t.Fatalf("first Get: %v", err)
	}
	if first.NotModified || len(first.Body) == 0 || first.ETag == "" {
		t.Fatalf("first Get = %d, %d bytes, ETag %q; want 200 with a body and an ETag", first.StatusCode, len(first.Body), first.ETag)
	}
	again, err := c.Get(t.Context(), &fetch.Request{URL: srv.URL + demo.FeedPath, ETag: first.ETag, AllowPrivate: true})
	if err != nil {
		t.Fatalf("conditional Get: %v", err)
	}
	if got, want := [2]any{again.StatusCode, again.NotModified}, [2]any{http.StatusNotModified, true}; got != want {
		t.Errorf("conditional Get = %v, want %v", got, want)
	}
}
