package ingest_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
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

// waitAfter polls the source once and returns how long after the poll its
// next attempt was set.
func (f *fixture) waitAfter(t *testing.T, id int64) (time.Duration, error) {
	t.Helper()
	ctx := context.Background()
	perr := f.poller.Poll(ctx, id)
	src, err := f.store.GetSourceByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if src.NextAttemptAt == nil {
		t.Fatalf("no next attempt after a poll (poll error %v)", perr)
	}
	return src.NextAttemptAt.Sub(f.now), perr
}

// The upstream's word lengthens the wait, never shortens it below the
// interval, and never pushes the source away for more than an hour.
func TestPollHonoursUpstream(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    time.Duration
		wantErr bool
	}{
		{"plain: the interval", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, threeItems)
		}, time.Minute, false},
		{"Cache-Control max-age", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=600")
			fmt.Fprint(w, threeItems)
		}, 10 * time.Minute, false},
		{"max-age under the interval", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=5")
			fmt.Fprint(w, threeItems)
		}, time.Minute, false},
		{"max-age of a day is capped", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=86400")
			fmt.Fprint(w, threeItems)
		}, ingest.MaxUpstreamDelay, false},
		{"RSS ttl", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(threeItems, "<channel>", "<channel><ttl>30</ttl>", 1))
		}, 30 * time.Minute, false},
		{"429 Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "300")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, 5 * time.Minute, true},
		{"503 Retry-After of a day is capped", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "86400")
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}, ingest.MaxUpstreamDelay, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				f := newFixture(t, s)
				src := f.addSource(t, "wire", srv.URL)
				got, err := f.waitAfter(t, src.ID)
				if (err != nil) != tt.wantErr {
					t.Fatalf("Poll error = %v, want error %v", err, tt.wantErr)
				}
				// Retry-After is read against the wall clock; a second of
				// slack.
				if got < tt.want-time.Second || got > tt.want {
					t.Errorf("next attempt %s after the poll, want %s", got, tt.want)
				}
			})
		})
	}
}

// An RSS ttl read from a full response still holds when the next answers
// are 304s, which carry no body.
func TestPollFeedTTLOutlivesNotModified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			fmt.Fprint(w, strings.Replace(threeItems, "<channel>", "<channel><ttl>20</ttl>", 1))
		}))
		defer srv.Close()
		f := newFixture(t, s)
		src := f.addSource(t, "wire", srv.URL)
		for i := range 3 {
			got, err := f.waitAfter(t, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != 20*time.Minute {
				t.Errorf("poll %d: next attempt in %s, want the feed's ttl of 20m", i, got)
			}
			f.now = f.now.Add(got)
		}
	})
}

// A quiet source slows down to MaxSlowdown times its interval; new items
// bring it back to its interval at once.
func TestPollAdaptiveInterval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		var body atomic.Value
		body.Store(threeItems)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, body.Load().(string))
		}))
		defer srv.Close()
		f := newFixture(t, s)
		src := f.addSource(t, "wire", srv.URL)
		var waits []time.Duration
		for range 9 {
			got, err := f.waitAfter(t, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			waits = append(waits, got)
			f.now = f.now.Add(got)
		}
		body.Store(rssFeed(
			[3]string{"w-4", "https://wire.example/4", "Breaking: ferry aground"},
			[3]string{"w-1", "https://wire.example/1", "Dam repairs finish early"},
		))
		got, err := f.waitAfter(t, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, got)
		// Quiet polls lengthen the interval by a quarter each, up to 4x;
		// the store keeps microseconds.
		want := []time.Duration{time.Minute} // the first poll brought items
		for d := time.Minute; len(want) < 9; {
			d = min(d+d/4, 4*time.Minute)
			want = append(want, d.Truncate(time.Microsecond))
		}
		want = append(want, time.Minute) // a new item: back to the interval
		if diff := cmp.Diff(want, waits); diff != "" {
			t.Errorf("waits between polls (-want +got):\n%s", diff)
		}
		stored, err := s.GetSourceByID(context.Background(), src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.CurrentInterval != time.Minute {
			t.Errorf("stored CurrentInterval = %s, want 1m", stored.CurrentInterval)
		}
	})
}

// Backoff grows from the interval, doubling, to MaxBackoff, and the source
// stays listed and scheduled however long it fails.
func TestPollBackoffIsCapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusBadGateway)
		}))
		defer srv.Close()
		f := newFixture(t, s)
		src := f.addSource(t, "wire", srv.URL)
		var waits []time.Duration
		for range 8 {
			got, err := f.waitAfter(t, src.ID)
			if err == nil {
				t.Fatal("poll of a 502 succeeded")
			}
			waits = append(waits, got)
			f.now = f.now.Add(got)
		}
		m := time.Minute
		want := []time.Duration{m, 2 * m, 4 * m, 8 * m, 16 * m, 30 * m, 30 * m, 30 * m}
		if diff := cmp.Diff(want, waits); diff != "" {
			t.Errorf("backoff (-want +got):\n%s", diff)
		}
		got, err := s.GetSourceByID(context.Background(), src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.SourceFailing || got.ConsecutiveFailures != 8 {
			t.Errorf("after 8 failures: %s with %d failures, want failing with 8", got.State, got.ConsecutiveFailures)
		}
	})
}

// While WebSub pushes a source's content, polling is a safety net every
// PushSafetyInterval; once the lease is over, normal polling resumes.
func TestPollWhilePushActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, threeItems) }))
		defer srv.Close()
		f := newFixture(t, s)
		f.now = time.Now().UTC().Truncate(time.Microsecond)
		src := f.addSource(t, "hubbed", srv.URL)
		ctx := context.Background()
		if err := s.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID, Until: f.now.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := f.waitAfter(t, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != ingest.PushSafetyInterval {
			t.Errorf("while pushed: next poll in %s, want %s", got, ingest.PushSafetyInterval)
		}
		if err := s.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID}); err != nil {
			t.Fatal(err)
		}
		got, err = f.waitAfter(t, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Normal polling: the 1m interval, a quarter longer for a poll
		// that brought nothing new.
		if got != 75*time.Second {
			t.Errorf("after push ended: next poll in %s, want 1m15s", got)
		}
	})
}

// Each kind of credentials reaches the upstream; a refused secret never
// appears in the source's health.
func TestPollSendsCredentials(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	tests := []struct {
		name string
		auth store.SourceAuth
		ok   func(r *http.Request) bool
	}{
		{"basic", store.SourceAuth{Kind: fetch.AuthBasic, Username: "desk", Secret: secret}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "desk" && p == secret
		}},
		{"bearer", store.SourceAuth{Kind: fetch.AuthBearer, Secret: secret}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+secret
		}},
		{"header", store.SourceAuth{Kind: fetch.AuthHeader, Name: "X-Api-Key", Secret: secret}, func(r *http.Request) bool {
			return r.Header.Get("X-Api-Key") == secret
		}},
		{"query", store.SourceAuth{Kind: fetch.AuthQuery, Name: "apikey", Secret: secret}, func(r *http.Request) bool {
			return r.URL.Query().Get("apikey") == secret
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !tt.ok(r) {
						http.Error(w, "who are you", http.StatusUnauthorized)
						return
					}
					fmt.Fprint(w, threeItems)
				}))
				defer srv.Close()
				f := newFixture(t, s)
				ctx := context.Background()
				src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "locked", URL: srv.URL, Agency: "Test Wire", Interval: time.Minute, AllowPrivate: true, Auth: tt.auth})
				if err != nil {
					t.Fatal(err)
				}
				if err := f.poller.Poll(ctx, src.ID); err != nil {
					t.Fatalf("poll with %s credentials: %v", tt.name, err)
				}
				if n, _ := s.CountStories(ctx); n != 3 {
					t.Errorf("stories = %d, want 3", n)
				}

				wrong := tt.auth
				wrong.Secret = "wrong-" + secret
				if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "locked", URL: srv.URL, Agency: "Test Wire", Interval: time.Minute, AllowPrivate: true, Auth: wrong}); err != nil {
					t.Fatal(err)
				}
				perr := f.poller.Poll(ctx, src.ID)
				if perr == nil {
					t.Fatal("poll with a wrong secret succeeded")
				}
				got, err := s.GetSourceByID(ctx, src.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, leak := range []string{secret, base64.StdEncoding.EncodeToString([]byte("desk:wrong-" + secret))} {
					if strings.Contains(got.LastError, leak) || strings.Contains(perr.Error(), leak) {
						t.Errorf("the secret shows in the error: %q / %q", got.LastError, perr)
					}
				}
			})
		})
	}
}

// blockingUpstream holds every request until released and counts how many
// it holds at once.
type blockingUpstream struct {
	release chan struct{}
	arrived chan struct{}
	now     atomic.Int32
	peak    atomic.Int32
}

func (b *blockingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := b.now.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	b.arrived <- struct{}{}
	<-b.release
	b.now.Add(-1)
	fmt.Fprint(w, threeItems)
}

// No more than HostLimit fetches run against one host at once; a poll
// that finds no free slot does nothing and says when to try again.
func TestPollHostLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		up := &blockingUpstream{release: make(chan struct{}), arrived: make(chan struct{}, 10)}
		srv := httptest.NewServer(up)
		defer srv.Close()
		f := newFixture(t, s)
		pipeline := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
		poller, err := ingest.NewPoller(ingest.PollerConfig{
			Store: s, Fetcher: fetch.New(fetch.Config{Timeout: 10 * time.Second}), Pipeline: pipeline,
			HostLimit: 2, HostWait: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 3 {
			ids = append(ids, f.addSource(t, fmt.Sprintf("s%d", i), fmt.Sprintf("%s/feed/%d", srv.URL, i)).ID)
		}
		ctx := context.Background()
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = poller.Poll(ctx, ids[i]) }()
		}
		<-up.arrived
		<-up.arrived
		// Both slots are held: the third poll waits HostWait, then gives up.
		errs[2] = poller.Poll(ctx, ids[2])
		close(up.release)
		wg.Wait()

		var busy *ingest.HostBusyError
		if !errors.As(errs[2], &busy) {
			t.Fatalf("third poll: %v, want a HostBusyError", errs[2])
		}
		if busy.PollAgainIn() <= 0 {
			t.Errorf("HostBusyError.PollAgainIn = %s, want a positive wait", busy.PollAgainIn())
		}
		for i := range 2 {
			if errs[i] != nil {
				t.Errorf("poll %d: %v", i, errs[i])
			}
		}
		if p := up.peak.Load(); p != 2 {
			t.Errorf("peak concurrent fetches = %d, want 2", p)
		}
		third, err := s.GetSourceByID(ctx, ids[2])
		if err != nil {
			t.Fatal(err)
		}
		if third.LastAttemptAt != nil || third.State != store.SourceNew {
			t.Errorf("the refused poll recorded an attempt (%v, %s); want nothing", third.LastAttemptAt, third.State)
		}
		// With the slots free, it goes through.
		if err := poller.Poll(ctx, ids[2]); err != nil {
			t.Errorf("third poll once the host is free: %v", err)
		}
	})
}

// A poll of a removed or paused source fetches nothing and records
// nothing.
func TestPollRemovedOrPaused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			fmt.Fprint(w, threeItems)
		}))
		defer srv.Close()
		f := newFixture(t, s)
		ctx := context.Background()
		removed := f.addSource(t, "removed", srv.URL)
		if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: "removed"}); err != nil {
			t.Fatal(err)
		}
		paused, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "paused", URL: srv.URL, Interval: time.Minute, AllowPrivate: true, Paused: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{removed.ID, paused.ID} {
			if err := f.poller.Poll(ctx, id); err != nil {
				t.Errorf("Poll(%d) = %v, want nil", id, err)
			}
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("%d fetches of removed and paused sources, want 0", n)
		}
	})
}
