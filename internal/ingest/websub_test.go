package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// fakeHub is a WebSub hub: it records subscription requests and answers
// them with status; verification and publishing are driven by the test.
type fakeHub struct {
	mu       sync.Mutex
	requests []url.Values
	status   int
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, r.PostForm)
	status := h.status
	if status == 0 {
		status = http.StatusAccepted
	}
	w.WriteHeader(status)
}

func (h *fakeHub) setStatus(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = code
}

func (h *fakeHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.requests)
}

func (h *fakeHub) last(t *testing.T) url.Values {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.requests) == 0 {
		t.Fatal("the hub received no subscription request")
	}
	return h.requests[len(h.requests)-1]
}

// webSubFixture is a feed upstream with its hub, and wiredesk's callback
// server, on one store and one test clock.
type webSubFixture struct {
	t        *testing.T
	store    store.Store
	hub      *fakeHub
	upstream *httptest.Server
	callback *httptest.Server
	sub      *ingest.Subscriber
	metrics  *prometheus.Registry
	source   *store.Source

	mu  sync.Mutex
	now time.Time
}

func (f *webSubFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *webSubFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

type webSubOptions struct {
	feedPath string
	enabled  func(string) bool
	retryMax time.Duration
}

func newWebSubFixture(t *testing.T, s store.Store, o webSubOptions) *webSubFixture {
	t.Helper()
	f := &webSubFixture{t: t, store: s, hub: &fakeHub{}, metrics: prometheus.NewRegistry(),
		now: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	mux := http.NewServeMux()
	mux.Handle("POST /hub", f.hub)
	mux.HandleFunc("GET /feed-header", func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		w.Header().Add("Link", fmt.Sprintf(`<%s/hub>; rel="hub", <%s/topic-header>; rel="self"`, base, base))
		fmt.Fprint(w, threeItems)
	})
	mux.HandleFunc("GET /feed-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>`+
			`<link rel="hub" href="/hub"/><link rel="self" href="http://%s/topic-body"/><entry><link rel="hub" href="/not-this"/></entry></feed>`, r.Host)
	})
	mux.HandleFunc("GET /feed-none", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, threeItems) })
	f.upstream = httptest.NewServer(mux)
	t.Cleanup(f.upstream.Close)

	var err error
	f.source, err = s.UpsertSource(t.Context(), &store.UpsertSourceParams{
		Name: "wire", URL: f.upstream.URL + o.feedPath, Agency: "Test Wire", Interval: time.Minute, AllowPrivate: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pipeline := ingest.NewPipeline(s, apply.New(s, nil, f.clock), nil, f.clock)
	cbMux := http.NewServeMux()
	f.callback = httptest.NewServer(cbMux)
	t.Cleanup(f.callback.Close)
	fetcher := fetch.New(fetch.Config{Timeout: 5 * time.Second})
	t.Cleanup(fetcher.CloseIdleConnections)
	f.sub, err = ingest.NewSubscriber(ingest.SubscriberConfig{
		Store: s, Pipeline: pipeline, Fetcher: fetcher, PublicURL: f.callback.URL + "/",
		Enabled: o.enabled, RetryMax: o.retryMax, Now: f.clock, Metrics: f.metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sub.Register(cbMux)
	return f
}

func (f *webSubFixture) step() {
	f.t.Helper()
	if err := f.sub.Step(f.t.Context()); err != nil {
		f.t.Fatalf("Step: %v", err)
	}
}

func (f *webSubFixture) subscription() *store.WebSubSubscription {
	f.t.Helper()
	w, err := f.store.GetWebSubSubscription(f.t.Context(), f.source.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return w
}

// verify is the hub's verification GET; it returns the status and body.
func (f *webSubFixture) verify(callback string, q url.Values) (int, string) {
	f.t.Helper()
	resp, err := http.Get(callback + "?" + q.Encode())
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// subscribeAndVerify runs discovery and subscription, then has the hub
// verify with lease seconds; it returns the hub's request.
func (f *webSubFixture) subscribeAndVerify(lease string) url.Values {
	f.t.Helper()
	f.step()
	req := f.hub.last(f.t)
	code, body := f.verify(req.Get("hub.callback"), url.Values{
		"hub.mode": {"subscribe"}, "hub.topic": {req.Get("hub.topic")}, "hub.challenge": {"ch-1"}, "hub.lease_seconds": {lease},
	})
	if code != 200 || body != "ch-1" {
		f.t.Fatalf("verification = %d %q, want 200 echoing the challenge", code, body)
	}
	return req
}

// publish is the hub's content distribution.
func (f *webSubFixture) publish(callback, body, signature string) int {
	f.t.Helper()
	req, _ := http.NewRequest("POST", callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml")
	if signature != "" {
		req.Header.Set("X-Hub-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (f *webSubFixture) pushActiveUntil() *time.Time {
	f.t.Helper()
	src, err := f.store.GetSourceByID(f.t.Context(), f.source.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return src.PushActiveUntil
}

func (f *webSubFixture) counter(name, result string) float64 {
	f.t.Helper()
	mfs, err := f.metrics.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestWebSubDiscoverAndSubscribe(t *testing.T) {
	tests := []struct {
		name      string
		feedPath  string
		wantTopic string // path on the upstream
	}{
		{"hub in the Link header", "/feed-header", "/topic-header"},
		{"relative hub in the feed body", "/feed-body", "/topic-body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				f := newWebSubFixture(t, s, webSubOptions{feedPath: tt.feedPath})
				f.step()
				req := f.hub.last(t)
				callbackPrefix := f.callback.URL + "/websub/wire/"
				if req.Get("hub.mode") != "subscribe" || req.Get("hub.topic") != f.upstream.URL+tt.wantTopic ||
					!strings.HasPrefix(req.Get("hub.callback"), callbackPrefix) || len(req.Get("hub.secret")) < 32 ||
					req.Get("hub.lease_seconds") != "864000" {
					t.Fatalf("subscription request = %v, want subscribe to %s, callback under %s, a secret, 10 days", req, tt.wantTopic, callbackPrefix)
				}
				sub := f.subscription()
				token := strings.TrimPrefix(req.Get("hub.callback"), callbackPrefix)
				if sub.State != store.WebSubPending || sub.Token != token || sub.Secret != req.Get("hub.secret") ||
					sub.Hub != f.upstream.URL+"/hub" {
					t.Errorf("subscription = %+v, want pending with the request's token, secret and hub", sub)
				}
				if f.pushActiveUntil() != nil {
					t.Errorf("push active before verification")
				}
			})
		})
	}
}

func TestWebSubVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		f := newWebSubFixture(t, s, webSubOptions{feedPath: "/feed-header"})
		other, err := s.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: "other", URL: "https://elsewhere.example/feed", Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		_ = other
		f.step()
		req := f.hub.last(t)
		cb, topic := req.Get("hub.callback"), req.Get("hub.topic")
		good := func() url.Values {
			return url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.challenge": {"c-42"}, "hub.lease_seconds": {"3600"}}
		}
		with := func(k, v string) url.Values { q := good(); q.Set(k, v); return q }
		refused := []struct {
			name     string
			callback string
			q        url.Values
		}{
			{"wrong topic", cb, with("hub.topic", "https://evil.example/feed")},
			{"wrong token", cb[:len(cb)-4] + "0000", good()},
			{"token under another source's name", strings.Replace(cb, "/websub/wire/", "/websub/other/", 1), good()},
			{"unsubscribe we never asked for", cb, with("hub.mode", "unsubscribe")},
			{"no challenge", cb, with("hub.challenge", "")},
		}
		for _, r := range refused {
			if code, body := f.verify(r.callback, r.q); code != 404 || strings.Contains(body, "c-42") {
				t.Errorf("%s: %d %q, want 404 without the challenge", r.name, code, body)
			}
		}
		if got := f.subscription().State; got != store.WebSubPending {
			t.Fatalf("after refused verifications: state %s, want pending", got)
		}
		if code, body := f.verify(cb, good()); code != 200 || body != "c-42" {
			t.Fatalf("verification = %d %q, want 200 c-42", code, body)
		}
		now := f.clock()
		sub := f.subscription()
		if sub.State != store.WebSubActive || sub.LeaseExpiresAt == nil || !sub.LeaseExpiresAt.Equal(now.Add(time.Hour)) ||
			!sub.NextAttemptAt.Equal(now.Add(48*time.Minute)) {
			t.Errorf("verified subscription = %+v, want active, lease to now+1h, renewal at 80%%", sub)
		}
		// The source interval is 1 minute: the quiet window is the 15 minute floor.
		if got := f.pushActiveUntil(); got == nil || !got.Equal(now.Add(15*time.Minute)) {
			t.Errorf("PushActiveUntil = %v, want now + 15m", got)
		}
		if got := f.counter("wiredesk_websub_verifications_total", "refused"); got != float64(len(refused)) {
			t.Errorf("refused verifications counted %v, want %d", got, len(refused))
		}
	})
}

func TestWebSubContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		f := newWebSubFixture(t, s, webSubOptions{feedPath: "/feed-header"})
		req := f.subscribeAndVerify("864000")
		cb, secret := req.Get("hub.callback"), req.Get("hub.secret")
		feed := func(id string) string {
			return rssFeed([3]string{id, "https://wire.example/" + id, "Story " + id})
		}
		tests := []struct {
			name      string
			callback  string
			body      string
			signature func(body string) string
			wantCode  int
			wantNew   int
			wantCount string // counter label expected to go up
		}{
			{"signed sha256", cb, feed("a"), func(b string) string { return ingest.SignHubContent("sha256", secret, []byte(b)) }, 202, 1, "accepted"},
			{"signed sha1", cb, feed("b"), func(b string) string { return ingest.SignHubContent("sha1", secret, []byte(b)) }, 202, 1, "accepted"},
			{"signed sha512", cb, feed("c"), func(b string) string { return ingest.SignHubContent("sha512", secret, []byte(b)) }, 202, 1, "accepted"},
			{"same content again", cb, feed("a"), func(b string) string { return ingest.SignHubContent("sha256", secret, []byte(b)) }, 202, 0, "accepted"},
			{"unsigned", cb, feed("d"), func(string) string { return "" }, 202, 0, "unsigned"},
			{"signed with another secret", cb, feed("e"), func(b string) string { return ingest.SignHubContent("sha256", "guess", []byte(b)) }, 202, 0, "bad_signature"},
			{"body changed after signing", cb, feed("f"), func(b string) string { return ingest.SignHubContent("sha256", secret, []byte(feed("g"))) }, 202, 0, "bad_signature"},
			{"unknown method", cb, feed("h"), func(b string) string { return "md5=" + strings.Repeat("0", 32) }, 202, 0, "bad_signature"},
			{"signature not hex", cb, feed("i"), func(b string) string { return "sha256=zz" }, 202, 0, "bad_signature"},
			{"signed HTML error page", cb, "<html><body>oops</body></html>", func(b string) string { return ingest.SignHubContent("sha256", secret, []byte(b)) }, 202, 0, "undecodable"},
			{"unknown callback", cb[:len(cb)-4] + "0000", feed("j"), func(b string) string { return ingest.SignHubContent("sha256", secret, []byte(b)) }, 410, 0, ""},
		}
		for _, tt := range tests {
			before, err := s.CountStories(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			counted := f.counter("wiredesk_websub_deliveries_total", tt.wantCount)
			if code := f.publish(tt.callback, tt.body, tt.signature(tt.body)); code != tt.wantCode {
				t.Errorf("%s: answered %d, want %d", tt.name, code, tt.wantCode)
			}
			after, err := s.CountStories(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if after-before != tt.wantNew {
				t.Errorf("%s: %d new stories, want %d", tt.name, after-before, tt.wantNew)
			}
			if tt.wantCount != "" {
				if got := f.counter("wiredesk_websub_deliveries_total", tt.wantCount); got != counted+1 {
					t.Errorf("%s: %s counter %v, want %v", tt.name, tt.wantCount, got, counted+1)
				}
			}
		}
		if got := f.subscription().LastContentAt; got == nil {
			t.Errorf("LastContentAt not set after accepted content")
		}
	})
}

func TestWebSubLeaseRenewal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		f := newWebSubFixture(t, s, webSubOptions{feedPath: "/feed-header"})
		first := f.subscribeAndVerify("100") // renew at 80 s
		f.advance(79 * time.Second)
		f.step()
		if n := f.hub.count(); n != 1 {
			t.Fatalf("at 79%% of the lease: %d requests, want no renewal yet", n)
		}
		f.advance(2 * time.Second)
		f.step()
		if n := f.hub.count(); n != 2 {
			t.Fatalf("past 80%% of the lease: %d requests, want a renewal", n)
		}
		renewal := f.hub.last(t)
		for _, k := range []string{"hub.mode", "hub.topic", "hub.callback", "hub.secret"} {
			if renewal.Get(k) != first.Get(k) {
				t.Errorf("renewal %s = %q, want the subscription's %q", k, renewal.Get(k), first.Get(k))
			}
		}
		if got := f.subscription().State; got != store.WebSubActive {
			t.Errorf("while the renewal is unverified: state %s, want still active (the lease runs)", got)
		}
		code, _ := f.verify(renewal.Get("hub.callback"), url.Values{
			"hub.mode": {"subscribe"}, "hub.topic": {renewal.Get("hub.topic")}, "hub.challenge": {"ch-2"}, "hub.lease_seconds": {"100"},
		})
		if code != 200 {
			t.Fatalf("renewal verification: %d", code)
		}
		sub := f.subscription()
		if want := f.clock().Add(100 * time.Second); sub.LeaseExpiresAt == nil || !sub.LeaseExpiresAt.Equal(want) || sub.Failures != 0 {
			t.Errorf("after renewal: lease to %v, failures %d; want %v, 0", sub.LeaseExpiresAt, sub.Failures, want)
		}
		// The hub never verifies again: the lease runs out, and the
		// subscriber keeps asking, pending.
		f.advance(81 * time.Second)
		f.step()
		f.advance(time.Minute)
		f.step()
		if got := f.subscription(); got.State != store.WebSubPending || f.hub.count() != 4 {
			t.Errorf("after the lease ran out: state %s, %d requests; want pending and re-subscribing", got.State, f.hub.count())
		}
	})
}

func TestWebSubRetryBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		f := newWebSubFixture(t, s, webSubOptions{feedPath: "/feed-header", retryMax: 3 * time.Minute})
		f.hub.setStatus(http.StatusInternalServerError)
		f.step()
		sub := f.subscription()
		if sub.Failures != 1 || !strings.Contains(sub.LastError, "HTTP 500") || !sub.NextAttemptAt.Equal(f.clock().Add(time.Minute)) {
			t.Fatalf("after a failed request: %+v, want 1 failure, the error, a retry in 1m", sub)
		}
		// Backoff 1m, 2m, then capped at 3m.
		waits := []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute}
		for i, wait := range waits {
			f.advance(wait - time.Second)
			f.step()
			if n := f.hub.count(); n != i+1 {
				t.Fatalf("retry %d: a second early, %d requests, want %d", i+1, n, i+1)
			}
			f.advance(time.Second)
			f.step()
			if n := f.hub.count(); n != i+2 {
				t.Fatalf("retry %d: on time, %d requests, want %d", i+1, n, i+2)
			}
		}
		// The hub recovers and verifies: failures are forgotten.
		f.hub.setStatus(0)
		req := f.hub.last(t)
		code, _ := f.verify(req.Get("hub.callback"), url.Values{
			"hub.mode": {"subscribe"}, "hub.topic": {req.Get("hub.topic")}, "hub.challenge": {"x"}, "hub.lease_seconds": {"3600"},
		})
		if sub := f.subscription(); code != 200 || sub.Failures != 0 || sub.LastError != "" || sub.State != store.WebSubActive {
			t.Errorf("after verification: %d, %+v; want active with no failures", code, sub)
		}
	})
}

// A hub that goes quiet stops refreshing the push window, so the source
// falls back to normal polling once the window is over; a denial ends it
// at once.
func TestWebSubQuietHubFallsBackToPolling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		f := newWebSubFixture(t, s, webSubOptions{feedPath: "/feed-header"})
		req := f.subscribeAndVerify("864000")
		start := f.clock()
		f.advance(5 * time.Minute)
		body := rssFeed([3]string{"q-1", "https://wire.example/q-1", "Quiet"})
		if code := f.publish(req.Get("hub.callback"), body, ingest.SignHubContent("sha256", req.Get("hub.secret"), []byte(body))); code != 202 {
			t.Fatalf("publish: %d", code)
		}
		until := f.pushActiveUntil()
		if want := start.Add(20 * time.Minute); until == nil || !until.Equal(want) {
			t.Fatalf("after content: PushActiveUntil %v, want %v", until, want)
		}
		// Silence: the subscriber keeps working but never extends the window.
		for range 5 {
			f.advance(5 * time.Minute)
			f.step()
		}
		got := f.pushActiveUntil()
		if diff := cmp.Diff(until, got); diff != "" {
			t.Errorf("PushActiveUntil moved without content (-before +after):\n%s", diff)
		}
		if !got.Before(f.clock()) {
			t.Errorf("PushActiveUntil %v, want it passed at %v: polling resumes", got, f.clock())
		}

		// A denial ends push at once.
		code, _ := f.verify(req.Get("hub.callback"), url.Values{"hub.mode": {"denied"}, "hub.topic": {req.Get("hub.topic")}, "hub.reason": {"unsubscribed by publisher"}})
		if code != 200 {
			t.Fatalf("denial answered %d", code)
		}
		if got := f.pushActiveUntil(); got != nil && got.After(f.clock()) {
			t.Errorf("after denial: PushActiveUntil %v, want none", got)
		}
		if sub := f.subscription(); sub.State != store.WebSubPending || !strings.Contains(sub.LastError, "unsubscribed by publisher") {
			t.Errorf("after denial: %s %q, want pending with the reason", sub.State, sub.LastError)
		}
	})
}

func TestWebSubNoHubOrDisabled(t *testing.T) {
	tests := []struct {
		name     string
		feedPath string
		enabled  func(string) bool
	}{
		{"feed without a hub", "/feed-none", nil},
		{"websub off for the source", "/feed-header", func(name string) bool { return name != "wire" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				f := newWebSubFixture(t, s, webSubOptions{feedPath: tt.feedPath, enabled: tt.enabled})
				f.step()
				sub := f.subscription()
				if f.hub.count() != 0 || sub.State != store.WebSubNoHub || sub.Token != "" ||
					!sub.NextAttemptAt.Equal(f.clock().Add(ingest.DefaultWebSubRediscover)) {
					t.Errorf("%d hub requests, subscription %+v; want none, nohub, looked at again in a day", f.hub.count(), sub)
				}
			})
		})
	}
}

func TestWebSubRunEndsWithContext(t *testing.T) {
	s := dbtest.SQLite(t)
	p := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
	sub, err := ingest.NewSubscriber(ingest.SubscriberConfig{
		Store: s, Pipeline: p, Fetcher: fetch.New(fetch.Config{}), PublicURL: "https://news.example", Tick: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sub.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestNewSubscriberNeedsPublicURL(t *testing.T) {
	s := dbtest.SQLite(t)
	p := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
	for _, u := range []string{"", "news.example", "ftp://news.example", "/websub"} {
		if _, err := ingest.NewSubscriber(ingest.SubscriberConfig{Store: s, Pipeline: p, Fetcher: fetch.New(fetch.Config{}), PublicURL: u}); err == nil {
			t.Errorf("NewSubscriber with PublicURL %q succeeded, want an error", u)
		}
	}
}
