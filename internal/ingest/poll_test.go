package ingest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// rssFeed builds an RSS 2.0 document; each item is guid, link, title.
func rssFeed(items ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title><link>https://wire.example/</link><description>t</description>`)
	for _, it := range items {
		b.WriteString("<item>")
		if it[0] != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, it[0])
		}
		if it[1] != "" {
			fmt.Fprintf(&b, `<link>%s</link>`, it[1])
		}
		fmt.Fprintf(&b, `<title>%s</title><description>&lt;p&gt;Body of %s.&lt;/p&gt;</description><pubDate>Sun, 29 Nov 2026 09:00:00 +0000</pubDate></item>`, it[2], it[2])
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

var threeItems = rssFeed(
	[3]string{"w-1", "https://wire.example/1", "Dam repairs finish early"},
	[3]string{"w-2", "https://wire.example/2", "Council approves budget"},
	[3]string{"w-3", "https://wire.example/3", "Rail strike called off"},
)

type fixture struct {
	store  store.Store
	poller *ingest.Poller
	now    time.Time
}

func newFixture(t *testing.T, s store.Store) *fixture {
	f := &fixture{store: s, now: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	p := ingest.NewPipeline(s, apply.New(s, nil, clock), nil, clock)
	poller, err := ingest.NewPoller(ingest.PollerConfig{
		Store: s, Fetcher: fetch.New(fetch.Config{Timeout: 5 * time.Second, MaxBytes: 10 << 20}), Pipeline: p, Now: clock,
		Jitter: func(d time.Duration) time.Duration { return d },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.poller = poller
	return f
}

func (f *fixture) addSource(t *testing.T, name, url string) *store.Source {
	t.Helper()
	src, err := f.store.UpsertSource(context.Background(), &store.UpsertSourceParams{
		Name: name, URL: url, Agency: "Test Wire", Interval: time.Minute, AllowPrivate: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestPollTenTimesLeavesOneStoryPerItem(t *testing.T) {
	for _, conditional := range []bool{false, true} {
		t.Run(fmt.Sprintf("conditional=%v", conditional), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				var full, notModified atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if conditional {
						w.Header().Set("ETag", `"v1"`)
						if r.Header.Get("If-None-Match") == `"v1"` {
							notModified.Add(1)
							w.WriteHeader(http.StatusNotModified)
							return
						}
					}
					full.Add(1)
					w.Header().Set("Content-Type", "application/rss+xml")
					fmt.Fprint(w, threeItems)
				}))
				defer srv.Close()
				f := newFixture(t, s)
				src := f.addSource(t, "wire", srv.URL)
				ctx := context.Background()
				for i := range 10 {
					f.now = f.now.Add(time.Minute)
					if err := f.poller.Poll(ctx, src.ID); err != nil {
						t.Fatalf("poll %d: %v", i, err)
					}
				}
				n, err := s.CountStories(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n != 3 {
					t.Errorf("CountStories after 10 polls = %d, want 3", n)
				}
				list, err := s.ListStories(ctx, &store.ListStoriesParams{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range list {
					if st.Versions != 1 {
						t.Errorf("story %q has %d versions, want 1", st.URI, st.Versions)
					}
				}
				if conditional && (full.Load() != 1 || notModified.Load() != 9) {
					t.Errorf("conditional GET: %d full responses and %d 304s, want 1 and 9", full.Load(), notModified.Load())
				}
				got, err := s.GetSourceByID(ctx, src.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != store.SourceHealthy || got.LastError != "" || got.LastSuccessAt == nil {
					t.Errorf("source health = %s, last error %q, last success %v; want healthy", got.State, got.LastError, got.LastSuccessAt)
				}
			})
		})
	}
}

func TestPollBadInputs(t *testing.T) {
	huge := strings.Repeat("x", 11<<20)
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: the source is unreachable
		wantErr string
	}{
		{name: "unreachable", handler: nil, wantErr: "connection refused"},
		{name: "html page", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Moved</title></head><body><p>This feed has moved.</p></body></html>")
		}, wantErr: "HTML"},
		{name: "truncated feed", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, threeItems[:len(threeItems)/2])
		}, wantErr: "decode"},
		{name: "response over 10 MB", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`+huge)
		}, wantErr: "limit"},
		{name: "feed with no ids", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, rssFeed([3]string{"", "", "First"}, [3]string{"", "", "Second"}))
		}, wantErr: "no usable items"},
		{name: "HTTP 500", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream broke", http.StatusInternalServerError)
		}, wantErr: "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				ctx := context.Background()
				f := newFixture(t, s)
				var url string
				if tt.handler == nil {
					srv := httptest.NewServer(http.NotFoundHandler())
					url = srv.URL
					srv.Close()
				} else {
					srv := httptest.NewServer(tt.handler)
					defer srv.Close()
					url = srv.URL
				}
				good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, threeItems) }))
				defer good.Close()
				bad := f.addSource(t, "bad", url)
				other := f.addSource(t, "other", good.URL)

				err := f.poller.Poll(ctx, bad.ID)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Poll error = %v, want one containing %q", err, tt.wantErr)
				}
				got, err := s.GetSourceByID(ctx, bad.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(got.LastError, tt.wantErr) || got.State == store.SourceHealthy || got.LastErrorAt == nil {
					t.Errorf("source after failure: state %s, last error %q; want an error containing %q", got.State, got.LastError, tt.wantErr)
				}
				if got.NextAttemptAt == nil || !got.NextAttemptAt.After(f.now) {
					t.Errorf("failing source next attempt = %v, want a retry after %v (never dropped)", got.NextAttemptAt, f.now)
				}
				if n, _ := s.CountStories(ctx); n != 0 {
					t.Errorf("%d stories published from a bad delivery, want 0", n)
				}
				if err := f.poller.Poll(ctx, other.ID); err != nil {
					t.Fatalf("the other source failed too: %v", err)
				}
				if n, _ := s.CountStories(ctx); n != 3 {
					t.Errorf("other source gave %d stories, want 3", n)
				}
			})
		})
	}
}

// A feed whose items have links but no guids still publishes them once,
// with ids derived from the links, and the source's health says so.
func TestPollDerivesIDsFromLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, rssFeed(
				[3]string{"", "https://wire.example/a?utm_source=x", "Linked one"},
				[3]string{"", "https://wire.example/b", "Linked two"},
			))
		}))
		defer srv.Close()
		f := newFixture(t, s)
		src := f.addSource(t, "linked", srv.URL)
		ctx := context.Background()
		for range 3 {
			if err := f.poller.Poll(ctx, src.ID); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.CountStories(ctx); n != 2 {
			t.Errorf("CountStories = %d, want 2", n)
		}
		got, _ := s.GetSourceByID(ctx, src.ID)
		if !got.IDsDerived {
			t.Error("source health does not say its ids were derived from links")
		}
	})
}
