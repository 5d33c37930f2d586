package site

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtureDir is the shared wire fixtures, beside the repository (see
// /work/shared/fixtures/wire/MANIFEST.md).
const fixtureDir = "../../../shared/fixtures/wire"

// t0 anchors every time in the test stories, so pages render the same on
// every run and every backend.
var t0 = time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)

// version is one version of a test story as apply would put it on show.
type version struct {
	item       *story.Item
	state      story.State
	at         time.Time
	deliveryID *int64
}

// putStory stores a story version by version through the store's write
// transaction, the way apply does, and returns the story's id.
func putStory(t *testing.T, s store.Store, versions ...version) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	for _, v := range versions {
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{
				Agency: v.item.Source.Agency, URI: v.item.URI, Slug: story.Slug(v.item.Headline),
				State: v.state, At: v.at,
			})
			if err != nil {
				return err
			}
			id = st.ID
			ver, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
				StoryID: st.ID, Key: story.VersionKey(v.item), Item: v.item, DeliveryID: v.deliveryID,
				SourceName: "test-feed", ReceivedAt: v.at, Applied: true,
			})
			if err != nil {
				return err
			}
			slug := st.Slug
			if slug == "" {
				slug = story.Slug(v.item.Headline)
			}
			var publishedAt *time.Time
			if v.state.Visible() && st.PublishedAt.IsZero() {
				publishedAt = &v.at
			}
			return tx.SetCurrent(ctx, &store.SetCurrentParams{
				StoryID: st.ID, VersionID: ver.ID, State: v.state, Slug: slug,
				PublishedAt: publishedAt, At: v.at,
			})
		})
		if err != nil {
			t.Fatalf("store version of %s: %v", v.item.URI, err)
		}
	}
	return id
}

// putDelivery archives a shared fixture file as a delivery.
func putDelivery(t *testing.T, s store.Store, fixture, contentType string) (*store.Delivery, []byte) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(fixtureDir, fixture))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	d, err := s.InsertDelivery(context.Background(), &store.InsertDeliveryParams{
		Origin: fixture, ContentType: contentType, Body: body, ReceivedAt: t0,
	})
	if err != nil {
		t.Fatalf("archive %s: %v", fixture, err)
	}
	return d, body
}

func item(agency, uri, headline string) *story.Item {
	return &story.Item{
		URI: uri, PubStatus: story.Usable, Headline: headline, Language: "en",
		Source: story.ItemSource{Format: "newsmlg2", Agency: agency},
	}
}

// newsroom holds the ids of the stories seedNewsroom stored.
type newsroom struct {
	updated, plain, killed, withheld, embargoed, noDelivery int64
}

// seedNewsroom stores one story in every situation a page must handle.
func seedNewsroom(t *testing.T, s store.Store) newsroom {
	t.Helper()
	var n newsroom
	d, _ := putDelivery(t, s, "nitf/pa_brexit_latin1_pound.xml", "application/xml")

	first := item("dpa", "urn:newsml:dpa.com:20240305:budget", "Bundestag passes 2024 budget after weeks of talks")
	first.Byline = "By Anna Schmidt"
	first.Dateline = &story.Dateline{Place: "Berlin", Date: "March 5", Source: "dpa"}
	first.BodyHTML = "<p>The German parliament approved the 2024 budget on Tuesday by 390 votes to 280.</p>\n<p>The vote ends weeks of talks between the three governing parties.</p>"
	first.Link = "https://www.dpa.com/en/stories/budget-2024"
	first.Version = "1"
	second := *first
	second.Version = "2"
	second.Signals = []string{"sig:correction"}
	second.EdNote = "Corrects vote count in first paragraph."
	second.BodyHTML = "<p>The German parliament approved the 2024 budget on Tuesday by 391 votes to 279.</p>\n<p>The vote ends weeks of talks between the three governing parties.</p>"
	n.updated = putStory(t, s,
		version{item: first, state: story.Published, at: t0, deliveryID: &d.ID},
		version{item: &second, state: story.Published, at: t0.Add(2*time.Hour + 15*time.Minute), deliveryID: &d.ID},
	)

	plain := item("AP", "urn:ap:9f1c", "Argentina's Senate approves pension reform")
	plain.Language = "es"
	plain.Dateline = &story.Dateline{Place: "Buenos Aires"}
	plain.BodyText = "El Senado aprobó el martes la reforma.\n\nLa votación terminó 40 a 30, tras una sesión de doce horas en la que la oposición pidió aplazar el debate y los gobernadores negociaron cambios de último momento en el texto que ahora pasa a la Cámara de Diputados para su sanción definitiva."
	n.plain = putStory(t, s, version{item: plain, state: story.Published, at: t0.Add(time.Hour)})

	killedFirst := item("Reuters", "tag:reuters.com:killed", "Killed headline must not appear")
	killedFirst.BodyText = "Killed body must not appear."
	killedLast := *killedFirst
	killedLast.PubStatus = story.Canceled
	killedLast.Version = "2"
	n.killed = putStory(t, s,
		version{item: killedFirst, state: story.Published, at: t0.Add(-time.Hour)},
		version{item: &killedLast, state: story.Killed, at: t0.Add(-30 * time.Minute)},
	)

	withheld := item("AFP", "urn:afp:withheld", "Withheld headline must not appear")
	withheld.PubStatus = story.Withheld
	n.withheld = putStory(t, s, version{item: withheld, state: story.WithheldState, at: t0})

	embargoed := item("AAP", "urn:aap:embargoed", "Embargoed headline must not appear")
	embargoAt := t0.Add(48 * time.Hour)
	embargoed.Embargoed = &embargoAt
	n.embargoed = putStory(t, s, version{item: embargoed, state: story.Embargoed, at: t0})

	bare := item("PA", "urn:pa:bare", "Original")
	bare.BodyHTML = "<p>A story whose headline is the name of a route.</p>"
	n.noDelivery = putStory(t, s, version{item: bare, state: story.Published, at: t0.Add(-2 * time.Hour)})
	return n
}

func newSite(t *testing.T, r Reader, logs io.Writer) http.Handler {
	t.Helper()
	site, err := New(Config{Store: r, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	return mux
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestPagesGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedNewsroom(t, s)
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			golden     string
			path       string
			wantStatus int
		}{
			{"home.golden.html", "/", http.StatusOK},
			{"story-updated.golden.html", fmt.Sprintf("/story/%d/bundestag-passes-2024-budget-after-weeks-of-talks", n.updated), http.StatusOK},
			{"story-plain-text.golden.html", fmt.Sprintf("/story/%d/argentinas-senate-approves-pension-reform", n.plain), http.StatusOK},
			{"story-no-delivery.golden.html", fmt.Sprintf("/story/%d/original-story", n.noDelivery), http.StatusOK},
			{"gone.golden.html", fmt.Sprintf("/story/%d/killed-headline-must-not-appear", n.killed), http.StatusGone},
			{"history-two-versions.golden.html", fmt.Sprintf("/story/%d/history", n.updated), http.StatusOK},
			{"not-found.golden.html", "/story/999999/nothing", http.StatusNotFound},
		} {
			t.Run(tc.golden, func(t *testing.T) {
				rec := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil))
				if got, want := rec.Code, tc.wantStatus; got != want {
					t.Errorf("GET %s: status = %d, want %d", tc.path, got, want)
				}
				if got, want := rec.Header().Get("Content-Type"), "text/html; charset=utf-8"; got != want {
					t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, got, want)
				}
				checkGolden(t, tc.golden, rec.Body.Bytes())
			})
		}
	})
}

func TestStatusCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedNewsroom(t, s)
		h := newSite(t, s, io.Discard)
		canonical := fmt.Sprintf("/story/%d/bundestag-passes-2024-budget-after-weeks-of-talks", n.updated)
		for _, tc := range []struct {
			name         string
			path         string
			wantStatus   int
			wantLocation string
		}{
			{"home", "/", http.StatusOK, ""},
			{"stylesheet", "/static/site.css", http.StatusOK, ""},
			{"canonical story", canonical, http.StatusOK, ""},
			{"id only redirects", fmt.Sprintf("/story/%d", n.updated), http.StatusMovedPermanently, canonical},
			{"wrong slug redirects", fmt.Sprintf("/story/%d/old-headline", n.updated), http.StatusMovedPermanently, canonical},
			{"slug named original redirects", fmt.Sprintf("/story/%d", n.noDelivery), http.StatusMovedPermanently, fmt.Sprintf("/story/%d/original-story", n.noDelivery)},
			{"unknown id", "/story/999999/anything", http.StatusNotFound, ""},
			{"unknown id without slug", "/story/999999", http.StatusNotFound, ""},
			{"killed", fmt.Sprintf("/story/%d/killed-headline-must-not-appear", n.killed), http.StatusGone, ""},
			{"killed without slug", fmt.Sprintf("/story/%d", n.killed), http.StatusGone, ""},
			{"killed original", fmt.Sprintf("/story/%d/original", n.killed), http.StatusGone, ""},
			{"withheld", fmt.Sprintf("/story/%d/withheld-headline-must-not-appear", n.withheld), http.StatusNotFound, ""},
			{"withheld original", fmt.Sprintf("/story/%d/original", n.withheld), http.StatusNotFound, ""},
			{"embargoed", fmt.Sprintf("/story/%d/embargoed-headline-must-not-appear", n.embargoed), http.StatusNotFound, ""},
			{"embargoed without slug", fmt.Sprintf("/story/%d", n.embargoed), http.StatusNotFound, ""},
			{"original without delivery", fmt.Sprintf("/story/%d/original", n.noDelivery), http.StatusNotFound, ""},
			{"id not a number", "/story/abc/slug", http.StatusBadRequest, ""},
			{"id zero", "/story/0", http.StatusBadRequest, ""},
			{"id negative", "/story/-4/slug", http.StatusBadRequest, ""},
			{"id overflows", "/story/99999999999999999999999/slug", http.StatusBadRequest, ""},
			{"unknown path", "/no/such/page", http.StatusNotFound, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil))
				got := struct {
					Status   int
					Location string
				}{rec.Code, rec.Header().Get("Location")}
				want := struct {
					Status   int
					Location string
				}{tc.wantStatus, tc.wantLocation}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GET %s mismatch (-want +got):\n%s", tc.path, diff)
				}
				for _, hidden := range []string{"must not appear"} {
					if strings.Contains(rec.Body.String(), hidden) {
						t.Errorf("GET %s shows a hidden story's text:\n%s", tc.path, rec.Body.String())
					}
				}
			})
		}
	})
}

func TestNonASCIISlugRedirectIsEscaped(t *testing.T) {
	s := dbtest.SQLite(t)
	it := item("dpa", "urn:dpa:umlaut", "Überschwemmung in Köln")
	it.Language = "de"
	id := putStory(t, s, version{item: it, state: story.Published, at: t0})
	h := newSite(t, s, io.Discard)

	rec := serve(h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/story/%d", id), nil))
	want := fmt.Sprintf("/story/%d/%%C3%%BCberschwemmung-in-k%%C3%%B6ln", id)
	if got := rec.Header().Get("Location"); rec.Code != http.StatusMovedPermanently || got != want {
		t.Fatalf("GET /story/%d = %d Location %q, want 301 %q", id, rec.Code, got, want)
	}
	// Following the redirect lands on the page, not on another redirect.
	rec = serve(h, httptest.NewRequest(http.MethodGet, want, nil))
	if got := rec.Code; got != http.StatusOK {
		t.Errorf("GET %s = %d, want 200", want, got)
	}
	if !strings.Contains(rec.Body.String(), `<html lang="de">`) {
		t.Errorf("page of a German story lacks lang=\"de\":\n%s", rec.Body.String())
	}
}

func TestMarkupInAgencyCopyIsDefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		it := item("dpa", "urn:dpa:xss", "<script>alert(1)</script>")
		it.BodyHTML = `<p>Police said <img src=x onerror=alert(1)>the road is closed.</p>`
		id := putStory(t, s, version{item: it, state: story.Published, at: t0})
		h := newSite(t, s, io.Discard)

		pages := map[string]string{
			"home":  "/",
			"story": fmt.Sprintf("/story/%d/script-alert-1-script", id),
		}
		for name, path := range pages {
			t.Run(name, func(t *testing.T) {
				rec := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", path, rec.Code)
				}
				body := rec.Body.String()
				if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
					t.Errorf("headline not shown escaped:\n%s", body)
				}
				// The story page's JSON-LD data block is the one script
				// element a page may have; agency copy breaking out of it
				// would leave a second "<script" behind.
				for _, unsafe := range []string{"<script", "onerror"} {
					if strings.Contains(jsonLD.ReplaceAllString(body, ""), unsafe) {
						t.Errorf("page contains %q:\n%s", unsafe, body)
					}
				}
				if !strings.Contains(body, "Police said") || !strings.Contains(body, "the road is closed.") {
					t.Errorf("body text lost while removing markup:\n%s", body)
				}
			})
		}
	})
}

func TestProvenanceOnEveryStoryPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		seedNewsroom(t, s)
		for _, tc := range []struct {
			name       string
			provenance string
			want       func(agency string) string
		}{
			{"default line", "", func(agency string) string {
				return `<p class="provenance">Published automatically from the ` + agency +
					` feed, without changes to its text. Not reviewed by an editor.</p>`
			}},
			{"configured line", "Auto-published from {agency}.", func(agency string) string {
				return `<p class="provenance">Auto-published from ` + agency + `.</p>`
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				site, err := New(Config{Store: s, Provenance: tc.provenance, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				mux := http.NewServeMux()
				site.Register(mux)

				stories, err := s.ListStories(context.Background(), &store.ListStoriesParams{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(stories) == 0 {
					t.Fatal("no visible stories to check")
				}
				for _, st := range stories {
					rec := serve(mux, httptest.NewRequest(http.MethodGet, storyURL(st), nil))
					if rec.Code != http.StatusOK {
						t.Errorf("GET %s = %d, want 200", storyURL(st), rec.Code)
						continue
					}
					if want := tc.want(st.Agency); !strings.Contains(rec.Body.String(), want) {
						t.Errorf("GET %s lacks %s", storyURL(st), want)
					}
				}
			})
		}
	})
}

func TestOriginalServesArchivedBytes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			fixture     string
			contentType string
			wantType    string
		}{
			{"nitf/pa_brexit_latin1_pound.xml", "text/xml; charset=iso-8859-1", "text/xml; charset=iso-8859-1"},
			{"anpa/dpa_eil_flash.iptc", "text/plain", "text/plain"},
			{"newsml-g2/scoop_bom_crlf_v3.xml", "", "application/octet-stream"},
		} {
			t.Run(tc.fixture, func(t *testing.T) {
				d, body := putDelivery(t, s, tc.fixture, tc.contentType)
				it := item("dpa", "urn:test:"+tc.fixture, "Story from "+tc.fixture)
				it.BodyText = "Text."
				id := putStory(t, s, version{item: it, state: story.Published, at: t0, deliveryID: &d.ID})

				rec := serve(h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/story/%d/original", id), nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200; body:\n%s", rec.Code, rec.Body.String())
				}
				if !bytes.Equal(rec.Body.Bytes(), body) {
					t.Errorf("body differs from the archived bytes (%d bytes, want %d)", rec.Body.Len(), len(body))
				}
				got := map[string]string{
					"Content-Type":     rec.Header().Get("Content-Type"),
					"X-Content-SHA256": rec.Header().Get("X-Content-SHA256"),
					"Content-Length":   rec.Header().Get("Content-Length"),
				}
				want := map[string]string{
					"Content-Type":     tc.wantType,
					"X-Content-SHA256": story.SHA256Hex(body),
					"Content-Length":   fmt.Sprint(len(body)),
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("headers mismatch (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestHomeListsNewestFifty(t *testing.T) {
	s := dbtest.SQLite(t)
	for i := range 55 {
		it := item("dpa", fmt.Sprintf("urn:dpa:bulk:%02d", i), fmt.Sprintf("Bulk story %02d", i))
		putStory(t, s, version{item: it, state: story.Published, at: t0.Add(time.Duration(i) * time.Minute)})
	}
	h := newSite(t, s, io.Discard)
	body := serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Body.String()

	if got, want := strings.Count(body, `<article class="summary">`), 50; got != want {
		t.Errorf("home lists %d stories, want %d", got, want)
	}
	newest, oldestShown, dropped := strings.Index(body, "Bulk story 54"), strings.Index(body, "Bulk story 05"), strings.Index(body, "Bulk story 04")
	if newest < 0 || oldestShown < 0 || newest > oldestShown || dropped >= 0 {
		t.Errorf("want stories 54 down to 05, newest first; got positions 54:%d 05:%d 04:%d", newest, oldestShown, dropped)
	}
}

func TestStoreFailureIs500LoggedOnce(t *testing.T) {
	s := dbtest.SQLite(t)
	var logs bytes.Buffer
	h := newSite(t, s, &logs)

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the store's query fails with the request's canceled context
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))

	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if strings.Contains(rec.Body.String(), "context canceled") {
		t.Errorf("error details leaked to the reader:\n%s", rec.Body.String())
	}
	if got := strings.Count(logs.String(), "site request failed"); got != 1 {
		t.Errorf("logged %d times, want once:\n%s", got, logs.String())
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without Store: want error, got nil")
	}
	cfg := Config{Store: dbtest.SQLite(t)}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.SiteName, cfg.Provenance}
	want := []string{"wiredesk", "Published automatically from the {agency} feed, without changes to its text. Not reviewed by an editor."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
}

// An edited story must not claim the agency's words went out unchanged: its
// provenance line names the editor instead.
func TestProvenanceNamesTheEditor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		id := putStory(t, s, version{item: item("Harbour Wire", "ed-1", "Storm closes harbour"), state: story.Published, at: t0})
		if err := s.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return tx.SetEditedBy(ctx, id, "ann")
		}); err != nil {
			t.Fatal(err)
		}
		st, err := s.GetStory(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		rec := serve(newSite(t, s, io.Discard), httptest.NewRequest(http.MethodGet, storyURL(st), nil))
		body := rec.Body.String()
		if want := `<p class="provenance">From the Harbour Wire feed, edited by ann.</p>`; !strings.Contains(body, want) {
			t.Errorf("edited story page lacks %s", want)
		}
		if strings.Contains(body, "without changes to its text") {
			t.Error("edited story page still claims the text is unchanged")
		}
	})
}
