package site

import (
	"context"
	"fmt"
	"io"
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

// fileStory stores a story like putStory and files it under section.
func fileStory(t *testing.T, s store.Store, section string, versions ...version) int64 {
	t.Helper()
	id := putStory(t, s, versions...)
	err := s.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.SetSection(ctx, id, section)
	})
	if err != nil {
		t.Fatalf("file story %d under %s: %v", id, section, err)
	}
	return id
}

// kill puts a kill on show for a story, as apply does for a canceled item.
func kill(t *testing.T, s store.Store, it *story.Item, at time.Time) {
	t.Helper()
	killed := *it
	killed.PubStatus = story.Canceled
	killed.Version = "kill"
	putStory(t, s, version{item: &killed, state: story.Killed, at: at})
}

// readingRoom holds the stories seedReadingRoom stored.
type readingRoom struct {
	floods, harbour, football, killed int64
	killedItem                        *story.Item
}

// seedReadingRoom stores stories filed under sections with tags, one of
// them killed after publication.
func seedReadingRoom(t *testing.T, s store.Store) readingRoom {
	t.Helper()
	var room readingRoom

	floods := item("dpa", "urn:dpa:floods", "Rhine floods reach Köln old town")
	floods.Language = "de"
	floods.Byline = "By Anna Schmidt"
	floods.Dateline = &story.Dateline{Place: "Köln"}
	floods.BodyText = "Das Hochwasser des Rheins erreichte am Dienstag die Altstadt.\n\nDie Feuerwehr sperrte das Ufer."
	floods.Subjects = []story.Entity{{Code: "medtop:06000000", Name: "Environment", Scheme: "medtop"}, {Code: "medtop:20000170", Name: "Floods"}}
	floods.Places = []story.Entity{{Name: "Köln"}, {Name: "Germany"}}
	floods.Organisations = []story.Entity{{Name: "Feuerwehr Köln"}}
	room.floods = fileStory(t, s, "environment", version{item: floods, state: story.Published, at: t0})

	harbour := item("AP", "urn:ap:harbour", "Harbour strike halts exports at Hamburg")
	harbour.BodyText = "Dock workers walked out at dawn on Tuesday.\nThe harbour strike is the first in 20 years."
	harbour.Subjects = []story.Entity{{Name: "Labour"}}
	harbour.Places = []story.Entity{{Name: "Hamburg"}, {Name: "Germany"}}
	harbour.People = []story.Entity{{Name: "Olaf Scholz"}}
	room.harbour = fileStory(t, s, "business", version{item: harbour, state: story.Published, at: t0.Add(time.Hour)})

	football := item("PA", "urn:pa:football", "Cup final <b>goes</b> to extra time")
	football.BodyText = "The final went to extra time after a late equaliser."
	football.Subjects = []story.Entity{{Name: "Football"}}
	football.Places = []story.Entity{{Name: "Wembley"}}
	room.football = fileStory(t, s, "sport", version{item: football, state: story.Published, at: t0.Add(2 * time.Hour)})

	killed := item("Reuters", "urn:reuters:killed", "Killed headline must not appear")
	killed.BodyText = "Killed body must not appear. Harbour strike."
	killed.Subjects = []story.Entity{{Name: "Labour"}}
	killed.Places = []story.Entity{{Name: "Germany"}, {Name: "Killed place"}}
	room.killed = fileStory(t, s, "business", version{item: killed, state: story.Published, at: t0.Add(3 * time.Hour)})
	room.killedItem = killed
	return room
}

func TestReadingPagesGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		room := seedReadingRoom(t, s)
		kill(t, s, room.killedItem, t0.Add(4*time.Hour))
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			golden string
			path   string
		}{
			{"home-sections.golden.html", "/"},
			{"section.golden.html", "/section/business"},
			{"tag-place.golden.html", "/tag/place/germany"},
			{"tag-organisation.golden.html", "/tag/organisation/feuerwehr-k%C3%B6ln"},
			{"story-tags.golden.html", fmt.Sprintf("/story/%d/rhine-floods-reach-köln-old-town", room.floods)},
			{"search-form.golden.html", "/search"},
			{"search-no-match.golden.html", "/search?q=zeppelin+%3Cscript%3E"},
		} {
			t.Run(tc.golden, func(t *testing.T) {
				rec := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil))
				if rec.Code != http.StatusOK {
					t.Errorf("GET %s: status = %d, want 200", tc.path, rec.Code)
				}
				if got, want := rec.Header().Get("Content-Type"), "text/html; charset=utf-8"; got != want {
					t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, got, want)
				}
				checkGolden(t, tc.golden, rec.Body.Bytes())
			})
		}
	})
}

// Snippets differ between the backends (FTS5's snippet() and PostgreSQL's
// ts_headline choose and end fragments differently), so the results page's
// golden file is SQLite's; TestSearchMarksMatchesAsText holds both to
// marking matches as text.
func TestSearchPageGolden(t *testing.T) {
	s := dbtest.SQLite(t)
	room := seedReadingRoom(t, s)
	kill(t, s, room.killedItem, t0.Add(4*time.Hour))
	h := newSite(t, s, io.Discard)
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/search?q=Harbour+STRIKE", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", rec.Code)
	}
	checkGolden(t, "search.golden.html", rec.Body.Bytes())
}

// A killed story leaves every list it was on, in the same moment: the
// section, each of its tags, search and the home page.
func TestKilledStoryAbsentFromReadingPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		room := seedReadingRoom(t, s)
		h := newSite(t, s, io.Discard)
		pages := []string{"/", "/section/business", "/tag/subject/labour", "/tag/place/germany", "/search?q=killed+headline", "/search?q=harbour"}

		killedLink := fmt.Sprintf(`href="/story/%d/`, room.killed)
		for _, path := range pages {
			body := serve(h, httptest.NewRequest(http.MethodGet, path, nil)).Body.String()
			if !strings.Contains(body, killedLink) {
				t.Fatalf("before the kill, GET %s does not list the story; the test proves nothing:\n%s", path, body)
			}
		}

		kill(t, s, room.killedItem, t0.Add(4*time.Hour))
		for _, path := range pages {
			rec := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s after the kill = %d, want 200", path, rec.Code)
			}
			body := rec.Body.String()
			for _, hidden := range []string{killedLink, "must not appear"} {
				if strings.Contains(body, hidden) {
					t.Errorf("GET %s after the kill still shows %q:\n%s", path, hidden, body)
				}
			}
		}
		// A tag only the killed story carried is no page any more.
		if got := serve(h, httptest.NewRequest(http.MethodGet, "/tag/place/killed-place", nil)).Code; got != http.StatusNotFound {
			t.Errorf("GET the tag page of a tag only a killed story carried = %d, want 404", got)
		}
	})
}

func TestReadingStatusCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		seedReadingRoom(t, s)
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			path string
			want int
		}{
			{"/section/sport", http.StatusOK},
			{"/section/weather", http.StatusNotFound},
			{"/section/Sport", http.StatusNotFound},
			{"/section/sport?before=1709631000000000-3", http.StatusOK},
			{"/section/sport?before=nonsense", http.StatusBadRequest},
			{"/section/sport?before=12-0", http.StatusBadRequest},
			{"/?before=-5-2", http.StatusBadRequest},
			{"/tag/subject/football", http.StatusOK},
			{"/tag/subject/cricket", http.StatusNotFound},
			{"/tag/colour/football", http.StatusNotFound},
			{"/tag/subject/Football", http.StatusNotFound},
			{"/search?q=final", http.StatusOK},
			{"/search?q=final&page=2", http.StatusOK},
			{"/search?q=final&page=0", http.StatusBadRequest},
			{"/search?q=final&page=x", http.StatusBadRequest},
			{"/search?q=final&page=999", http.StatusBadRequest},
			{"/search?q=%22*(%3A", http.StatusOK},
		} {
			if got := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil)).Code; got != tc.want {
				t.Errorf("GET %s = %d, want %d", tc.path, got, tc.want)
			}
		}
	})
}

var storyLink = regexp.MustCompile(`<h2><a href="(/story/\d+/[^"]*)">`)

// Following "Older stories" from the first page walks the whole list once,
// newest first, on every kind of list.
func TestPaginationWalksEveryList(t *testing.T) {
	s := dbtest.SQLite(t)
	var want []string
	for i := range 2*listLimit + 3 {
		it := item("dpa", fmt.Sprintf("urn:dpa:page:%03d", i), fmt.Sprintf("Paged story %03d", i))
		it.Places = []story.Entity{{Name: "Bonn"}}
		// Every third pair shares a publication time: the cursor must
		// break ties by id.
		at := t0.Add(time.Duration(i/2) * time.Minute)
		id := fileStory(t, s, "world", version{item: it, state: story.Published, at: at})
		want = append([]string{fmt.Sprintf("/story/%d/paged-story-%03d", id, i)}, want...)
	}
	h := newSite(t, s, io.Discard)
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older stories</a>`)
	for _, start := range []string{"/", "/section/world", "/tag/place/bonn"} {
		t.Run(start, func(t *testing.T) {
			var got []string
			path := start
			for pages := 0; path != ""; pages++ {
				if pages > 5 {
					t.Fatalf("more than 5 pages: the cursor does not advance (at %s)", path)
				}
				body := serve(h, httptest.NewRequest(http.MethodGet, path, nil)).Body.String()
				for _, m := range storyLink.FindAllStringSubmatch(body, -1) {
					got = append(got, m[1])
				}
				path = ""
				if m := older.FindStringSubmatch(body); m != nil {
					path = strings.ReplaceAll(m[1], "&amp;", "&")
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("walked stories (-want +got):\n%s", diff)
			}
		})
	}
}
