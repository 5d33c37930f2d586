package jobs_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/webhook"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// received is one request as a Standard Webhooks receiver saw it.
type received struct {
	ID      string
	Event   string
	StoryID int64
	State   string
	Reason  string
	URL     string
	HasItem bool
	Status  int // what the receiver answered
}

// receiver is a webhook endpoint that verifies every request the way a
// Standard Webhooks receiver does, with an independent implementation of
// the signature (the push endpoint's, internal/ingest), and answers what
// answer says.
type receiver struct {
	t      *testing.T
	secret string
	answer func(n int, body map[string]any) int
	// header is added to every answer.
	header http.Header

	mu       sync.Mutex
	requests []received
	bad      []string
}

func newReceiver(t *testing.T, answer func(n int, body map[string]any) int) (*receiver, *httptest.Server) {
	rc := &receiver{t: t, secret: testSecret, answer: answer}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	sec, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case id == "" || ts == "" || sigs == "":
		rc.bad = append(rc.bad, "missing webhook-* header")
	case err != nil:
		rc.bad = append(rc.bad, "webhook-timestamp "+ts+" is not Unix seconds")
	case time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute:
		rc.bad = append(rc.bad, "webhook-timestamp outside tolerance")
	case r.Header.Get("Content-Type") != "application/json":
		rc.bad = append(rc.bad, "content type "+r.Header.Get("Content-Type"))
	default:
		want := ingest.Sign(rc.secret, id, sec, body)
		ok := false
		for _, s := range strings.Fields(sigs) {
			ok = ok || hmac.Equal([]byte(s), []byte(want))
		}
		if !ok {
			rc.bad = append(rc.bad, "signature "+sigs+" does not verify")
		}
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		rc.bad = append(rc.bad, "body is not JSON: "+err.Error())
	}
	status := rc.answer(len(rc.requests), p)
	rec := received{ID: id, Status: status, HasItem: p["item"] != nil}
	rec.Event, _ = p["event"].(string)
	rec.State, _ = p["state"].(string)
	rec.Reason, _ = p["reason"].(string)
	rec.URL, _ = p["url"].(string)
	if f, ok := p["story_id"].(float64); ok {
		rec.StoryID = int64(f)
	}
	rc.requests = append(rc.requests, rec)
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		rc.t.Errorf("receiver refused requests: %q", rc.bad)
	}
	return append([]received(nil), rc.requests...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, waitFor)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wireItem(uri, version, headline string, signals ...string) *story.Item {
	now := time.Now().UTC()
	return &story.Item{
		URI: uri, Version: version, PubStatus: story.Usable, Type: "text", Signals: signals,
		VersionCreated: &now, Headline: headline, BodyText: headline + ". The harbour reopened today.",
		BodyHTML: "<p>" + headline + ". The harbour reopened today.</p>",
		Subjects: []story.Entity{{Code: "15000000", Name: "sport", Scheme: "http://cv.iptc.org/newscodes/subjectcode/"}},
		Source:   story.ItemSource{Format: "ninjs", Agency: "Example Press"},
	}
}

// outputsSetup is a running job runner with outputs configured, an
// applier feeding it, and a store to add webhooks to.
type outputsSetup struct {
	s       store.Store
	applier *apply.Applier
}

func startOutputs(t *testing.T, s store.Store, o *jobs.OutputsConfig) *outputsSetup {
	t.Helper()
	cfg := testConfig(t, s, func(context.Context, int64) error { return nil })
	if o.Sender == nil {
		o.Sender = webhook.New(webhook.Config{Timeout: 2 * time.Second})
	}
	if o.RetryBase == 0 {
		o.RetryBase = 50 * time.Millisecond
	}
	cfg.Outputs = o
	r := migratedRunner(t, s, cfg)
	startRunner(t, r)
	return &outputsSetup{s: s, applier: apply.New(s, r, nil)}
}

func (o *outputsSetup) addWebhook(t *testing.T, name, url string, events ...string) *store.Webhook {
	t.Helper()
	h, err := o.s.CreateWebhook(t.Context(), &store.CreateWebhookParams{
		Name: name, URL: url, Secret: testSecret, Events: events, Active: true, AllowPrivate: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (o *outputsSetup) apply(t *testing.T, it *story.Item) *apply.Result {
	t.Helper()
	res, err := o.applier.Apply(t.Context(), &apply.Params{Item: it})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (o *outputsSetup) log(t *testing.T, h *store.Webhook) []*store.WebhookDelivery {
	t.Helper()
	ds, err := o.s.ListWebhookDeliveries(t.Context(), &store.ListWebhookDeliveriesParams{WebhookID: h.ID})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// A story's life reaches a subscriber as published, updated, corrected and
// killed, in that order, each signed; the kill carries the reason and no
// text. A subscriber filtering on killed hears only the kill.
func TestWebhookStoryLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		rc, srv := newReceiver(t, func(int, map[string]any) int { return http.StatusNoContent })
		rcKills, srvKills := newReceiver(t, func(int, map[string]any) int { return http.StatusOK })
		o := startOutputs(t, s, &jobs.OutputsConfig{PublicURL: "https://news.example/"})
		o.addWebhook(t, "all", srv.URL+"/hook")
		o.addWebhook(t, "kills", srvKills.URL, webhook.EventKilled)

		res := o.apply(t, wireItem("life-1", "1", "Harbour reopens"))
		// Each change waits for the one before to reach the subscriber:
		// apart, their order is the apply order whatever the jobs do.
		eventually(t, "published delivered", func() bool { return len(rc.got()) == 1 })
		o.apply(t, wireItem("life-1", "2", "Harbour reopens after storm"))
		eventually(t, "updated delivered", func() bool { return len(rc.got()) == 2 })
		o.apply(t, wireItem("life-1", "3", "Harbour reopens after the storm", "correction"))
		eventually(t, "corrected delivered", func() bool { return len(rc.got()) == 3 })
		kill := wireItem("life-1", "4", "Kill")
		kill.PubStatus, kill.EdNote = story.Canceled, "Legal: withdrawn."
		o.apply(t, kill)
		eventually(t, "killed delivered", func() bool { return len(rc.got()) == 4 && len(rcKills.got()) == 1 })

		url := "https://news.example/story/" + strconv.FormatInt(res.StoryID, 10) + "/harbour-reopens"
		var ids []string
		got := rc.got()
		for i := range got {
			ids = append(ids, got[i].ID)
			got[i].ID, got[i].URL = "", strings.Split(got[i].URL, "?")[0]
		}
		want := []received{
			{Event: "published", StoryID: res.StoryID, State: "published", URL: url, HasItem: true, Status: 204},
			{Event: "updated", StoryID: res.StoryID, State: "published", URL: url, HasItem: true, Status: 204},
			{Event: "corrected", StoryID: res.StoryID, State: "published", URL: url, HasItem: true, Status: 204},
			{Event: "killed", StoryID: res.StoryID, State: "killed", Reason: "Legal: withdrawn.", Status: 204},
		}
		// The slug is the story's, from its first headline; compare the
		// path up to the id when the slug rule differs.
		opts := cmp.Comparer(func(a, b string) bool {
			return a == b || (strings.HasPrefix(a, "https://news.example/story/") && strings.HasPrefix(b, "https://news.example/story/") &&
				strings.Split(a, "/")[4] == strings.Split(b, "/")[4])
		})
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Errorf("deliveries received (-want +got):\n%s", diff)
		}
		if len(ids) == 4 && (ids[0] == ids[1] || !strings.HasPrefix(ids[0], "msg_")) {
			t.Errorf("webhook-ids %q: want distinct msg_ ids", ids)
		}
		kills := rcKills.got()
		if len(kills) != 1 || kills[0].Event != "killed" || kills[0].HasItem {
			t.Errorf("kill-only subscriber received %+v, want the kill alone, without the item", kills)
		}
	})
}

// A receiver failing with 503 holds its queue: nothing behind the failing
// delivery is sent until it succeeds, so the subscriber gets every event in
// order; the log shows each attempt.
func TestWebhookOrderAcrossFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		rc, srv := newReceiver(t, func(n int, _ map[string]any) int {
			if n < 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		o := startOutputs(t, s, &jobs.OutputsConfig{})
		h := o.addWebhook(t, "flaky", srv.URL)
		var want []int64
		for i := range 5 {
			res := o.apply(t, wireItem("order-"+strconv.Itoa(i), "1", "Story number "+strconv.Itoa(i)))
			want = append(want, res.StoryID)
		}
		// The receiver answers before the store records the answer: wait
		// for the log.
		eventually(t, "five deliveries delivered", func() bool {
			l := o.log(t, h)
			return len(l) == 5 && !slices.ContainsFunc(l, func(d *store.WebhookDelivery) bool { return d.State != store.DeliveryDelivered })
		})
		var order []int64
		for _, r := range rc.got() {
			if r.Status == 200 {
				order = append(order, r.StoryID)
			}
		}
		// Story events are fanned out by concurrent jobs, so the queue's
		// order is the fan-out's; what must hold is that the subscriber
		// got the queue in order, and every story once.
		log := o.log(t, h)
		var queued []int64
		for i := len(log) - 1; i >= 0; i-- {
			queued = append(queued, log[i].StoryID)
		}
		if diff := cmp.Diff(queued, order); diff != "" {
			t.Errorf("stories in the order received vs the queue's order (-queue +received):\n%s", diff)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(order))); diff != "" {
			t.Errorf("stories received (-want +got):\n%s", diff)
		}
		first := log[len(log)-1]
		var statuses []int
		for _, a := range first.AttemptLog {
			statuses = append(statuses, a.Status)
		}
		if diff := cmp.Diff([]int{503, 503, 503, 200}, statuses); diff != "" {
			t.Errorf("attempts of the first delivery (-want +got):\n%s", diff)
		}
		for _, d := range log {
			if d.State != store.DeliveryDelivered {
				t.Errorf("delivery %d (seq %d) is %s, want delivered", d.ID, d.Seq, d.State)
			}
		}
	})
}

// 410 Gone refuses a delivery for good: one attempt, marked failed, and the
// queue moves on. 429 is retried, honouring Retry-After; 408 too.
func TestWebhookStatusHandling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		seen := map[string]int{} // requests per headline; the receiver serializes calls
		rc, srv := newReceiver(t, func(_ int, p map[string]any) int {
			item, _ := p["item"].(map[string]any)
			hl := ""
			if hs, ok := item["headlines"].([]any); ok && len(hs) > 0 {
				hl, _ = hs[0].(map[string]any)["value"].(string)
			}
			seen[hl]++
			switch {
			case strings.HasPrefix(hl, "Gone"):
				return http.StatusGone
			case strings.HasPrefix(hl, "Busy") && seen[hl] == 1:
				return http.StatusTooManyRequests
			case strings.HasPrefix(hl, "Slow") && seen[hl] == 1:
				return http.StatusRequestTimeout
			}
			return http.StatusOK
		})
		rc.header = http.Header{"Retry-After": {"1"}}
		o := startOutputs(t, s, &jobs.OutputsConfig{})
		h := o.addWebhook(t, "picky", srv.URL)
		busy := o.apply(t, wireItem("st-busy", "1", "Busy receiver"))
		eventually(t, "busy delivered", func() bool { return len(o.log(t, h)) == 1 && o.log(t, h)[0].State != store.DeliveryPending })
		gone := o.apply(t, wireItem("st-gone", "1", "Gone receiver"))
		eventually(t, "gone settled", func() bool { l := o.log(t, h); return len(l) == 2 && l[0].State != store.DeliveryPending })
		slow := o.apply(t, wireItem("st-slow", "1", "Slow receiver"))
		eventually(t, "slow settled", func() bool { l := o.log(t, h); return len(l) == 3 && l[0].State != store.DeliveryPending })

		type row struct {
			StoryID  int64
			State    string
			Statuses []int
		}
		var got []row
		for _, d := range o.log(t, h) {
			r := row{StoryID: d.StoryID, State: d.State}
			for _, a := range d.AttemptLog {
				r.Statuses = append(r.Statuses, a.Status)
			}
			got = append(got, r)
		}
		want := []row{
			{StoryID: slow.StoryID, State: store.DeliveryDelivered, Statuses: []int{408, 200}},
			{StoryID: gone.StoryID, State: store.DeliveryFailed, Statuses: []int{410}},
			{StoryID: busy.StoryID, State: store.DeliveryDelivered, Statuses: []int{429, 200}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("delivery log (-want +got):\n%s", diff)
		}
		// The 429 asked for a second's wait, longer than RetryBase.
		if l := o.log(t, h); len(l) == 3 && len(l[2].AttemptLog) == 2 {
			if gap := l[2].AttemptLog[1].At.Sub(l[2].AttemptLog[0].At); gap < time.Second {
				t.Errorf("retry after a 429 with Retry-After: 1 came after %s", gap)
			}
		}
	})
}

// A receiver that never recovers: the delivery is given up after
// MaxAttempts, marked failed with why, and the queue moves on.
func TestWebhookGivesUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		_, srv := newReceiver(t, func(int, map[string]any) int { return http.StatusBadGateway })
		o := startOutputs(t, s, &jobs.OutputsConfig{MaxAttempts: 3, RetryBase: 20 * time.Millisecond})
		h := o.addWebhook(t, "down", srv.URL)
		o.apply(t, wireItem("down-1", "1", "First"))
		o.apply(t, wireItem("down-2", "1", "Second"))
		eventually(t, "both given up", func() bool {
			l := o.log(t, h)
			return len(l) == 2 && l[0].State == store.DeliveryFailed && l[1].State == store.DeliveryFailed
		})
		for _, d := range o.log(t, h) {
			if len(d.AttemptLog) != 3 || !strings.Contains(d.LastError, "gave up after 3 attempts") || d.LastStatus != 502 {
				t.Errorf("delivery %d: %d attempts, last error %q, status %d; want 3, gave up, 502", d.ID, len(d.AttemptLog), d.LastError, d.LastStatus)
			}
		}
	})
}

// A subscriber on a private address is refused unless allowed.
func TestWebhookRefusesPrivateAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		rc, srv := newReceiver(t, func(int, map[string]any) int { return http.StatusOK })
		o := startOutputs(t, s, &jobs.OutputsConfig{MaxAttempts: 1})
		h, err := s.CreateWebhook(t.Context(), &store.CreateWebhookParams{Name: "inside", URL: srv.URL, Secret: testSecret, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		o.apply(t, wireItem("private-1", "1", "Inside job"))
		eventually(t, "delivery settled", func() bool { l := o.log(t, h); return len(l) == 1 && l[0].State != store.DeliveryPending })
		d := o.log(t, h)[0]
		if d.State != store.DeliveryFailed || !strings.Contains(d.LastError, "refusing to connect to loopback address") {
			t.Errorf("delivery to loopback: state %s, error %q; want failed, refused", d.State, d.LastError)
		}
		if n := len(rc.got()); n != 0 {
			t.Errorf("receiver on loopback got %d requests, want 0", n)
		}
	})
}

// hub is a WebSub hub that records publish pings.
type hub struct {
	mu    sync.Mutex
	pings []string
	bad   []string
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("hub.mode") != "publish" {
		h.bad = append(h.bad, r.Method+" "+r.PostForm.Encode())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.pings = append(h.pings, r.PostForm.Get("hub.url"))
	w.WriteHeader(http.StatusNoContent)
}

func (h *hub) got(t *testing.T) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) > 0 {
		t.Errorf("hub got bad pings: %q", h.bad)
	}
	return append([]string(nil), h.pings...)
}

// A burst of story events gives one ping per feed; a later event pings
// again.
func TestWebSubPings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		hb := &hub{}
		srv := httptest.NewServer(hb)
		t.Cleanup(srv.Close)
		const window = 2 * time.Second
		o := startOutputs(t, s, &jobs.OutputsConfig{PublicURL: "https://news.example", WebSubHub: srv.URL, PingWindow: window})
		start := time.Now()
		const events = 6
		for i := range events {
			o.apply(t, wireItem("burst-"+strconv.Itoa(i), "1", "Burst "+strconv.Itoa(i)))
		}
		// Events are gathered per window of the clock: the burst gives one
		// ping per feed for each window it touched.
		windows := int(time.Now().Truncate(window).Sub(start.Truncate(window))/window) + 1
		want := []string{
			"https://news.example/feed.atom", "https://news.example/feed.json", "https://news.example/feed.rss",
			"https://news.example/section/sport/feed.atom", "https://news.example/section/sport/feed.json", "https://news.example/section/sport/feed.rss",
		}
		eventually(t, "pings after the burst", func() bool { return len(hb.got(t)) >= len(want) })
		time.Sleep(window)
		first := hb.got(t)
		counts := map[string]int{}
		for _, p := range first {
			counts[p]++
		}
		var feeds []string
		for f, n := range counts {
			feeds = append(feeds, f)
			if n > windows || n >= events {
				t.Errorf("feed %s pinged %d times for a burst of %d events over %d windows", f, n, events, windows)
			}
		}
		if diff := cmp.Diff(want, slices.Sorted(slices.Values(feeds))); diff != "" {
			t.Errorf("feeds pinged (-want +got):\n%s", diff)
		}
		o.apply(t, wireItem("burst-0", "2", "Burst 0 updated"))
		eventually(t, "pings after a later update", func() bool { return len(hb.got(t)) >= len(first)+len(want) })
	})
}
