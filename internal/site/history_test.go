package site

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// change is one version arriving at a story, and what apply made of it.
type change struct {
	item *story.Item
	at   time.Time
	// show is the state the version is put on show in; "" records the
	// version without showing it (older than the one on show, or waiting).
	show story.State
	// pending records the version as the update waiting for an editor.
	pending bool
}

// putChanges stores the versions of one story in order, each in its own
// transaction as apply does, and returns the story's id.
func putChanges(t *testing.T, s store.Store, changes ...change) int64 {
	t.Helper()
	var id int64
	for _, c := range changes {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			state := c.show
			if state == "" {
				state = story.Published
			}
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{
				Agency: c.item.Source.Agency, URI: c.item.URI, Slug: story.Slug(c.item.Headline), State: state, At: c.at,
			})
			if err != nil {
				return err
			}
			id = st.ID
			v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
				StoryID: st.ID, Key: story.VersionKey(c.item), Item: c.item,
				SourceName: "test-feed", ReceivedAt: c.at, Applied: c.show != "",
			})
			if err != nil {
				return err
			}
			switch {
			case c.show != "":
				return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: c.show, At: c.at})
			case c.pending:
				return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: st.ID, VersionID: v.ID})
			}
			return nil
		})
	}
	return id
}

func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		t.Fatalf("store transaction: %v", err)
	}
}

func at(d time.Duration) *time.Time {
	tm := t0.Add(d)
	return &tm
}

// withVersion returns a copy of it as another version of the same story.
func withVersion(it *story.Item, version string, created time.Duration, edit func(*story.Item)) *story.Item {
	c := *it
	c.Version = version
	c.VersionCreated = at(created)
	c.Signals, c.EdNote = nil, ""
	edit(&c)
	return &c
}

// historyNewsroom holds the ids of the stories seedHistory stored.
type historyNewsroom struct {
	threeVersions, notShown, killedWithReason, clustered int64
}

// seedHistory stores the stories the history, kill notice and "Also
// reported by" pages are checked on.
func seedHistory(t *testing.T, s store.Store) historyNewsroom {
	t.Helper()
	var n historyNewsroom

	// An agency story updated once and then corrected.
	v1 := item("AP", "urn:ap:quake", "Earthquake shakes northern Chile")
	v1.Version = "1"
	v1.VersionCreated = at(-5 * time.Minute)
	v1.Dateline = &story.Dateline{Place: "Santiago"}
	v1.BodyText = "A strong earthquake shook northern Chile on Tuesday, the country's seismic office said.\n\nThere were no immediate reports of damage."
	v2 := withVersion(v1, "2", 35*time.Minute, func(it *story.Item) {
		it.Headline = "Magnitude 6.8 earthquake shakes northern Chile"
		it.Signals = []string{"update"}
		it.BodyText = "A magnitude 6.8 earthquake shook northern Chile on Tuesday, the country's seismic office said.\n\nThere were no immediate reports of damage.\n\nInterior minister Carolina Toha said emergency teams were checking roads near Antofagasta."
	})
	v3 := withVersion(v2, "3", 2*time.Hour+50*time.Minute, func(it *story.Item) {
		it.Signals = []string{"sig:correction"}
		it.EdNote = "Corrects spelling of minister's name to Tohá in third paragraph."
		it.BodyText = strings.Replace(v2.BodyText, "Carolina Toha said", "Carolina Tohá said", 1)
	})
	n.threeVersions = putChanges(t, s,
		change{item: v1, at: t0, show: story.Published},
		change{item: v2, at: t0.Add(40 * time.Minute), show: story.Published},
		change{item: v3, at: t0.Add(3 * time.Hour), show: story.Published},
	)

	// An HTML story whose version 1 arrived after version 2, then edited
	// by an editor, so the agency's version 3 waits for review.
	r1 := item("Reuters", "tag:reuters.com:markets", "Stocks slip as oil climbs")
	r1.Version = "1"
	r1.VersionCreated = at(-30 * time.Minute)
	r1.BodyHTML = "<p>Stocks slipped on Tuesday.</p><p>Oil rose 2%.</p>"
	r2 := withVersion(r1, "2", -10*time.Minute, func(it *story.Item) {
		it.BodyHTML = "<p>World stocks slipped on Tuesday as oil prices climbed.</p><p>Brent crude rose 2% to $84 a barrel.</p>"
	})
	r3 := withVersion(r2, "3", 50*time.Minute, func(it *story.Item) {
		it.Headline = "Stocks slide as oil jumps"
		it.BodyHTML = "<p>World stocks slid on Tuesday as oil prices jumped.</p><p>Brent crude rose 3% to $85 a barrel.</p>"
	})
	n.notShown = putChanges(t, s,
		change{item: r2, at: t0, show: story.Published},
		change{item: r1, at: t0.Add(10 * time.Minute)},
	)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetEditedBy(ctx, n.notShown, "desk@example.org")
	})
	putChanges(t, s, change{item: r3, at: t0.Add(time.Hour), pending: true})

	// A story the agency killed, giving a reason; the kill version is
	// older than the one on show, so only the state changes.
	k1 := item("dpa", "urn:newsml:dpa.com:killed-with-reason", "Killed headline must not appear")
	k1.Version = "2"
	k1.BodyText = "Killed body must not appear."
	n.killedWithReason = putChanges(t, s, change{item: k1, at: t0, show: story.Published})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetState(ctx, &store.SetStateParams{
			StoryID: n.killedWithReason, State: story.Killed, At: t0.Add(time.Hour),
			Reason: "Legal reasons: the story names a person protected by a court order.",
		})
	})

	// One story sent by three agencies, one of which killed its copy.
	c1 := item("dpa", "urn:newsml:dpa.com:summit", "Leaders meet for climate summit")
	c1.Byline = "By Anna Schmidt"
	c1.BodyText = "Leaders from 40 countries met in Bonn on Tuesday."
	n.clustered = putChanges(t, s, change{item: c1, at: t0, show: story.Published})
	ids := []int64{n.clustered}
	for _, agency := range []string{"Reuters", "AP", "AFP"} {
		c := item(agency, "urn:"+agency+":summit", "Leaders meet for climate summit")
		c.BodyText = c1.BodyText
		ids = append(ids, putChanges(t, s, change{item: c, at: t0.Add(time.Minute), show: story.Published}))
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MergeClusters(ctx, ids)
		return err
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetState(ctx, &store.SetStateParams{StoryID: ids[3], State: story.Killed, At: t0.Add(time.Hour)})
	})
	return n
}

func TestHistoryPagesGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedHistory(t, s)
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			golden     string
			path       string
			wantStatus int
		}{
			{"history-three-versions.golden.html", fmt.Sprintf("/story/%d/history", n.threeVersions), http.StatusOK},
			{"history-not-shown.golden.html", fmt.Sprintf("/story/%d/history", n.notShown), http.StatusOK},
			{"story-corrected-three-versions.golden.html", fmt.Sprintf("/story/%d/earthquake-shakes-northern-chile", n.threeVersions), http.StatusOK},
			{"gone-reason.golden.html", fmt.Sprintf("/story/%d/killed-headline-must-not-appear", n.killedWithReason), http.StatusGone},
			{"story-also-reported.golden.html", fmt.Sprintf("/story/%d/leaders-meet-for-climate-summit", n.clustered), http.StatusOK},
		} {
			t.Run(tc.golden, func(t *testing.T) {
				rec := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil))
				if got, want := rec.Code, tc.wantStatus; got != want {
					t.Errorf("GET %s: status = %d, want %d", tc.path, got, want)
				}
				checkGolden(t, tc.golden, rec.Body.Bytes())
			})
		}
	})
}

func TestHistoryStatusCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedNewsroom(t, s)
		hn := seedHistory(t, s)
		named := putChanges(t, s, change{item: item("PA", "urn:pa:history", "History"), at: t0, show: story.Published})
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			name         string
			path         string
			wantStatus   int
			wantLocation string
			wantBody     string
		}{
			{"two versions", fmt.Sprintf("/story/%d/history", n.updated), http.StatusOK, "", "2 versions, oldest first"},
			{"one version", fmt.Sprintf("/story/%d/history", n.plain), http.StatusOK, "", "1 version, oldest first"},
			{"versions not shown", fmt.Sprintf("/story/%d/history", hn.notShown), http.StatusOK, "", statusPending},
			{"killed", fmt.Sprintf("/story/%d/history", n.killed), http.StatusGone, "", "This story was withdrawn by Reuters."},
			{"killed with reason", fmt.Sprintf("/story/%d/history", hn.killedWithReason), http.StatusGone, "", "Reason given: Legal reasons"},
			{"withheld", fmt.Sprintf("/story/%d/history", n.withheld), http.StatusNotFound, "", "Page not found"},
			{"embargoed", fmt.Sprintf("/story/%d/history", n.embargoed), http.StatusNotFound, "", "Page not found"},
			{"unknown id", "/story/999999/history", http.StatusNotFound, "", "Page not found"},
			{"id not a number", "/story/abc/history", http.StatusBadRequest, "", "Bad request"},
			{"below history", fmt.Sprintf("/story/%d/history/1", n.updated), http.StatusNotFound, "", "Page not found"},
			{"history of a story named History", fmt.Sprintf("/story/%d/history", named), http.StatusOK, "", "Version history"},
			{"story named History", fmt.Sprintf("/story/%d", named), http.StatusMovedPermanently, fmt.Sprintf("/story/%d/history-story", named), ""},
			{"its page", fmt.Sprintf("/story/%d/history-story", named), http.StatusOK, "", "<h1>History</h1>"},
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
				body := rec.Body.String()
				if !strings.Contains(body, tc.wantBody) {
					t.Errorf("GET %s lacks %q:\n%s", tc.path, tc.wantBody, body)
				}
				if strings.Contains(body, "must not appear") {
					t.Errorf("GET %s shows a hidden story's text:\n%s", tc.path, body)
				}
			})
		}
	})
}

func TestStoryPageLinksHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedNewsroom(t, s)
		hn := seedHistory(t, s)
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			name string
			id   int64
			want string // "" for no link
		}{
			{"one version", n.plain, ""},
			{"two versions", n.updated, fmt.Sprintf(`<a class="history-link" href="/story/%d/history">History (2 versions)</a>`, n.updated)},
			{"three versions", hn.threeVersions, fmt.Sprintf(`<a class="history-link" href="/story/%d/history">History (3 versions)</a>`, hn.threeVersions)},
			// Versions never shown are history too.
			{"versions recorded and pending", hn.notShown, fmt.Sprintf(`<a class="history-link" href="/story/%d/history">History (3 versions)</a>`, hn.notShown)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := followToPage(t, h, tc.id)
				if tc.want == "" {
					if strings.Contains(body, "history-link") {
						t.Errorf("story %d links a history:\n%s", tc.id, body)
					}
					return
				}
				if !strings.Contains(body, tc.want) {
					t.Errorf("story %d lacks %s:\n%s", tc.id, tc.want, body)
				}
			})
		}
	})
}

// followToPage requests /story/{id} and follows its redirect to the page.
func followToPage(t *testing.T, h http.Handler, id int64) string {
	t.Helper()
	rec := serve(h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/story/%d", id), nil))
	if rec.Code != http.StatusMovedPermanently {
		t.Fatalf("GET /story/%d = %d, want 301", id, rec.Code)
	}
	loc := rec.Header().Get("Location")
	rec = serve(h, httptest.NewRequest(http.MethodGet, loc, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", loc, rec.Code)
	}
	return rec.Body.String()
}

func TestStoryPageUpdated(t *testing.T) {
	first := func(uri string) *story.Item {
		it := item("dpa", uri, "Budget vote")
		it.Version = "1"
		it.BodyText = "First text."
		return it
	}
	second := func(it *story.Item) *story.Item {
		return withVersion(it, "2", time.Hour, func(it *story.Item) { it.BodyText = "Second text." })
	}
	for _, tc := range []struct {
		name string
		// store puts the story in place and returns its id.
		store       func(t *testing.T, s store.Store) int64
		wantUpdated string // datetime of "Updated", "" for none
	}{
		{"first version only", func(t *testing.T, s store.Store) int64 {
			return putChanges(t, s, change{item: first("u:one"), at: t0, show: story.Published})
		}, ""},
		{"newer version shown", func(t *testing.T, s store.Store) int64 {
			it := first("u:two")
			return putChanges(t, s,
				change{item: it, at: t0, show: story.Published},
				change{item: second(it), at: t0.Add(time.Hour), show: story.Published})
		}, "2024-03-05T10:30:00Z"},
		{"older version recorded later", func(t *testing.T, s store.Store) int64 {
			it := first("u:late")
			return putChanges(t, s,
				change{item: second(it), at: t0, show: story.Published},
				change{item: it, at: t0.Add(time.Hour)})
		}, ""},
		{"update waiting for an editor", func(t *testing.T, s store.Store) int64 {
			it := first("u:pending")
			return putChanges(t, s,
				change{item: it, at: t0, show: story.Published},
				change{item: second(it), at: t0.Add(time.Hour), pending: true})
		}, ""},
		{"embargo released", func(t *testing.T, s store.Store) int64 {
			it := first("u:embargo")
			it.Embargoed = at(2 * time.Hour)
			id := putChanges(t, s,
				change{item: it, at: t0, show: story.Embargoed},
				change{item: withVersion(it, "2", time.Hour, func(it *story.Item) {}), at: t0.Add(time.Hour), show: story.Embargoed})
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Published, At: t0.Add(2 * time.Hour)})
			})
			return id
		}, ""},
		{"first version restored after a kill", func(t *testing.T, s store.Store) int64 {
			it := first("u:restored")
			kill := withVersion(it, "2", time.Hour, func(it *story.Item) { it.PubStatus = story.Canceled })
			id := putChanges(t, s,
				change{item: it, at: t0, show: story.Published},
				change{item: kill, at: t0.Add(time.Hour), show: story.Killed})
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				versions, err := tx.StoryVersions(ctx, id)
				if err != nil {
					return err
				}
				return tx.SetCurrent(ctx, &store.SetCurrentParams{
					StoryID: id, VersionID: versions[0].ID, State: story.Published,
					Reason: "restored by desk", At: t0.Add(3 * time.Hour),
				})
			})
			return id
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				id := tc.store(t, s)
				body := followToPage(t, newSite(t, s, io.Discard), id)
				got := ""
				if i := strings.Index(body, `<span class="updated">Updated <time datetime="`); i >= 0 {
					rest := body[i+len(`<span class="updated">Updated <time datetime="`):]
					got = rest[:strings.IndexByte(rest, '"')]
				}
				if got != tc.wantUpdated {
					t.Errorf("Updated = %q, want %q", got, tc.wantUpdated)
				}
			})
		})
	}
}

func TestStoryPageCorrection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signals []string
		ednote  string
		want    string // "" for no correction notice
	}{
		{"correction with note", []string{"correction"}, "Corrects the vote count.", `<p class="correction"><strong>Correction:</strong> Corrects the vote count.</p>`},
		{"IPTC signal", []string{"sig:correction"}, "Corrects the date.", `<p class="correction"><strong>Correction:</strong> Corrects the date.</p>`},
		{"correction without note", []string{"correction"}, "", `<p class="correction"><strong>Correction:</strong> The agency has corrected this story.</p>`},
		{"update with note is no correction", []string{"update"}, "Adds detail.", ""},
		{"note alone is for editors", nil, "Editors: embargoed until 10:00.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := dbtest.SQLite(t)
			it := item("dpa", "urn:dpa:correction", "Budget vote")
			it.Signals, it.EdNote, it.BodyText = tc.signals, tc.ednote, "Text."
			id := putChanges(t, s, change{item: it, at: t0, show: story.Published})
			body := followToPage(t, newSite(t, s, io.Discard), id)
			if tc.want == "" {
				if strings.Contains(body, `class="correction"`) || strings.Contains(body, tc.ednote) {
					t.Errorf("page shows a correction notice or the editors' note:\n%s", body)
				}
				return
			}
			if !strings.Contains(body, tc.want) {
				t.Errorf("page lacks %s:\n%s", tc.want, body)
			}
		})
	}
}

func TestAlsoReportedBy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedNewsroom(t, s)
		hn := seedHistory(t, s)
		h := newSite(t, s, io.Discard)
		for _, tc := range []struct {
			name string
			id   int64
			want string // "" for no line
		}{
			{"alone", n.plain, ""},
			// The killed AFP copy is not named: it is on no output.
			{"cluster of four, one killed", hn.clustered, `<p class="also-reported">Also reported by: AP, Reuters</p>`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := followToPage(t, h, tc.id)
				if tc.want == "" {
					if strings.Contains(body, "Also reported by") {
						t.Errorf("story %d says it was also reported:\n%s", tc.id, body)
					}
					return
				}
				if !strings.Contains(body, tc.want) {
					t.Errorf("story %d lacks %s:\n%s", tc.id, tc.want, body)
				}
			})
		}
	})
}
