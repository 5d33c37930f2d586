package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/wiredesk/wiredesk/internal/webhook"
)

var (
	flatDuration = flag.Duration("soak-duration", 20*time.Second, "how long TestFlatUnderLoad keeps its load on (make soak: 30m)")
	flatCSV      = flag.String("soak-csv", "", "file TestFlatUnderLoad also writes its samples under load to, as CSV")
)

const (
	flatPollAgency = "Flat Poll Wire"
	flatPushAgency = "Flat Push Wire"
	flatPushSecret = "flat-push-secret"
	flatHookSecret = "whsec_ZmxhdC1zb2FrLXdlYmhvb2stc2VjcmV0LTEyMzQ1Ng=="
	flatPassword   = "flat soak watcher password"
)

// flatPolled are the polled sources; the last one's stories are held for
// review, so the desk's live view has events to send.
var flatPolled = []string{"poll-a", "poll-b", "poll-held"}

// flatUpstream is an agency's feeds: every fetch brings a new item and
// often an update of an earlier one, until it is frozen. It remembers
// every text it served of every item.
type flatUpstream struct {
	mu     sync.Mutex
	frozen bool
	feeds  map[string]*flatFeed
}

type flatFeed struct {
	items []*flatItem
	// served is, by GUID, every text served.
	served map[string]map[string]bool
	// afterFreeze counts fetches once frozen.
	afterFreeze int
	rnd         *rand.Rand
}

type flatItem struct {
	guid string
	n    int // the item's number, which picks its words
	rev  int
	at   time.Time
}

func newFlatUpstream(seed uint64) *flatUpstream {
	u := &flatUpstream{feeds: map[string]*flatFeed{}}
	for i, name := range flatPolled {
		u.feeds[name] = &flatFeed{served: map[string]map[string]bool{}, rnd: rand.New(rand.NewPCG(seed, uint64(200+i)))}
	}
	return u
}

func (u *flatUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/feed/")
	u.mu.Lock()
	f, ok := u.feeds[name]
	if !ok {
		u.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if u.frozen {
		f.afterFreeze++
	} else {
		n := len(f.items)
		f.items = append(f.items, &flatItem{guid: fmt.Sprintf("flat-%s-%d", name, n), n: 1000*slices.Index(flatPolled, name) + n, at: time.Now().UTC().Truncate(time.Second)})
		if n > 0 && f.rnd.IntN(2) == 0 {
			// An update of one of the items still in the feed.
			f.items[max(0, n-10)+f.rnd.IntN(min(n, 10))].rev++
		}
	}
	window := f.items[max(0, len(f.items)-20):]
	items := make([]soakItem, 0, len(window))
	for _, it := range window {
		si := soakItem{GUID: it.guid, Title: fmt.Sprintf("Flat %s story %d", name, it.n), Body: storyWords(it.n) + ".", Published: it.at}
		if it.rev > 0 {
			si.Title += fmt.Sprintf(", update %d", it.rev)
			si.Body += fmt.Sprintf(" Update %d of the story.", it.rev)
		}
		if f.served[it.guid] == nil {
			f.served[it.guid] = map[string]bool{}
		}
		f.served[it.guid][si.Title+"\x00"+si.Body] = true
		items = append(items, si)
	}
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(soakRSS("Flat "+name, items))
}

func (u *flatUpstream) freeze() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.frozen = true
}

// fetchedAfterFreeze is the fewest fetches any feed had since the freeze.
func (u *flatUpstream) fetchedAfterFreeze() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	least := -1
	for _, f := range u.feeds {
		if least < 0 || f.afterFreeze < least {
			least = f.afterFreeze
		}
	}
	return least
}

// versionsServed is, by GUID, how many different texts were served.
func (u *flatUpstream) versionsServed() map[string]int {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]int{}
	for _, f := range u.feeds {
		for guid, texts := range f.served {
			out[guid] = len(texts)
		}
	}
	return out
}

// flatHook is the webhook subscriber: it checks each delivery's signature
// and keeps the message ids in the order they came.
type flatHook struct {
	mu       sync.Mutex
	ids      []string
	bad      []string
	received atomic.Int64
}

func (h *flatHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, perr := strconv.ParseInt(ts, 10, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil || perr != nil:
		h.bad = append(h.bad, fmt.Sprintf("%s: body %v, timestamp %q", id, err, ts))
	case !strings.Contains(" "+r.Header.Get("webhook-signature")+" ", " "+webhook.Signature(flatHookSecret, id, sec, body)+" "):
		h.bad = append(h.bad, id+": signature does not match")
	default:
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil || p.Event == "" || p.StoryID == 0 {
			h.bad = append(h.bad, fmt.Sprintf("%s: payload %v: %.200s", id, err, body))
		}
	}
	h.ids = append(h.ids, id)
	h.received.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// flatSample is one reading of the server and of the load.
type flatSample struct {
	at                                 time.Duration
	goroutines, heapInuse, nextGC, rss float64
	gcs                                float64
	stories, versions                  int64
	reads, pushes, hooks, sse          int64
}

const flatCSVHeader = "elapsed_s,goroutines,heap_inuse_bytes,next_gc_bytes,rss_bytes,gc_cycles,stories,versions,reads,pushes,webhooks_received,sse_events"

func (s flatSample) csv() string {
	return fmt.Sprintf("%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%d,%d,%d,%d,%d,%d", s.at.Seconds(), s.goroutines, s.heapInuse, s.nextGC, s.rss, s.gcs,
		s.stories, s.versions, s.reads, s.pushes, s.hooks, s.sse)
}

// flatLoad is what the load goroutines count and what they saw go wrong.
type flatLoad struct {
	reads, pushes atomic.Int64
	mu            sync.Mutex
	failures      []string
	// pushed is every version of a pushed story the server acknowledged.
	pushed map[string][]int
	// sse is every desk event id the live view sent, in order.
	sse           []int64
	sseReconnects int
}

func (l *flatLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 1000 {
		l.failures = append(l.failures, fmt.Sprintf(format, args...))
	}
}

// TestFlatUnderLoad runs `wiredesk serve` (the built binary, on SQLite)
// for -soak-duration under a steady load of everything it does at once:
// polled feeds bringing new items and updates, signed pushes of new
// stories, updates and kills, readers on every kind of page, a webhook
// subscriber and a desk's live view. It samples the server's goroutines
// and memory from /metrics, logs the samples as CSV, and checks that they
// stay flat after a warm-up, and that nothing was lost or doubled: every
// text served or pushed stored once, every story's newest event delivered
// to the subscriber once, in order, every desk event sent to the live
// view once.
func TestFlatUnderLoad(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("soak test skipped in -short mode")
	}
	dur := *flatDuration
	// The warm-up lets caches, pools and the runtime reach their working
	// size; what follows must stay level.
	warm := min(max(dur/4, 5*time.Second), 3*time.Minute)
	every := min(max(dur/60, time.Second), 10*time.Second)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d; load for %s, warm-up %s, a sample every %s", seed, dur, warm, every)
	ctx := t.Context()

	bin := buildWiredesk(t)
	up := newFlatUpstream(seed)
	feeds := httptest.NewServer(up)
	t.Cleanup(feeds.Close)
	hook := &flatHook{}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)

	var sources []map[string]any
	for _, name := range flatPolled {
		sources = append(sources, map[string]any{"name": name, "url": feeds.URL + "/feed/" + name, "agency": flatPollAgency, "interval": "5s", "allow_private": true})
	}
	sources = append(sources, map[string]any{"name": "push", "url": "https://push.example/unused.xml", "agency": flatPushAgency, "paused": true, "push_secret": flatPushSecret})
	data := t.TempDir()
	env := map[string]string{
		"WIREDESK_CONFIG":              writeSoakConfig(t, map[string]any{"sources": sources}),
		"WIREDESK_DATA":                data,
		"WIREDESK_LOG_LEVEL":           "warn",
		"WIREDESK_DESK_SECURE_COOKIES": "false",
		"WIREDESK_POLL_SCAN":           "250ms",
	}
	cli := func(stdin string, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		getenv := envFunc(map[string]string{"WIREDESK_CONFIG": env["WIREDESK_CONFIG"], "WIREDESK_DATA": data, "FLAT_HOOK_SECRET": flatHookSecret})
		if err := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, getenv); err != nil {
			t.Fatalf("wiredesk %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	cli("", "migrate")
	cli(flatPassword+"\n", "user", "add", "watcher", "--role", "editor")
	cli("", "webhook", "add", "flat-hook", "--url", hookSrv.URL+"/hook", "--allow-private", "--secret-env", "FLAT_HOOK_SECRET")
	token := strings.TrimSpace(cli("", "token", "add", "flat-reader", "--scope", "read:all"))

	sv := startSoakServe(t, bin, env)
	base := sv.base
	db, err := sql.Open("sqlite", filepath.Join(data, "wiredesk.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// The watcher holds one source's stories for review through the desk,
	// then keeps the desk's live view open.
	watcher := newDeskClient()
	if err := deskSignIn(watcher, base, "watcher", flatPassword); err != nil {
		t.Fatal(err)
	}
	_, page, err := deskGet(watcher, base+"/desk/rules")
	if err != nil {
		t.Fatal(err)
	}
	form, ok := parseForms(page)["/desk/rules/defaults"]
	if !ok {
		t.Fatalf("the rules page has no form for a source's default:\n%s", excerpt(page))
	}
	form.Set("source", "poll-held")
	form.Set("action", "hold")
	if code, body, _, err := deskPost(watcher, base+"/desk/rules/defaults", form); err != nil || code != http.StatusSeeOther {
		t.Fatalf("hold poll-held's stories: %d %v\n%s", code, err, excerpt(body))
	}

	load := &flatLoad{pushed: map[string][]int{}}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	sseCtx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	var wg, sseDone sync.WaitGroup
	sseDone.Add(1)
	go func() {
		defer sseDone.Done()
		flatWatch(sseCtx, watcher, base, load)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		flatPush(loadCtx, base, rand.New(rand.NewPCG(seed, 300)), load)
	}()
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flatRead(loadCtx, base, token, rand.New(rand.NewPCG(seed, uint64(400+i))), load)
		}()
	}

	metricsClient := &http.Client{Timeout: 30 * time.Second}
	sample := func(start time.Time) flatSample {
		s := flatSample{at: time.Since(start), reads: load.reads.Load(), pushes: load.pushes.Load(), hooks: hook.received.Load()}
		load.mu.Lock()
		s.sse = int64(len(load.sse))
		load.mu.Unlock()
		var body []byte
		resp, err := metricsClient.Get(base + "/metrics")
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			t.Errorf("/metrics at %s: %v", s.at, err)
		}
		m := promSamples(string(body))
		s.goroutines, s.heapInuse, s.nextGC, s.rss = m["go_goroutines"], m["go_memstats_heap_inuse_bytes"], m["go_memstats_next_gc_bytes"], m["process_resident_memory_bytes"]
		s.gcs = m["go_gc_duration_seconds_count"]
		db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM stories), (SELECT count(*) FROM story_versions)`).Scan(&s.stories, &s.versions)
		return s
	}
	start := time.Now()
	var samples []flatSample
	tick := time.NewTicker(every)
	defer tick.Stop()
	for time.Since(start) < dur {
		<-tick.C
		if !sv.running() {
			t.Fatalf("wiredesk serve exited under load: %v\n%s", sv.exitErr, tail(sv.log.String(), 40))
		}
		samples = append(samples, sample(start))
	}
	stopLoad()
	wg.Wait()
	var csv strings.Builder
	csv.WriteString(flatCSVHeader + "\n")
	for _, s := range samples {
		csv.WriteString(s.csv() + "\n")
	}
	t.Logf("samples under load:\n%s", csv.String())
	if *flatCSV != "" {
		if err := os.WriteFile(*flatCSV, []byte(csv.String()), 0o644); err != nil {
			t.Error(err)
		}
	}

	// Drain: every feed fetched twice more with nothing new (so all it
	// served before is in), every event fanned out and delivered, the
	// live view up to the last desk event.
	up.freeze()
	waitFor(t, 60*time.Second, "every feed fetched twice after the freeze", func() bool { return up.fetchedAfterFreeze() >= 2 })
	waitFor(t, 90*time.Second, "every story event fanned out and every delivery made", func() bool { return flatDrained(ctx, t, db) })
	var lastDeskEvent int64
	db.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM desk_events`).Scan(&lastDeskEvent)
	waitFor(t, 15*time.Second, "the live view caught up with the desk's events", func() bool {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.sse) > 0 && load.sse[len(load.sse)-1] >= lastDeskEvent
	})
	stopSSE()
	sseDone.Wait()
	// Idle, once drained: not part of the level check (nothing in flight
	// makes it low), but the last word on what was left running.
	last := sample(start)
	t.Logf("drained and idle: %s", last.csv())

	for _, f := range load.failures[:min(len(load.failures), 20)] {
		t.Errorf("under load: %s", f)
	}
	if len(load.failures) > 20 {
		t.Errorf("… and %d more failures under load", len(load.failures)-20)
	}
	if strings.Contains(sv.log.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", tail(sv.log.String(), 40))
	}
	t.Logf("%d reads, %d pushes, %d stories, %d versions, %d webhook deliveries, %d desk events live (%d reconnects)",
		last.reads, last.pushes, last.stories, last.versions, last.hooks, last.sse, load.sseReconnects)
	if last.reads == 0 || last.pushes == 0 || last.hooks == 0 || last.sse == 0 {
		t.Errorf("part of the load never happened (reads %d, pushes %d, webhooks %d, live desk events %d): the test proved little", last.reads, last.pushes, last.hooks, last.sse)
	}

	flatCheckStored(ctx, t, db, up, load)
	flatCheckWebhooks(ctx, t, db, hook)
	flatCheckLive(ctx, t, db, load)
	for _, v := range flatLevel(samples, warm) {
		t.Error(v)
	}
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// flatPush is an agency pushing, a few times a second: a new story, or a
// new version of one, or a kill of one (which is then left alone), until
// ctx ends. A push under way then is let finish, as an agency would.
func flatPush(ctx context.Context, base string, rnd *rand.Rand, load *flatLoad) {
	c := &http.Client{Timeout: 30 * time.Second}
	reqCtx := context.WithoutCancel(ctx)
	var live []string
	next := map[string]int{}
	for n := 0; ctx.Err() == nil; n++ {
		var uri, status string
		switch p := rnd.IntN(10); {
		case len(live) == 0 || p < 6:
			uri = fmt.Sprintf("urn:newsml:flat.example:2026:push-%d", n)
			live = append(live, uri)
			status = "usable"
		case p < 9:
			uri, status = live[rnd.IntN(len(live))], "usable"
		default:
			i := rnd.IntN(len(live))
			uri, status = live[i], "canceled"
			live = slices.Delete(live, i, i+1)
		}
		next[uri]++
		v := next[uri]
		k, _ := strconv.Atoi(uri[strings.LastIndexByte(uri, '-')+1:])
		code, answer, err := pushSigned(reqCtx, c, base, "push", flatPushSecret, soakG2(flatPushAgency, uri, 5000+k, v, status), fmt.Sprintf("msg_flat_%d", n))
		switch {
		case err != nil || code != http.StatusAccepted:
			load.fail("push %s version %d: %d %v %s", uri, v, code, err, answer)
		default:
			load.pushes.Add(1)
			load.mu.Lock()
			load.pushed[uri] = append(load.pushed[uri], v)
			load.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(100+rnd.IntN(200)) * time.Millisecond):
		}
	}
}

// flatRead is a reader: the home page for story links, then any of the
// site's pages, feeds, search and the API, a few dozen a second in all,
// until ctx ends. A request under way then is let finish: a reader who
// hangs up is not what the test measures.
func flatRead(ctx context.Context, base, token string, rnd *rand.Rand, load *flatLoad) {
	c := &http.Client{Timeout: 30 * time.Second}
	reqCtx := context.WithoutCancel(ctx)
	words := strings.Fields("harbour council storm ferry budget court minister union strike vote")
	var links []string
	for ctx.Err() == nil {
		path := "/"
		switch p := rnd.IntN(12); {
		case p == 1:
			path = []string{"/feed.rss", "/feed.atom", "/feed.json", "/sitemap-news.xml", "/sitemap.xml"}[rnd.IntN(5)]
		case p == 2:
			path = "/search?q=" + words[rnd.IntN(len(words))]
		case p == 3:
			path = "/api/v1/stories"
		case p >= 4 && len(links) > 0:
			l := links[rnd.IntN(len(links))]
			id := strings.Split(l, "/")[2]
			path = []string{l, l, "/story/" + id + "/history", "/api/v1/stories/" + id, "/api/v1/stories/" + id + "/versions"}[rnd.IntN(5)]
		}
		req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, base+path, nil)
		if strings.HasSuffix(path, "/versions") {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			load.fail("GET %s: %v", path, err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		load.reads.Add(1)
		switch {
		case err != nil:
			load.fail("GET %s: reading the body: %v", path, err)
		case resp.StatusCode >= 500:
			load.fail("GET %s: %d %.300s", path, resp.StatusCode, body)
		case path == "/" && resp.StatusCode == http.StatusOK:
			links = links[:0]
			for _, m := range storyLink.FindAllStringSubmatch(string(body), -1) {
				links = append(links, m[1])
			}
		}
		// A story taken down between the listing and the visit answers
		// 404 or 410: readers meet that, it is not a failure.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(20+rnd.IntN(40)) * time.Millisecond):
		}
	}
}

// flatWatch keeps the desk's live view open as a browser does: from the
// first event on, reconnecting with Last-Event-ID whenever the stream
// ends, until ctx ends.
func flatWatch(ctx context.Context, desk *http.Client, base string, load *flatLoad) {
	// The stream outlives any client timeout; the cookies are the desk
	// session's.
	c := &http.Client{Jar: desk.Jar}
	last := int64(0)
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/desk/events?last="+strconv.FormatInt(last, 10), nil)
		if last > 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
		}
		resp, err := c.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() == nil {
				load.fail("desk live view: %v", err)
				time.Sleep(time.Second)
			}
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					load.fail("desk live view: event id %q", v)
					continue
				}
				load.mu.Lock()
				load.sse = append(load.sse, id)
				load.mu.Unlock()
				last = id
			}
		}
		resp.Body.Close()
		if ctx.Err() == nil {
			load.mu.Lock()
			load.sseReconnects++
			load.mu.Unlock()
		}
	}
}

// flatDrained reports whether every story event has been fanned out and
// every webhook delivery made.
func flatDrained(ctx context.Context, t *testing.T, db *sql.DB) bool {
	var waiting int
	err := db.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM river_job WHERE kind IN ('story_event', 'webhook_deliver') AND state NOT IN ('completed', 'discarded', 'cancelled'))
		     + (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending')`).Scan(&waiting)
	if err != nil {
		t.Logf("drain: %v", err)
		return false
	}
	return waiting == 0
}

// flatCheckStored: every text a feed served is one version of its story,
// every push acknowledged one version, and nothing is stored twice.
func flatCheckStored(ctx context.Context, t *testing.T, db *sql.DB, up *flatUpstream, load *flatLoad) {
	stored := func(agency string) map[string]int {
		rows, err := db.QueryContext(ctx, `
			SELECT s.uri, count(v.id) FROM stories s LEFT JOIN story_versions v ON v.story_id = s.id
			WHERE s.agency = ? GROUP BY s.id`, agency)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var uri string
			var n int
			if err := rows.Scan(&uri, &n); err != nil {
				t.Fatal(err)
			}
			if _, dup := out[uri]; dup {
				t.Errorf("two stories for %s of %s", uri, agency)
			}
			out[uri] = n
		}
		return out
	}
	if diff := cmp.Diff(up.versionsServed(), stored(flatPollAgency)); diff != "" {
		t.Errorf("polled stories: versions stored per item differ from the texts the feeds served (-served +stored):\n%s", diff)
	}
	want := map[string]int{}
	for uri, vs := range load.pushed {
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		want[uri] = len(slices.Compact(sorted))
	}
	if diff := cmp.Diff(want, stored(flatPushAgency)); diff != "" {
		t.Errorf("pushed stories: versions stored differ from the pushes acknowledged (-pushed +stored):\n%s", diff)
	}
	var dups int
	db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM story_versions GROUP BY story_id, version_key HAVING count(*) > 1)`).Scan(&dups)
	if dups > 0 {
		t.Errorf("%d versions stored twice", dups)
	}
}

// flatCheckWebhooks: the subscriber's queue is numbered without gaps,
// every delivery was made and received once, in queue order, and every
// story event subscribers hear of was delivered, or superseded by a later
// event of its story that was (the newest of each story always is).
func flatCheckWebhooks(ctx context.Context, t *testing.T, db *sql.DB, hook *flatHook) {
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, b := range hook.bad {
		t.Errorf("webhook delivery refused by the subscriber: %s", b)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, seq, state, story_id, event_id FROM webhook_deliveries ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type delivery struct {
		id, seq, story, event int64
		state                 string
	}
	var ds []delivery
	for rows.Next() {
		var d delivery
		if err := rows.Scan(&d.id, &d.seq, &d.state, &d.story, &d.event); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	received := map[string]int{}
	for _, id := range hook.ids {
		received[id]++
	}
	var wantOrder []string
	eventsDelivered := map[int64]bool{}
	for i, d := range ds {
		msg := fmt.Sprintf("msg_wd%d", d.id)
		if d.seq != int64(i+1) {
			t.Errorf("delivery %d has seq %d, want %d: the queue has a gap or a repeat", d.id, d.seq, i+1)
		}
		if d.state != "delivered" {
			t.Errorf("delivery %d (seq %d) is %s, want delivered", d.id, d.seq, d.state)
		}
		if received[msg] != 1 {
			t.Errorf("delivery %d (seq %d, story %d) received %d times, want once", d.id, d.seq, d.story, received[msg])
		}
		wantOrder = append(wantOrder, msg)
		eventsDelivered[d.event] = true
	}
	// A delivery retried after a failed attempt would come twice; every
	// attempt here succeeds, so the order received is the queue's.
	if diff := cmp.Diff(wantOrder, hook.ids); diff != "" {
		t.Errorf("deliveries received differ from the queue, in order (-queue +received):\n%s", diff)
	}
	rows, err = db.QueryContext(ctx, `
		SELECT id, json_extract(args, '$.story_id'), json_extract(args, '$.event')
		FROM river_job WHERE kind = 'story_event' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	newest := map[int64]int64{}
	var events [][3]any
	for rows.Next() {
		var id, story int64
		var event string
		if err := rows.Scan(&id, &story, &event); err != nil {
			t.Fatal(err)
		}
		if webhook.EventFor(event) == "" {
			continue
		}
		newest[story] = id
		events = append(events, [3]any{id, story, event})
	}
	rows.Close()
	var lost []string
	for _, e := range events {
		id, story := e[0].(int64), e[1].(int64)
		if eventsDelivered[id] {
			continue
		}
		if id == newest[story] || !eventsDelivered[newest[story]] {
			lost = append(lost, fmt.Sprintf("%s of story %d (event %d)", e[2], story, id))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d story events never reached the subscriber, nor did a later event of their story: %s", len(lost), strings.Join(lost[:min(len(lost), 10)], "; "))
	}
	if len(events) == 0 {
		t.Error("no story event that subscribers hear of: the webhook check proved nothing")
	}
}

// flatCheckLive: the live view got every desk event once, in order.
func flatCheckLive(ctx context.Context, t *testing.T, db *sql.DB, load *flatLoad) {
	rows, err := db.QueryContext(ctx, `SELECT id FROM desk_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		want = append(want, id)
	}
	rows.Close()
	load.mu.Lock()
	defer load.mu.Unlock()
	if diff := cmp.Diff(want, load.sse); diff != "" {
		t.Errorf("desk events sent to the live view differ from the desk's event log (-log +sent):\n%s", diff)
	}
}

// The bounds on growth after the warm-up: an allowance for noise plus a
// rate, so that a short run (make check) catches a leak per request and
// the 30-minute run a slow one. A 10-minute run on 2 shared cores (about
// 60 reads, 5 pushes, 3 polls and 5 deliveries a second) gave the shape
// they are set against: goroutines 62 to 78 with one reading of 99,
// heap in use 8.5 to 14 MiB throughout, resident memory settling at 52
// to 59 MiB within the first three minutes.
//
//   - goroutines move with the requests in flight, so 25 of noise, against
//     medians; a leak of one per poll (36 a minute here), per delivery or
//     per request is far above 1 a minute.
//   - heap in use swings with the garbage collector's cycle: 16 MiB of
//     noise, against medians. The data grows but lives on disk, and the
//     in-process caches have fixed bounds, so 1 MiB a minute allows a
//     slow drift and catches a leak of 1 KiB per read (about 3.5 MiB a
//     minute here).
//   - resident memory is the heap plus what is not Go's heap, SQLite's
//     page caches above all, which fill as the database grows until their
//     bound: 24 MiB of noise and 1 MiB a minute, so that a leak outside
//     the Go heap (a statement or a result set never closed) shows too.
const (
	flatGoroutineNoise   = 25
	flatGoroutinesPerMin = 1
	flatHeapNoise        = 16 << 20
	flatHeapPerMin       = 1 << 20
	flatRSSNoise         = 24 << 20
	flatRSSPerMin        = 1 << 20
)

// flatLevel compares the end of the run with its start after the warm-up:
// the median of the first few samples after the warm-up against the
// median of the last few. It returns what grew past its bound.
//
// The warm-up lasts at least until the server has collected its garbage
// twice under the load: until then its heap still holds what start-up
// and the desk's sign-in left (a password hash takes 64 MiB), which would
// make the start look high and hide growth.
func flatLevel(samples []flatSample, warm time.Duration) []string {
	var after []flatSample
	for _, s := range samples {
		if s.at >= warm && len(samples) > 0 && s.gcs >= samples[0].gcs+2 {
			after = append(after, s)
		}
	}
	if len(after) < 4 {
		return []string{fmt.Sprintf("only %d samples after the warm-up of %s: too few to tell", len(after), warm)}
	}
	// Three samples at each end where there are six or more, so that one
	// burst (requests in flight at the moment of the last sample) is
	// outvoted; with two, their mean halves it.
	k := min(max(3, len(after)/10), len(after)/2)
	first, last := after[:k], after[len(after)-k:]
	minutes := (last[len(last)-1].at - first[0].at).Minutes()
	median := func(ss []flatSample, f func(flatSample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		sort.Float64s(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	var out []string
	for _, m := range []struct {
		name        string
		value       func(flatSample) float64
		noise, rate float64
		unit        float64
	}{
		{"goroutines", func(s flatSample) float64 { return s.goroutines }, flatGoroutineNoise, flatGoroutinesPerMin, 1},
		{"heap in use (MiB)", func(s flatSample) float64 { return s.heapInuse }, flatHeapNoise, flatHeapPerMin, 1 << 20},
		{"resident memory (MiB)", func(s flatSample) float64 { return s.rss }, flatRSSNoise, flatRSSPerMin, 1 << 20},
	} {
		from, to := median(first, m.value), median(last, m.value)
		if from == 0 || to == 0 {
			out = append(out, fmt.Sprintf("%s: not in /metrics", m.name))
			continue
		}
		if allowed := m.noise + m.rate*minutes; to-from > allowed {
			out = append(out, fmt.Sprintf("%s grew from %.1f to %.1f over %.1f minutes after the warm-up; allowed %.1f (%.1f + %.1f a minute)",
				m.name, from/m.unit, to/m.unit, minutes, allowed/m.unit, m.noise/m.unit, m.rate/m.unit))
		}
	}
	return out
}

// TestFlatLevel checks the judge of TestFlatUnderLoad on made-up runs: a
// level one passes, each kind of leak it is meant to catch fails, and the
// start-up heap before the first collections does not count.
func TestFlatLevel(t *testing.T) {
	// series is a run of n samples every 30s: level values with a little
	// noise, plus growth a minute from the start.
	series := func(n int, grow func(s *flatSample, minutes float64)) []flatSample {
		out := make([]flatSample, n)
		for i := range out {
			wobble := float64(i%5 - 2)
			s := flatSample{at: time.Duration(i) * 30 * time.Second, goroutines: 66 + 3*wobble,
				heapInuse: (10 + wobble) * (1 << 20), rss: (55 + wobble) * (1 << 20), gcs: float64(10 * i)}
			grow(&s, s.at.Minutes())
			out[i] = s
		}
		return out
	}
	level := func(*flatSample, float64) {}
	tests := []struct {
		name    string
		samples []flatSample
		want    []string // substrings of the violations, in order
	}{
		{"level", series(60, level), nil},
		{"a goroutine per poll", series(60, func(s *flatSample, m float64) { s.goroutines += 36 * m }), []string{"goroutines grew"}},
		{"1 KiB per read", series(60, func(s *flatSample, m float64) { s.heapInuse += 3.5 * m * (1 << 20) }), []string{"heap in use"}},
		{"a leak outside the heap", series(60, func(s *flatSample, m float64) { s.rss += 3 * m * (1 << 20) }), []string{"resident memory"}},
		{"a leak behind the sign-in's heap, before the first collections", series(60, func(s *flatSample, m float64) {
			s.heapInuse += 3.5 * m * (1 << 20)
			if m < 6 {
				s.heapInuse, s.gcs = 120<<20, 1
			}
		}), []string{"heap in use"}},
		{"a burst of requests in flight at the last sample", func() []flatSample {
			ss := series(20, level)
			ss[len(ss)-1].goroutines += 35
			return ss
		}(), nil},
		{"a goroutine per poll over a short run", series(20, func(s *flatSample, m float64) { s.goroutines += 36 * m }), []string{"goroutines grew"}},
		{"too short", series(5, level), []string{"too few"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flatLevel(tt.samples, 3*time.Minute)
			if len(got) != len(tt.want) {
				t.Fatalf("flatLevel = %q, want %d violations matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %d = %q, want it to name %q", i, got[i], w)
				}
			}
		})
	}
}
