package site

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

var (
	jsonLD    = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	metaProp  = regexp.MustCompile(`<meta property="([^"]+)" content="([^"]*)">`)
	canonical = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
)

// storyHead fetches a story page and returns its JSON-LD, decoded into a
// generic value, its Open Graph properties in order and its canonical URL.
func storyHead(t *testing.T, h http.Handler, path string) (ld map[string]any, og [][2]string, canon string, body string) {
	t.Helper()
	rec := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", path, rec.Code)
	}
	body = rec.Body.String()
	scripts := jsonLD.FindAllStringSubmatch(body, -1)
	if len(scripts) != 1 {
		t.Fatalf("GET %s has %d JSON-LD scripts, want 1:\n%s", path, len(scripts), body)
	}
	if err := json.Unmarshal([]byte(scripts[0][1]), &ld); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, scripts[0][1])
	}
	for _, m := range metaProp.FindAllStringSubmatch(body, -1) {
		og = append(og, [2]string{m[1], html.UnescapeString(m[2])})
	}
	if m := canonical.FindStringSubmatch(body); m != nil {
		canon = html.UnescapeString(m[1])
	}
	return ld, og, canon, body
}

func TestStoryMetadata(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		room := seedReadingRoom(t, s)
		site, err := New(Config{Store: s, Logger: slog.New(slog.DiscardHandler), SiteName: "Harbour Daily", PublicURL: "https://news.example/"})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		site.Register(mux)

		path := fmt.Sprintf("/story/%d/rhine-floods-reach-k%%C3%%B6ln-old-town", room.floods)
		ld, og, canon, _ := storyHead(t, mux, path)
		url := "https://news.example" + path
		wantLD := map[string]any{
			"@context":         "https://schema.org",
			"@type":            "NewsArticle",
			"headline":         "Rhine floods reach Köln old town",
			"description":      "Das Hochwasser des Rheins erreichte am Dienstag die Altstadt. Die Feuerwehr sperrte das Ufer.",
			"datePublished":    "2024-03-05T09:30:00Z",
			"dateModified":     "2024-03-05T09:30:00Z",
			"author":           []any{map[string]any{"@type": "Person", "name": "Anna Schmidt"}},
			"publisher":        map[string]any{"@type": "Organization", "name": "Harbour Daily"},
			"articleSection":   "Environment",
			"keywords":         []any{"Environment", "Floods", "Köln", "Germany", "Feuerwehr Köln"},
			"inLanguage":       "de",
			"url":              url,
			"mainEntityOfPage": map[string]any{"@type": "WebPage", "@id": url},
			"sourceOrganization": map[string]any{
				"@type": "Organization", "name": "dpa",
			},
		}
		if diff := cmp.Diff(wantLD, ld); diff != "" {
			t.Errorf("JSON-LD (-want +got):\n%s", diff)
		}
		wantOG := [][2]string{
			{"og:type", "article"},
			{"og:site_name", "Harbour Daily"},
			{"og:title", "Rhine floods reach Köln old town"},
			{"og:url", url},
			{"og:description", "Das Hochwasser des Rheins erreichte am Dienstag die Altstadt. Die Feuerwehr sperrte das Ufer."},
			{"og:locale", "de"},
			{"article:published_time", "2024-03-05T09:30:00Z"},
			{"article:modified_time", "2024-03-05T09:30:00Z"},
			{"article:section", "Environment"},
			{"article:tag", "Environment"},
			{"article:tag", "Floods"},
			{"article:tag", "Köln"},
			{"article:tag", "Germany"},
			{"article:tag", "Feuerwehr Köln"},
		}
		if diff := cmp.Diff(wantOG, og); diff != "" {
			t.Errorf("Open Graph (-want +got):\n%s", diff)
		}
		if canon != url {
			t.Errorf("canonical = %q, want %q", canon, url)
		}
	})
}

// Without a configured public URL, links are built on the request's host.
func TestCanonicalFallsBackToRequestHost(t *testing.T) {
	s := dbtest.SQLite(t)
	id := putStory(t, s, version{item: item("AP", "urn:ap:host", "Host story"), state: story.Published, at: t0})
	h := newSite(t, s, io.Discard)
	path := fmt.Sprintf("/story/%d/host-story", id)
	_, _, canon, _ := storyHead(t, h, path)
	if want := "http://example.com" + path; canon != want {
		t.Errorf("canonical = %q, want %q", canon, want)
	}
}

// Agency copy that tries to end the script element, or to smuggle markup
// into the metadata, stays text: the JSON-LD still parses to the very
// words sent, and nothing but the one script element exists.
func TestMetadataEscapesAgencyCopy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		hostile := `</script><script>alert(1)</script> "quotes" & <!-- ` + "\u2028 line separator"
		it := item("AP", "urn:ap:hostile", hostile)
		it.Byline = `By <img src=x onerror=alert(2)>`
		it.Description = `Summary </SCRIPT ><b onmouseover=alert(3)>x</b>`
		it.Subjects = []story.Entity{{Name: `Tag "</script>"`}}
		id := putStory(t, s, version{item: it, state: story.Published, at: t0.Add(time.Minute)})
		h := newSite(t, s, io.Discard)

		ld, og, _, body := storyHead(t, h, fmt.Sprintf("/story/%d/%s", id, story.Slug(hostile)))
		got := map[string]any{"headline": ld["headline"], "description": ld["description"], "author": ld["author"], "keywords": ld["keywords"]}
		want := map[string]any{
			"headline":    hostile,
			"description": `Summary </SCRIPT ><b onmouseover=alert(3)>x</b>`,
			"author":      []any{map[string]any{"@type": "Person", "name": "<img src=x onerror=alert(2)>"}},
			"keywords":    []any{`Tag "</script>"`},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("JSON-LD fields (-want +got):\n%s", diff)
		}
		if n := strings.Count(strings.ToLower(body), "<script"); n != 1 {
			t.Errorf("page has %d <script elements, want only the JSON-LD one:\n%s", n, body)
		}
		for _, unsafe := range []string{"<img", "<b onmouseover"} {
			if strings.Contains(body, unsafe) {
				t.Errorf("page contains %q unescaped:\n%s", unsafe, body)
			}
		}
		// Inside the script element no "<" can start a tag or a comment,
		// and no line separator can end a line of old JavaScript parsers.
		script := jsonLD.FindStringSubmatch(body)[1]
		if strings.ContainsAny(script, "<>&\u2028") {
			t.Errorf("JSON-LD holds an unescaped <, >, & or U+2028:\n%s", script)
		}
		for _, p := range og {
			if p[0] == "og:title" && p[1] != hostile {
				t.Errorf("og:title = %q, want %q", p[1], hostile)
			}
		}
	})
}

func TestOGLocale(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"en", "en"}, {"en-GB", "en_GB"}, {"pt-br", "pt_BR"}, {"zh-Hant-TW", "zh"}, {" DE ", "de"},
	} {
		if got := ogLocale(tt.in); got != tt.want {
			t.Errorf("ogLocale(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthor(t *testing.T) {
	for _, tt := range []struct {
		byline, agency string
		want           schemaThing
	}{
		{"By Anna Schmidt", "dpa", schemaThing{Type: "Person", Name: "Anna Schmidt"}},
		{"BY JOHN DOE", "AP", schemaThing{Type: "Person", Name: "JOHN DOE"}},
		{"Maria Garcia, Reuters", "Reuters", schemaThing{Type: "Person", Name: "Maria Garcia, Reuters"}},
		{"  ", "AFP", schemaThing{Type: "Organization", Name: "AFP"}},
		{"By ", "AFP", schemaThing{Type: "Organization", Name: "AFP"}},
	} {
		if diff := cmp.Diff(tt.want, author(tt.byline, tt.agency)); diff != "" {
			t.Errorf("author(%q, %q) (-want +got):\n%s", tt.byline, tt.agency, diff)
		}
	}
}
