package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// The push source of the latency benchmark.
const (
	benchSource = "bench"
	benchSecret = "whsec_YmVuY2ggc2VjcmV0IGZvciB3aXJlZGVzaw=="
	// benchWait is how long one story may take to appear or go; past it
	// the story counts as missed.
	benchWait = 10 * time.Second
)

// output is one place a story is seen: a page or feed of the running
// server, and how to tell whether it shows (or no longer shows) a story.
type output struct {
	name string
	// url is the address to fetch for a story.
	url func(st *pushedStory) string
	// shows reports whether the response shows the story.
	shows func(code int, body string, st *pushedStory) bool
}

// pushedStory is a story the benchmark pushed and follows.
type pushedStory struct {
	delivery *corpus.Delivery
	id       int64
	path     string
	headline string // as HTML and XML escape it
}

// latencyFigures are one store's latencies, per output and to the last.
type latencyFigures struct {
	visible, gone map[string][]time.Duration
	missedVisible int
	missedGone    int
	outputs       []string
	absent        []string
}

// benchLatency runs `wiredesk serve` in this process on a fresh store
// with a push source, pushes cfg.pushes stories to POST /ingest/bench,
// signed, and times each from the push until every output shows it; then
// kills each and times it until every output has dropped it.
func benchLatency(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Push to visible and kill to gone (%d stories)", cfg.pushes),
		header: []string{"store", "output", "visible p50", "visible p99", "gone p50", "gone p99"},
	}
	for _, storeName := range cfg.stores {
		f, err := latencyOn(ctx, env, cfg, storeName)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", storeName, err)
		}
		for _, name := range append(slices.Clone(f.outputs), "all") {
			v, g := f.visible[name], f.gone[name]
			slices.Sort(v)
			slices.Sort(g)
			sec.rows = append(sec.rows, []string{storeName, name, ms(percentile(v, 50)), ms(percentile(v, 99)), ms(percentile(g, 50)), ms(percentile(g, 99))})
		}
		note := fmt.Sprintf("%s: outputs measured: %s", storeName, strings.Join(f.outputs, ", "))
		if len(f.absent) > 0 {
			note += fmt.Sprintf("; not served by this build, so not measured: %s", strings.Join(f.absent, ", "))
		}
		if f.missedVisible+f.missedGone > 0 {
			note += fmt.Sprintf("; %d stories never appeared and %d never went within %s (left out of the figures)", f.missedVisible, f.missedGone, benchWait)
		}
		sec.notes = append(sec.notes, note+".")
	}
	sec.notes = append(sec.notes, "The clock starts when the signed push is sent and stops when the output, fetched over HTTP from the running server, shows the story "+
		"(or, for a kill, answers 410 or no longer lists it); \"all\" is until every output does. Outputs are polled one after another, so a figure includes the fetches of the outputs before it.")
	return sec, nil
}

func latencyOn(ctx context.Context, env *cmdEnv, cfg *benchConfig, storeName string) (*latencyFigures, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tmp, err := os.MkdirTemp("", "wiredesk-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// The store, migrated: the server refuses an unmigrated one.
	vars := map[string]string{"WIREDESK_LOG_LEVEL": "warn"}
	switch storeName {
	case "sqlite":
		vars["WIREDESK_DATA"] = filepath.Join(tmp, "data")
		b, err := openBackend(ctx, Config{Data: vars["WIREDESK_DATA"]}, logger)
		if err != nil {
			return nil, err
		}
		err = b.migrate(ctx, logger)
		b.store.Close()
		if err != nil {
			return nil, err
		}
	case "postgres":
		b, drop, err := benchPostgres(ctx, cfg.databaseURL)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintln(env.stderr, "bench:", err)
			}
		}()
		if err := b.migrate(ctx, logger); err != nil {
			return nil, err
		}
		vars["WIREDESK_DATABASE_URL"] = withSearchPath(cfg.databaseURL, b.store.(interface{ Schema() string }).Schema())
	}
	conf, _ := json.Marshal(map[string]any{"sources": []map[string]any{{
		// The source only takes pushes: paused, it is never polled.
		"name": benchSource, "url": "http://127.0.0.1:9/unused", "agency": "Bench Agency", "paused": true, "push_secret": benchSecret,
	}}})
	vars["WIREDESK_CONFIG"] = filepath.Join(tmp, "wiredesk.json")
	if err := os.WriteFile(vars["WIREDESK_CONFIG"], conf, 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()

	var (
		serverLog syncWriter
		served    = make(chan error, 1)
		wg        sync.WaitGroup
	)
	serverLog.w = env.stderr
	wg.Add(1)
	go func() {
		defer wg.Done()
		served <- run(ctx, []string{"serve", "--addr", addr}, strings.NewReader(""), &serverLog, &serverLog, func(k string) string { return vars[k] })
	}()
	// The server stops with ctx; wait for it before the store goes.
	defer func() {
		cancel()
		wg.Wait()
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := waitHealthy(ctx, client, base, served); err != nil {
		return nil, err
	}

	// The stories: first versions only, three formats (RSS cannot carry a
	// kill), written as if just now, one second apart so each new one is
	// the newest.
	var stories []*pushedStory
	err = corpus.New(corpus.Config{
		Seed: cfg.seed, Items: cfg.pushes, Mix: &corpus.Mix{},
		Formats: []string{corpus.FormatNewsMLG2, corpus.FormatNinjs, corpus.FormatNITF},
		Start:   time.Now().Add(-time.Duration(cfg.pushes+60) * time.Second), StoryGap: time.Second,
	}).Each(func(d *corpus.Delivery) error {
		stories = append(stories, &pushedStory{delivery: d, headline: html.EscapeString(d.Item.Headline)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Ensure first-seen order matches publication order on the home page.
	slices.SortStableFunc(stories, func(a, b *pushedStory) int {
		return a.delivery.Item.FirstCreated.Compare(*b.delivery.Item.FirstCreated)
	})

	outs, absent := latencyOutputs(ctx, client, base)
	f := &latencyFigures{visible: map[string][]time.Duration{}, gone: map[string][]time.Duration{}, absent: absent}
	for _, o := range outs {
		f.outputs = append(f.outputs, o.name)
	}

	bar := newProgress(env.stderr, "push "+storeName, len(stories))
	for i, st := range stories {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		start := time.Now()
		if err := push(ctx, client, base, st.delivery.Body, fmt.Sprintf("bench-%d", i)); err != nil {
			return nil, fmt.Errorf("push story %d: %w", i, err)
		}
		times, ok := follow(ctx, client, outs, st, start, true)
		if !ok {
			f.missedVisible++
		} else {
			record(f.visible, times)
		}
		bar.update(i + 1)
	}
	bar.done(len(stories))

	bar = newProgress(env.stderr, "kill "+storeName, len(stories))
	for i, st := range stories {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if st.id == 0 {
			continue // never appeared: nothing to take down
		}
		body, err := killOf(st.delivery)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := push(ctx, client, base, body, fmt.Sprintf("bench-kill-%d", i)); err != nil {
			return nil, fmt.Errorf("push kill %d: %w", i, err)
		}
		times, ok := follow(ctx, client, outs, st, start, false)
		if !ok {
			f.missedGone++
		} else {
			record(f.gone, times)
		}
		bar.update(i + 1)
	}
	bar.done(len(stories))
	return f, nil
}

// withSearchPath points a PostgreSQL URL's connections at schema.
func withSearchPath(url, schema string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

func waitHealthy(ctx context.Context, client *http.Client, base string, served <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-served:
			return fmt.Errorf("server stopped before it was ready: %v", err)
		default:
		}
		if resp, err := client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("server not healthy within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// homeLink finds a story's link on the home page by its headline.
func homeLink(body, headline string) (path string, id int64, ok bool) {
	re := regexp.MustCompile(`<a href="(/story/(\d+)/[^"]*)">` + regexp.QuoteMeta(headline) + `</a>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return "", 0, false
	}
	id, err := strconv.ParseInt(m[2], 10, 64)
	return m[1], id, err == nil
}

// latencyOutputs are the outputs this build serves: the home page and the
// story page always; the RSS feed and the ninjs API when they answer.
func latencyOutputs(ctx context.Context, client *http.Client, base string) (outs []output, absent []string) {
	outs = []output{
		{
			name: "home page",
			url:  func(*pushedStory) string { return base + "/" },
			shows: func(code int, body string, st *pushedStory) bool {
				if code != http.StatusOK {
					return false
				}
				if st.id == 0 {
					path, id, ok := homeLink(body, st.headline)
					if ok {
						st.path, st.id = path, id
					}
					return ok
				}
				return strings.Contains(body, fmt.Sprintf(`href="/story/%d/`, st.id))
			},
		},
		{
			name: "story page",
			url: func(st *pushedStory) string {
				if st.path == "" {
					return ""
				}
				return base + st.path
			},
			shows: func(code int, body string, st *pushedStory) bool {
				return code == http.StatusOK && strings.Contains(body, st.headline)
			},
		},
	}
	exists := func(path string) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if exists("/feed.rss") {
		outs = append(outs, output{
			name: "RSS feed",
			url:  func(*pushedStory) string { return base + "/feed.rss" },
			shows: func(code int, body string, st *pushedStory) bool {
				return code == http.StatusOK && st.id != 0 && strings.Contains(body, fmt.Sprintf("/story/%d/", st.id))
			},
		})
	} else {
		absent = append(absent, "RSS feed (/feed.rss)")
	}
	// The API's story route is probed with a story that cannot exist: a
	// build with the API answers 404 in JSON, one without it the site's
	// HTML 404 page.
	if apiServed(ctx, client, base) {
		outs = append(outs, output{
			name: "API",
			url: func(st *pushedStory) string {
				if st.id == 0 {
					return ""
				}
				return fmt.Sprintf("%s/api/v1/stories/%d", base, st.id)
			},
			shows: func(code int, _ string, _ *pushedStory) bool { return code == http.StatusOK },
		})
	} else {
		absent = append(absent, "API (/api/v1/stories/{id})")
	}
	return outs, absent
}

func apiServed(ctx context.Context, client *http.Client, base string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/stories/999999999", nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return strings.Contains(resp.Header.Get("Content-Type"), "json")
}

// follow polls the outputs in turn until each shows the story (visible)
// or no longer does (!visible), and returns the time each took from start
// and, as "all", until the last; false when benchWait passes first.
func follow(ctx context.Context, client *http.Client, outs []output, st *pushedStory, start time.Time, visible bool) (map[string]time.Duration, bool) {
	times := map[string]time.Duration{}
	for len(times) < len(outs) {
		if time.Since(start) > benchWait || ctx.Err() != nil {
			return times, false
		}
		for _, o := range outs {
			if _, done := times[o.name]; done {
				continue
			}
			url := o.url(st)
			if url == "" {
				continue // needs the story's id, which the home page gives
			}
			code, body := fetchPage(ctx, client, url)
			shown := o.shows(code, body, st)
			if !visible && o.name == "story page" {
				shown = code != http.StatusGone
			}
			if !visible && o.name == "API" {
				shown = code == http.StatusOK
			}
			if shown == visible {
				times[o.name] = time.Since(start)
			}
		}
	}
	times["all"] = time.Since(start)
	return times, true
}

func record(into map[string][]time.Duration, times map[string]time.Duration) {
	for k, v := range times {
		into[k] = append(into[k], v)
	}
}

func fetchPage(ctx context.Context, client *http.Client, url string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, ""
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// push sends a payload to the bench source as an agency does, signed as
// Standard Webhooks specifies, and wants 202.
func push(ctx context.Context, client *http.Client, base string, body []byte, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/ingest/"+benchSource, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", ingest.Sign(benchSecret, id, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("push answered %d: %s", resp.StatusCode, answer)
	}
	return nil
}

// killOf is the agency's kill of a delivered story: its next version,
// canceled, a minute later, in the same format.
func killOf(d *corpus.Delivery) ([]byte, error) {
	kill := *d.Item
	n, err := strconv.Atoi(kill.Version)
	if err != nil {
		return nil, fmt.Errorf("story %s has no numeric version to follow: %q", kill.URI, kill.Version)
	}
	kill.Version = strconv.Itoa(n + 1)
	at := kill.VersionCreated.Add(time.Minute)
	kill.VersionCreated = &at
	kill.PubStatus = story.Canceled
	kill.Signals = nil
	kill.EdNote = "Kill: the story is withdrawn. Do not use it."
	kill.BodyHTML = "<p>This story has been withdrawn by the agency.</p>"
	return corpus.Render(d.Format, &kill)
}

// syncWriter serializes the server's log lines onto the bench's stderr.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
