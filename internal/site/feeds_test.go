package site

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"
	gofeedatom "github.com/mmcdole/gofeed/atom"
	gofeedrss "github.com/mmcdole/gofeed/rss"

	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

const (
	testPublicURL = "https://news.example"
	testHub       = "https://hub.example/"
)

// feedNewsroom is what seedFeedNewsroom stored.
type feedNewsroom struct {
	budget, ferry, killed, withheld, embargoed int64
}

// seedFeedNewsroom stores a story with HTML, one updated to a second
// version, one with plain text only, and stories no feed may show.
func seedFeedNewsroom(t *testing.T, s store.Store) feedNewsroom {
	t.Helper()
	var n feedNewsroom
	budget := item("dpa", "urn:newsml:dpa.com:20240305:budget", "Bundestag passes 2024 budget")
	budget.Language = "de"
	budget.BodyHTML = `<p>BERLIN (dpa) - The <a href="/politik/haushalt">budget</a> passed &amp; was signed.</p><script>alert(1)</script>`
	budget.Link = "https://dpa.example/news/budget"
	budget.Subjects = []story.Entity{{Code: "medtop:11000000", Name: "Politics"}}
	n.budget = putStory(t, s, version{item: budget, state: story.Published, at: t0})
	setSection(t, s, n.budget, "politics")

	ferry1 := item("Northport Wire", "np-ferry", "Ferry runs aground off Gull Point")
	ferry1.Version = "1"
	ferry1.BodyText = "The ferry ran aground at dawn.\n\nAll 40 passengers were taken off safely."
	ferry2 := *ferry1
	ferry2.Version = "2"
	ferry2.BodyText = "The ferry ran aground at dawn; the coastguard towed it free at noon.\n\nAll 40 passengers were taken off safely."
	n.ferry = putStory(t, s,
		version{item: ferry1, state: story.Published, at: t0.Add(time.Hour)},
		version{item: &ferry2, state: story.Published, at: t0.Add(3 * time.Hour)})
	setSection(t, s, n.ferry, "news")

	killed := item("Northport Wire", "np-killed", "Harbourmaster resigns")
	killed.BodyText = "Words that must vanish."
	n.killed = putStory(t, s,
		version{item: killed, state: story.Published, at: t0.Add(2 * time.Hour)},
		version{item: &story.Item{URI: "np-killed", Version: "2", PubStatus: story.Canceled, Headline: "KILL", Source: killed.Source}, state: story.Killed, at: t0.Add(4 * time.Hour)})
	withheld := item("Northport Wire", "np-withheld", "Withheld story")
	n.withheld = putStory(t, s, version{item: withheld, state: story.WithheldState, at: t0.Add(2 * time.Hour)})
	embargoed := item("Northport Wire", "np-embargoed", "Embargoed story")
	n.embargoed = putStory(t, s, version{item: embargoed, state: story.Embargoed, at: t0.Add(2 * time.Hour)})
	return n
}

func setSection(t *testing.T, s store.Store, id int64, section string) {
	t.Helper()
	if err := s.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.SetSection(ctx, id, section)
	}); err != nil {
		t.Fatal(err)
	}
}

func newOutputSite(t *testing.T, s store.Store, cfg Config) http.Handler {
	t.Helper()
	cfg.Store = s
	if cfg.PublicURL == "" {
		cfg.PublicURL = testPublicURL
	}
	site, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	return mux
}

func fetch(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

// publishedEntry is a feed entry as a reader sees it, whichever the format
// and whichever the parser.
type publishedEntry struct {
	ID, Link, Title string
	Published       time.Time
	Updated         time.Time
	Body            string
}

// wantEntries are the feed entries of seedFeedNewsroom, newest first, with
// the bodies as the story pages show them.
func wantEntries(n feedNewsroom) []publishedEntry {
	p := sanitize.New()
	base := testPublicURL + "/story/"
	prov := func(agency string) string {
		return "<p>" + strings.ReplaceAll(DefaultProvenance, "{agency}", agency) + "</p>"
	}
	budgetBody := p.HTML(`<p>BERLIN (dpa) - The <a href="https://dpa.example/politik/haushalt">budget</a> passed &amp; was signed.</p>`)
	return []publishedEntry{
		{
			ID: base + itoa(n.ferry), Link: base + itoa(n.ferry) + "/ferry-runs-aground-off-gull-point",
			Title: "Ferry runs aground off Gull Point", Published: t0.Add(time.Hour), Updated: t0.Add(3 * time.Hour),
			Body: "<p>The ferry ran aground at dawn; the coastguard towed it free at noon.</p><p>All 40 passengers were taken off safely.</p>" + prov("Northport Wire"),
		},
		{
			ID: base + itoa(n.budget), Link: base + itoa(n.budget) + "/bundestag-passes-2024-budget",
			Title: "Bundestag passes 2024 budget", Published: t0, Updated: t0,
			Body: budgetBody + prov("dpa"),
		},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// byGofeed reads a feed with gofeed's universal parser.
func byGofeed(t *testing.T, body string) []publishedEntry {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("gofeed: %v", err)
	}
	var out []publishedEntry
	for _, it := range f.Items {
		e := publishedEntry{ID: it.GUID, Link: it.Link, Title: it.Title, Body: it.Content}
		if it.PublishedParsed != nil {
			e.Published = it.PublishedParsed.UTC()
		}
		if it.UpdatedParsed != nil {
			e.Updated = it.UpdatedParsed.UTC()
		}
		// gofeed's RSS translation keeps atom:updated as an extension.
		if ext := it.Extensions["atom"]["updated"]; e.Updated.IsZero() && len(ext) > 0 {
			u, err := time.Parse(time.RFC3339, ext[0].Value)
			if err != nil {
				t.Errorf("atom:updated %q: %v", ext[0].Value, err)
			}
			e.Updated = u.UTC()
		}
		out = append(out, e)
	}
	return out
}

// byOurDecoder reads a feed the way wiredesk ingests one: the published
// body comes back as the item's body.
func byOurDecoder(t *testing.T, body string) []publishedEntry {
	t.Helper()
	res, err := decode.Decode([]byte(body), nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	var out []publishedEntry
	for _, it := range res.Items {
		e := publishedEntry{ID: it.URI, Link: it.Link, Title: it.Headline, Body: it.BodyHTML}
		if it.FirstCreated != nil {
			e.Published = it.FirstCreated.UTC()
		}
		if it.VersionCreated != nil {
			e.Updated = it.VersionCreated.UTC()
		}
		out = append(out, e)
	}
	return out
}

// TestFeedsRoundTrip parses each feed with gofeed and with wiredesk's own
// decoders, and gets back the headlines, links, ids, dates and bodies as
// published; stories that are killed, withheld or embargoed are absent.
func TestFeedsRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedFeedNewsroom(t, s)
		h := newOutputSite(t, s, Config{WebSubHub: testHub})
		want := wantEntries(n)
		for _, tc := range []struct {
			path, contentType, format string
		}{
			{"/feed.rss", "application/rss+xml; charset=utf-8", "rss"},
			{"/feed.atom", "application/atom+xml; charset=utf-8", "atom"},
			{"/feed.json", "application/feed+json; charset=utf-8", "jsonfeed"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				code, hdr, body := fetch(t, h, tc.path)
				if code != http.StatusOK || hdr.Get("Content-Type") != tc.contentType {
					t.Fatalf("status %d, Content-Type %q", code, hdr.Get("Content-Type"))
				}
				if got := hdr.Get("Cache-Control"); got != listCacheControl {
					t.Errorf("Cache-Control %q, want %q", got, listCacheControl)
				}
				if diff := cmp.Diff(want, byGofeed(t, body)); diff != "" {
					t.Errorf("gofeed (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want, byOurDecoder(t, body)); diff != "" {
					t.Errorf("our decoder (-want +got):\n%s", diff)
				}
				res, err := decode.Decode([]byte(body), nil)
				if err != nil || res.Format != tc.format {
					t.Errorf("decoded as %q (%v), want %q", res.Format, err, tc.format)
				}
				for _, gone := range []string{"Harbourmaster", "Words that must vanish", "Withheld story", "Embargoed story", "<script", "alert(1)"} {
					if strings.Contains(body, gone) {
						t.Errorf("feed carries %q", gone)
					}
				}
			})
		}
	})
}

// TestFeedsAdvertiseSelfAndHub: each feed names its own absolute URL and,
// when configured, the WebSub hub.
func TestFeedsAdvertiseSelfAndHub(t *testing.T) {
	s := dbtest.SQLite(t)
	seedFeedNewsroom(t, s)
	for _, hub := range []string{testHub, ""} {
		h := newOutputSite(t, s, Config{WebSubHub: hub})
		var wantHub []string
		if hub != "" {
			wantHub = []string{hub}
		}

		_, _, body := fetch(t, h, "/feed.rss")
		rf, err := (&gofeedrss.Parser{}).Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var self, hubs []string
		for _, l := range rf.Extensions["atom"]["link"] {
			switch l.Attrs["rel"] {
			case "self":
				self = append(self, l.Attrs["href"])
			case "hub":
				hubs = append(hubs, l.Attrs["href"])
			}
		}
		if diff := cmp.Diff([]string{testPublicURL + "/feed.rss"}, self); diff != "" {
			t.Errorf("rss self (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantHub, hubs); diff != "" {
			t.Errorf("rss hub (-want +got):\n%s", diff)
		}

		_, _, body = fetch(t, h, "/feed.atom")
		af, err := (&gofeedatom.Parser{}).Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		self, hubs = nil, nil
		for _, l := range af.Links {
			switch l.Rel {
			case "self":
				self = append(self, l.Href)
			case "hub":
				hubs = append(hubs, l.Href)
			}
		}
		if diff := cmp.Diff([]string{testPublicURL + "/feed.atom"}, self); diff != "" {
			t.Errorf("atom self (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantHub, hubs); diff != "" {
			t.Errorf("atom hub (-want +got):\n%s", diff)
		}

		_, _, body = fetch(t, h, "/feed.json")
		var jf struct {
			FeedURL string `json:"feed_url"`
			Hubs    []struct{ Type, URL string }
		}
		if err := json.Unmarshal([]byte(body), &jf); err != nil {
			t.Fatal(err)
		}
		hubs = nil
		for _, h := range jf.Hubs {
			if h.Type == "WebSub" {
				hubs = append(hubs, h.URL)
			}
		}
		if jf.FeedURL != testPublicURL+"/feed.json" {
			t.Errorf("json feed_url %q", jf.FeedURL)
		}
		if diff := cmp.Diff(wantHub, hubs); diff != "" {
			t.Errorf("json hubs (-want +got):\n%s", diff)
		}
	}
}

// TestFeedEntryUpdatedInPlace: a new version keeps the entry's id, with the
// new text and a later update time; a kill takes the entry out.
func TestFeedEntryUpdatedInPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedFeedNewsroom(t, s)
		h := newOutputSite(t, s, Config{})
		before := map[string][]publishedEntry{}
		for _, p := range []string{"/feed.rss", "/feed.atom", "/feed.json"} {
			_, _, body := fetch(t, h, p)
			before[p] = byOurDecoder(t, body)
		}
		budget := item("dpa", "urn:newsml:dpa.com:20240305:budget", "Bundestag passes 2024 budget")
		budget.Version = "2"
		budget.BodyHTML = "<p>BERLIN (dpa) - The budget passed; the vote was 390 to 280.</p>"
		putStory(t, s, version{item: budget, state: story.Published, at: t0.Add(5 * time.Hour)})
		killFerry := &story.Item{URI: "np-ferry", Version: "3", PubStatus: story.Canceled, Headline: "KILL", Source: story.ItemSource{Agency: "Northport Wire"}}
		putStory(t, s, version{item: killFerry, state: story.Killed, at: t0.Add(6 * time.Hour)})

		for _, p := range []string{"/feed.rss", "/feed.atom", "/feed.json"} {
			_, _, body := fetch(t, h, p)
			after := byOurDecoder(t, body)
			if len(after) != 1 {
				t.Fatalf("%s: %d entries after the kill, want 1: %+v", p, len(after), after)
			}
			var old publishedEntry
			for _, e := range before[p] {
				if e.ID == after[0].ID {
					old = e
				}
			}
			if old.ID == "" || old.ID != testPublicURL+"/story/"+itoa(n.budget) {
				t.Fatalf("%s: updated entry id %q is not the earlier one", p, after[0].ID)
			}
			if !strings.Contains(after[0].Body, "390 to 280") || strings.Contains(after[0].Body, "was signed") {
				t.Errorf("%s: updated body %q", p, after[0].Body)
			}
			if !after[0].Published.Equal(old.Published) || !after[0].Updated.Equal(t0.Add(5*time.Hour)) {
				t.Errorf("%s: published %v updated %v, want %v and %v", p, after[0].Published, after[0].Updated, old.Published, t0.Add(5*time.Hour))
			}
		}
	})
}

// TestSectionAndTagFeeds: a section's and a tag's feeds hold their stories
// only; a malformed name is not found.
func TestSectionAndTagFeeds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedFeedNewsroom(t, s)
		h := newOutputSite(t, s, Config{})
		for _, tc := range []struct {
			path      string
			wantCode  int
			wantIDs   []int64
			wantTitle string
		}{
			{"/section/politics/feed.atom", 200, []int64{n.budget}, "wiredesk: Politics"},
			{"/section/news/feed.rss", 200, []int64{n.ferry}, "wiredesk: News"},
			{"/section/weather/feed.json", 200, nil, "wiredesk: Weather"},
			{"/tag/subject/politics/feed.json", 200, []int64{n.budget}, "wiredesk: Politics"},
			{"/tag/place/nowhere/feed.rss", 200, nil, "wiredesk: nowhere"},
			{"/tag/colour/politics/feed.rss", 404, nil, ""},
			{"/section/Not%20A%20Slug/feed.rss", 404, nil, ""},
		} {
			t.Run(tc.path, func(t *testing.T) {
				code, _, body := fetch(t, h, tc.path)
				if code != tc.wantCode {
					t.Fatalf("status %d, want %d", code, tc.wantCode)
				}
				if code != 200 {
					return
				}
				f, err := gofeed.NewParser().ParseString(body)
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, it := range f.Items {
					id, err := strconv.ParseInt(strings.TrimPrefix(it.GUID, testPublicURL+"/story/"), 10, 64)
					if err != nil {
						t.Errorf("guid %q", it.GUID)
					}
					ids = append(ids, id)
				}
				if diff := cmp.Diff(tc.wantIDs, ids); diff != "" {
					t.Errorf("stories (-want +got):\n%s", diff)
				}
				if f.Title != tc.wantTitle {
					t.Errorf("title %q, want %q", f.Title, tc.wantTitle)
				}
			})
		}
	})
}

// TestFeedsGolden pins the bytes of each feed format.
func TestFeedsGolden(t *testing.T) {
	s := dbtest.SQLite(t)
	seedFeedNewsroom(t, s)
	h := newOutputSite(t, s, Config{WebSubHub: testHub})
	for _, name := range []string{"feed.rss", "feed.atom", "feed.json"} {
		_, _, body := fetch(t, h, "/"+name)
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), body); diff != "" {
			t.Errorf("%s (-golden +got):\n%s", name, diff)
		}
	}
}
