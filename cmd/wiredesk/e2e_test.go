package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines to write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startCommand runs a wiredesk subcommand in the background until the test
// ends, and fails the test if it returns an error.
func startCommand(t *testing.T, getenv func(string) string, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), &out, &out, getenv) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("wiredesk %s: %v\n%s", args[0], err, out.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("wiredesk %s did not stop within 15s of its context ending", args[0])
		}
	})
	return &out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var storyLink = regexp.MustCompile(`href="(/story/\d+/[^"]*)"`)

// waitForStories polls the home page until it links to at least n stories.
func waitForStories(t *testing.T, base string, n int, within time.Duration, log *syncBuffer) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := get(t, base+"/")
		if code == http.StatusOK {
			seen := map[string]bool{}
			var links []string
			for _, m := range storyLink.FindAllStringSubmatch(body, -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					links = append(links, m[1])
				}
			}
			if len(links) >= n {
				return links
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("home page did not link to %d stories within %s (last status %d)\nlog:\n%s", n, within, code, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const provenance = "without changes to its text. Not reviewed by an editor."

// TestServeEndToEnd boots `wiredesk serve` against a feed server and finds
// the feed's story on the site, on both stores.
func TestServeEndToEnd(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Northport Wire</title><link>https://northport.example/</link><description>wire</description>
<item><guid isPermaLink="false">np-0042</guid><link>https://northport.example/np-0042</link>
<title>Lighthouse keeper&#8217;s logbook found after 90 years</title>
<description>&lt;p&gt;NORTHPORT, Nov 29 (NPW) - A logbook kept at the Gull Point light since 1931 was found in a sea chest.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Sun, 29 Nov 2026 08:30:00 +0000</pubDate></item>
</channel></rss>`)
	}))
	defer feed.Close()

	backends := []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"sqlite", func(t *testing.T) map[string]string {
			return map[string]string{"WIREDESK_DATA": t.TempDir()}
		}},
		{"postgres", func(t *testing.T) map[string]string {
			pg := dbtest.Postgres(t)
			return map[string]string{"WIREDESK_DATABASE_URL": dbtest.PostgresURL() + "&search_path=" + pg.Schema()}
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			env := be.env(t)
			cfgFile := filepath.Join(t.TempDir(), "wiredesk.json")
			cfg, _ := json.Marshal(map[string]any{
				"sources": []map[string]any{{"name": "northport", "url": feed.URL, "agency": "Northport Wire", "interval": "5s", "allow_private": true}},
			})
			if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			env["WIREDESK_CONFIG"] = cfgFile
			env["WIREDESK_POLL_SCAN"] = "100ms"
			env["WIREDESK_LOG_LEVEL"] = "warn"
			var out bytes.Buffer
			if err := run(context.Background(), []string{"migrate"}, nil, &out, &out, envFunc(env)); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out.String())
			}
			addr := freeAddr(t)
			log := startCommand(t, envFunc(env), "serve", "--addr", addr)
			base := "http://" + addr

			links := waitForStories(t, base, 1, 20*time.Second, log)
			code, page := get(t, base+links[0])
			if code != http.StatusOK {
				t.Fatalf("story page %s: status %d", links[0], code)
			}
			for _, want := range []string{
				"Lighthouse keeper\u2019s logbook found after 90 years",
				"A logbook kept at the Gull Point light since 1931 was found in a sea chest.",
				"Published automatically from the Northport Wire feed, " + provenance,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("story page lacks %q", want)
				}
			}
			if strings.Contains(page, "<script>alert(1)") {
				t.Error("story page carries the feed's script")
			}
			if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz = %d, want 200", code)
			}
		})
	}
}

// TestDemoShowsStories is the README's first command: the demo shows at
// least three stories, each with the provenance line, within 30 seconds.
func TestDemoShowsStories(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{"WIREDESK_LOG_LEVEL": "warn"}
	log := startCommand(t, envFunc(env), "demo", "--addr", addr, "--data", t.TempDir())
	base := "http://" + addr
	links := waitForStories(t, base, 3, 30*time.Second, log)
	for _, l := range links {
		code, page := get(t, base+l)
		if code != http.StatusOK {
			t.Errorf("%s: status %d", l, code)
			continue
		}
		if !strings.Contains(page, provenance) {
			t.Errorf("%s lacks the provenance line", l)
		}
	}
}

func TestServeRefusesUnmigratedDatabase(t *testing.T) {
	env := map[string]string{"WIREDESK_DATA": t.TempDir()}
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", freeAddr(t)}, nil, &out, &out, envFunc(env))
	if err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("serve on an empty database: error %v, want one telling to run migrate", err)
	}
}

// g2Item is a one-item NewsML-G2 newsMessage.
func g2Item(version int, status, headline, ednote, body string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header><sent>2026-11-29T10:0%d:00Z</sent></header><itemSet>
<newsItem guid="urn:newsml:northport.example:2026:np-7" version="%d" standard="NewsML-G2" standardversion="2.29">
<itemMeta><itemClass qcode="ninat:text"/><provider literal="Northport Wire"/><versionCreated>2026-11-29T10:0%d:00Z</versionCreated>
<pubStatus qcode="stat:%s"/><edNote>%s</edNote></itemMeta>
<contentMeta><headline>%s</headline></contentMeta>
<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body><p>%s</p></body></html></inlineXML></contentSet>
</newsItem></itemSet></newsMessage>`, version, version, version, status, ednote, headline, body)
}

// storyOutputs are the outputs that list stories, besides the home page.
var storyOutputs = []string{
	"/section/news", "/search?q=aground",
	"/feed.rss", "/feed.atom", "/feed.json",
	"/section/news/feed.rss", "/section/news/feed.atom", "/section/news/feed.json",
	"/sitemap-news.xml", "/sitemap-1.xml",
}

// TestKillTakesStoryDownEverywhere: an agency kill arriving on a polled
// NewsML-G2 feed takes the story off the home page, the section page,
// search, every feed and the sitemaps, answers 410 with the agency's
// reason at its URL and its history, and a replay of the older version
// does not bring it back. Every output is fetched (and so cached) before
// the kill.
func TestKillTakesStoryDownEverywhere(t *testing.T) {
	var mu sync.Mutex
	payload := g2Item(1, "usable", "Ferry runs aground off Gull Point", "", "The ferry ran aground at dawn; all 40 passengers were taken off safely.")
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, payload)
	}))
	defer feed.Close()
	setFeed := func(p string) { mu.Lock(); payload = p; mu.Unlock() }

	env := map[string]string{"WIREDESK_DATA": t.TempDir(), "WIREDESK_POLL_SCAN": "100ms", "WIREDESK_LOG_LEVEL": "warn"}
	cfgFile := filepath.Join(t.TempDir(), "wiredesk.json")
	cfg, _ := json.Marshal(map[string]any{"sources": []map[string]any{{"name": "northport", "url": feed.URL, "interval": "5s", "allow_private": true}}})
	os.WriteFile(cfgFile, cfg, 0o600)
	env["WIREDESK_CONFIG"] = cfgFile
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, nil, &out, &out, envFunc(env)); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	addr := freeAddr(t)
	log := startCommand(t, envFunc(env), "serve", "--addr", addr)
	base := "http://" + addr
	links := waitForStories(t, base, 1, 20*time.Second, log)
	storyURL := base + links[0]
	// The story's permanent address, as feeds give it ("/story/1"), not
	// followed by another digit.
	storyRef := regexp.MustCompile(regexp.QuoteMeta(links[0][:strings.LastIndex(links[0], "/")]) + `\b`)
	for _, p := range storyOutputs {
		for range 2 {
			if code, body := get(t, base+p); code != http.StatusOK || !storyRef.MatchString(body) {
				t.Fatalf("%s before the kill: status %d, lists the story: %v", p, code, storyRef.MatchString(body))
			}
		}
	}

	setFeed(g2Item(2, "canceled", "KILL: Ferry runs aground off Gull Point", "Legal: wrong vessel named; do not use.", "This story has been withdrawn."))
	gone := func() bool {
		code, _ := get(t, storyURL)
		return code == http.StatusGone
	}
	deadline := time.Now().Add(20 * time.Second)
	for !gone() {
		if time.Now().After(deadline) {
			t.Fatalf("story still up 20s after the kill was on the feed\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The poll interval is 5s: the replay below is fetched at least once
	// before the checks.
	setFeed(g2Item(1, "usable", "Ferry runs aground off Gull Point", "", "The ferry ran aground at dawn; all 40 passengers were taken off safely."))
	time.Sleep(6 * time.Second)

	code, page := get(t, storyURL)
	if code != http.StatusGone || !strings.Contains(page, "Legal: wrong vessel named; do not use.") || strings.Contains(page, "aground at dawn") {
		t.Errorf("story URL after kill and replay: %d, want 410 naming the reason and without the text:\n%s", code, page)
	}
	if code, page := get(t, storyURL[:strings.LastIndex(storyURL, "/")]+"/history"); code != http.StatusGone || strings.Contains(page, "aground at dawn") {
		t.Errorf("history after kill: %d", code)
	}
	if _, home := get(t, base+"/"); strings.Contains(home, links[0]) || strings.Contains(home, "Gull Point") {
		t.Error("home page still lists the killed story")
	}
	// A section left without stories may answer 404; a listing without
	// the story is what counts.
	for _, p := range storyOutputs {
		if code, body := get(t, base+p); (code != http.StatusOK && code != http.StatusNotFound) || storyRef.MatchString(body) || strings.Contains(body, "Gull Point") {
			t.Errorf("%s after the kill: status %d, still lists the story: %v", p, code, storyRef.MatchString(body))
		}
	}
}
