package demo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"github.com/wiredesk/wiredesk/internal/demo"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
)

const waitLimit = 10 * time.Second

const (
	guid1 = "urn:newsml:harbourwire.example:2026:hws-0001"
	guid2 = "urn:newsml:harbourwire.example:2026:hws-0002"
	guid3 = "urn:newsml:harbourwire.example:2026:hws-0003"
	guid4 = "urn:newsml:harbourwire.example:2026:hws-0004"
)

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

// get fetches a feed and checks it is a 200 of the given media type.
func get(t *testing.T, srv *httptest.Server, path, wantType string) (body []byte, etag string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != wantType {
		t.Errorf("GET %s: Content-Type = %q, want %q", path, ct, wantType)
	}
	return body, resp.Header.Get("ETag")
}

// g2Feed is one fetch of the NewsML-G2 feed, decoded by the real decoder.
type g2Feed struct {
	items []story.Item
	etag  string
}

func (f g2Feed) item(guid string) *story.Item {
	for i := range f.items {
		if f.items[i].URI == guid {
			return &f.items[i]
		}
	}
	return nil
}

func (f g2Feed) guids() []string {
	var g []string
	for _, it := range f.items {
		g = append(g, it.URI)
	}
	return g
}

func getG2(t *testing.T, srv *httptest.Server) g2Feed {
	t.Helper()
	body, etag := get(t, srv, demo.FeedPath, "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8")
	items, err := newsmlg2.Decode(body, nil)
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", demo.FeedPath, err, body)
	}
	return g2Feed{items: items, etag: etag}
}

// waitForG2 polls the NewsML-G2 feed until cond holds for it, handing
// every fetch on the way to seen.
func waitForG2(t *testing.T, srv *httptest.Server, what string, seen func(g2Feed), cond func(g2Feed) bool) g2Feed {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		f := getG2(t, srv)
		if seen != nil {
			seen(f)
		}
		if cond(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed never had %s within %s; last had %d items", what, waitLimit, len(f.items))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasItems(f g2Feed) bool { return len(f.items) > 0 }

func killed(f g2Feed) bool {
	it := f.item(guid3)
	return it != nil && it.PubStatus == story.Canceled
}

func TestRunReleasesThreeAtStart(t *testing.T) {
	start := time.Date(2025, time.November, 29, 9, 30, 0, 0, time.UTC)
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour, CorrectAfter: time.Hour, KillAfter: time.Hour,
		Now: func() time.Time { return start }})
	srv := startAgency(t, a)

	got := waitForG2(t, srv, "items", nil, hasItems)
	// Released at the same instant, the latest released is listed first.
	if diff := cmp.Diff([]string{guid3, guid2, guid1}, got.guids()); diff != "" {
		t.Errorf("guids mismatch (-want +got):\n%s", diff)
	}
	for _, it := range got.items {
		if it.Version != "1" || it.PubStatus != story.Usable || len(it.Signals) > 0 || it.Source.Agency != demo.AgencyName {
			t.Errorf("item %s: version %s, %s, signals %v, agency %q; want a first usable version from %s",
				it.URI, it.Version, it.PubStatus, it.Signals, it.Source.Agency, demo.AgencyName)
		}
	}
}

// The demo's first minute, at test speed: every fetch on the way decodes,
// guids stay, versions only go up, and the update, the correction and the
// kill arrive in that order, each as a new version of its story.
func TestRunUpdatesCorrectsAndKills(t *testing.T) {
	a := demo.New(demo.Config{
		Interval:     time.Hour,
		UpdateAfter:  100 * time.Millisecond,
		CorrectAfter: 200 * time.Millisecond,
		KillAfter:    300 * time.Millisecond,
	})
	srv := startAgency(t, a)

	first := waitForG2(t, srv, "items", nil, hasItems)
	wantGUIDs := []string{guid1, guid2, guid3}
	version := map[string]int{}
	etagOf := map[string]string{} // feed ETag by the versions it carried
	seen := func(f g2Feed) {
		var guids []string
		var versions strings.Builder
		for _, it := range f.items {
			guids = append(guids, it.URI)
			v, err := strconv.Atoi(it.Version)
			if err != nil {
				t.Errorf("%s: version %q is not a number", it.URI, it.Version)
			}
			if prev := version[it.URI]; prev > v {
				t.Errorf("%s went from version %d back to %d", it.URI, prev, v)
			}
			version[it.URI] = v
			versions.WriteString(it.URI + "@" + it.Version + " ")
		}
		if diff := cmp.Diff(wantGUIDs, slices.Sorted(slices.Values(guids))); diff != "" {
			t.Errorf("guids mismatch (-want +got):\n%s", diff)
		}

		// A fetch showing a change shows the changes due before it: the
		// changed stories (1 updated, 2 corrected, 3 killed) are a prefix.
		var changed []bool
		for _, guid := range wantGUIDs {
			changed = append(changed, version[guid] > 1)
		}
		if n := slices.Index(changed, false); n >= 0 && slices.Contains(changed[n:], true) {
			t.Errorf("changes out of order: update, correction, kill made = %v", changed)
		}

		// Same content, same ETag; new content, new ETag.
		key := versions.String()
		if prev, ok := etagOf[key]; ok && prev != f.etag {
			t.Errorf("ETag went from %s to %s with the same versions %s", prev, f.etag, key)
		}
		for k, e := range etagOf {
			if k != key && e == f.etag {
				t.Errorf("ETag %s for both %s and %s", e, k, key)
			}
		}
		etagOf[key] = f.etag
	}
	seen(first)
	last := waitForG2(t, srv, "the kill", seen, killed)

	upd, cor, kill := last.item(guid1), last.item(guid2), last.item(guid3)
	type change struct {
		Version   string
		PubStatus story.PubStatus
		Signals   []string
		Headline  string
		EdNote    string
	}
	got := []change{
		{upd.Version, upd.PubStatus, upd.Signals, upd.Headline, upd.EdNote},
		{cor.Version, cor.PubStatus, cor.Signals, cor.Headline, cor.EdNote},
		{kill.Version, kill.PubStatus, kill.Signals, kill.Headline, kill.EdNote},
	}
	want := []change{
		{"2", story.Usable, []string{"update"}, "UPDATE 1-Storm Brannagh: Port Alder harbour shut overnight, 4,000 homes without power", ""},
		{"2", story.Usable, []string{"correction"}, "Coastal Assembly passes island ferry fare cap after all-night sitting",
			"Corrects the name of the transport minister in paragraph 2 to Esben Morlaine (previously misspelt as Esben Morlane)."},
		{"2", story.Canceled, nil, "KILL: Brennock Shipping Line posts first annual loss in nine years as freight rates slide",
			"Legal: the agency withdraws this story; do not use. The figures it reported were taken from draft accounts that Brennock Shipping Line had not released. Remove it from all platforms and archives."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the kill (-want +got):\n%s", diff)
	}
	if !strings.Contains(cor.BodyText, "Transport Minister Esben Morlaine,") || strings.Contains(cor.BodyText, "Morlane") {
		t.Errorf("corrected body still carries the misspelling or lost the name:\n%s", cor.BodyText)
	}
	if !strings.Contains(kill.BodyText, "is withdrawn") {
		t.Errorf("kill body = %q, want it to say the story is withdrawn", kill.BodyText)
	}
	// Dates are written to the second, and the changes come 100 ms apart.
	if upd.VersionCreated.After(*cor.VersionCreated) || cor.VersionCreated.After(*kill.VersionCreated) {
		t.Errorf("versionCreated update %v, correction %v, kill %v: want them in that order",
			upd.VersionCreated, cor.VersionCreated, kill.VersionCreated)
	}

	// Nothing is left to happen: the feed stays as it is, and a poller
	// holding its ETag gets 304.
	time.Sleep(150 * time.Millisecond)
	if again := getG2(t, srv); again.etag != last.etag {
		t.Errorf("ETag went from %s to %s with nothing left to change", last.etag, again.etag)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+demo.FeedPath, nil)
	req.Header.Set("If-None-Match", last.etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET after the kill: status %d, want 304", resp.StatusCode)
	}
}

func TestRunReleasesOneMorePerInterval(t *testing.T) {
	a := demo.New(demo.Config{Interval: 100 * time.Millisecond, UpdateAfter: time.Hour, CorrectAfter: time.Hour, KillAfter: time.Hour})
	srv := startAgency(t, a)

	before := waitForG2(t, srv, "items", nil, hasItems)
	if n := len(before.items); n != demo.InitialRelease {
		t.Fatalf("%d items right after start, want %d", n, demo.InitialRelease)
	}
	after := waitForG2(t, srv, "a fourth item", nil, func(f g2Feed) bool { return len(f.items) > demo.InitialRelease })
	wantGUIDs := append([]string{guid4}, before.guids()...)
	if diff := cmp.Diff(wantGUIDs, after.guids()[:4]); diff != "" {
		t.Errorf("after one interval, guids mismatch (-want +got):\n%s", diff)
	}
	if after.etag == before.etag {
		t.Errorf("ETag stayed %s after a release, want a new one", after.etag)
	}
	// All 13 come out, and then the feed stops growing.
	all := waitForG2(t, srv, "13 items", nil, func(f g2Feed) bool { return len(f.items) >= 13 })
	time.Sleep(300 * time.Millisecond)
	if got := getG2(t, srv); len(got.items) != len(all.items) || got.etag != all.etag {
		t.Errorf("feed changed after every story was out: %d items, want %d", len(got.items), len(all.items))
	}
}

// RSS cannot say correction or kill, but carries the same stories, each
// as its current text.
func TestRSSFeedCarriesTheSameStories(t *testing.T) {
	a := demo.New(demo.Config{
		Interval:     time.Hour,
		UpdateAfter:  10 * time.Millisecond,
		CorrectAfter: 20 * time.Millisecond,
		KillAfter:    30 * time.Millisecond,
	})
	srv := startAgency(t, a)
	g2 := waitForG2(t, srv, "the kill", nil, killed)

	body, etag := get(t, srv, demo.RSSFeedPath, "application/rss+xml; charset=utf-8")
	if etag == "" || etag == g2.etag {
		t.Errorf("RSS ETag = %q, want its own (the G2 one is %q)", etag, g2.etag)
	}
	feed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("parse RSS: %v\n%s", err, body)
	}
	if feed.FeedType != "rss" || feed.FeedVersion != "2.0" || feed.Title != demo.AgencyName {
		t.Errorf("feed is %s %s titled %q, want rss 2.0 titled %q", feed.FeedType, feed.FeedVersion, feed.Title, demo.AgencyName)
	}
	type view struct{ GUID, Title, Creator, ContentStart string }
	want := []view{
		{guid3, g2.item(guid3).Headline, "Oona Keswick", "<p>KESTRELMOUTH, Nov 29 (HWS) - The story headlined \"Brennock"},
		{guid2, g2.item(guid2).Headline, "Dario Fensholt", "<p>DUNMERE, Nov 29 (HWS) - The Coastal Assembly voted 41 to 37"},
		{guid1, g2.item(guid1).Headline, "Mirela Ostrand", "<p>PORT ALDER, Nov 29 (HWS) - Port Alder harbour will stay c"},
	}
	// The dateline's day is the release's: the clock is real.
	day := g2.item(guid1).FirstCreated.Format("Jan 2")
	if len(feed.Items) != len(want) {
		t.Fatalf("%d RSS items, want %d", len(feed.Items), len(want))
	}
	var got []view
	for i, it := range feed.Items {
		want[i].ContentStart = strings.Replace(want[i].ContentStart, "Nov 29", day, 1)
		var creator string
		if len(it.Authors) > 0 {
			creator = it.Authors[0].Name
		}
		got = append(got, view{it.GUID, it.Title, creator, it.Content[:min(len(it.Content), len(want[i].ContentStart))]})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RSS items mismatch (-want +got):\n%s", diff)
	}
	if items := feed.Items; len(items) == 3 && !strings.Contains(items[1].Content, "Esben Morlaine") {
		t.Errorf("RSS copy of the corrected story lacks the correction:\n%s", items[1].Content)
	}
}

func TestRunTwice(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour})
	srv := startAgency(t, a)
	// Items in the feed show the first Run has started.
	waitForG2(t, srv, "items", nil, hasItems)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Run(ctx); !errors.Is(err, demo.ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
}

func TestFeedConditionalGET(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour, CorrectAfter: time.Hour, KillAfter: time.Hour})
	srv := startAgency(t, a)
	waitForG2(t, srv, "items", nil, hasItems)

	for _, path := range []string{demo.FeedPath, demo.RSSFeedPath} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		current := resp.Header.Get("ETag")
		if current == "" || !strings.HasPrefix(current, `"`) {
			t.Fatalf("%s: ETag = %q, want a quoted strong ETag", path, current)
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
			t.Run(path+" "+tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
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
}

// The demo runs on the operator's own machine, so wiredesk polls it with
// AllowPrivate; its validators must round-trip through the real fetcher.
func TestFeedThroughFetcher(t *testing.T) {
	a := demo.New(demo.Config{Interval: time.Hour, UpdateAfter: time.Hour, CorrectAfter: time.Hour, KillAfter: time.Hour})
	srv := startAgency(t, a)
	waitForG2(t, srv, "items", nil, hasItems)

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
