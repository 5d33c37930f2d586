package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
)

var rewriteGolden = flag.Bool("update", false, "rewrite the golden feeds in testdata/")

// testClock is a Now the test sets, so every version has a known time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var demoStart = time.Date(2025, time.November, 29, 9, 30, 0, 0, time.UTC)

func TestStoriesReadLikeAWire(t *testing.T) {
	stories, changed, err := loadStories(storiesJSON)
	if err != nil {
		t.Fatalf("loadStories: %v", err)
	}
	if len(stories) < 12 {
		t.Errorf("%d stories, want at least 12", len(stories))
	}
	desks := map[string]bool{}
	ids := map[string]bool{}
	for i, s := range stories {
		desks[s.Desk] = true
		if ids[s.ID] {
			t.Errorf("story %d: duplicate id %q", i, s.ID)
		}
		ids[s.ID] = true
		if s.ID == "" || s.Slug == "" || s.Place == "" || s.Byline == "" || s.Headline == "" || len(s.Categories) == 0 {
			t.Errorf("story %d (%s): id, slug, place, byline, headline and categories are all required", i, s.ID)
		}
		if s.Place != strings.ToUpper(s.Place) || s.Slug != strings.ToUpper(s.Slug) {
			t.Errorf("story %s: dateline place %q and slug %q, want capitals", s.ID, s.Place, s.Slug)
		}
		texts := map[change]*revision{changeNone: s.revision(changeNone)}
		for _, c := range []change{changeUpdate, changeCorrection, changeKill} {
			if r := s.revision(c); r != nil {
				texts[c] = r
			}
		}
		for c, text := range texts {
			lo, hi := 3, 6
			if c == changeKill {
				lo, hi = 1, 2 // a kill notice is short
			}
			if n := len(text.Paragraphs); n < lo || n > hi {
				t.Errorf("story %s, %s: %d paragraphs, want %d to %d", s.ID, c, n, lo, hi)
			}
			for _, p := range text.Paragraphs {
				if strings.TrimSpace(p) != p || p == "" || strings.Contains(p, "\n") {
					t.Errorf("story %s, %s: paragraph %q is empty, padded or broken", s.ID, c, p)
				}
				// The dateline is added at release; copy must not carry one.
				if strings.Contains(p, "(HWS)") {
					t.Errorf("story %s, %s: paragraph carries a dateline: %q", s.ID, c, p)
				}
			}
		}
	}
	wantDesks := []string{"business", "courts", "politics", "science", "sports", "weather"}
	var gotDesks []string
	for d := range desks {
		gotDesks = append(gotDesks, d)
	}
	slices.Sort(gotDesks)
	if diff := cmp.Diff(wantDesks, gotDesks); diff != "" {
		t.Errorf("desks mismatch (-want +got):\n%s", diff)
	}

	// The timeline: the first story is updated, the second corrected, the
	// third killed.
	if diff := cmp.Diff(map[change]int{changeUpdate: 0, changeCorrection: 1, changeKill: 2}, changed); diff != "" {
		t.Errorf("changed stories mismatch (-want +got):\n%s", diff)
	}
	upd := stories[changed[changeUpdate]]
	if upd.Update.Headline == upd.Headline || slices.Equal(upd.Update.Paragraphs, upd.Paragraphs) {
		t.Error("the update must change both headline and body")
	}
	if upd.Update.EdNote != "" {
		t.Errorf("the update has an edNote %q; only the correction and the kill explain themselves", upd.Update.EdNote)
	}

	// A correction puts one fact right: the paragraph its note names,
	// and nothing else.
	cor := stories[changed[changeCorrection]]
	if cor.Correction.Headline != cor.Headline {
		t.Errorf("correction headline = %q, want the story's own %q", cor.Correction.Headline, cor.Headline)
	}
	var differ []int
	for i := range max(len(cor.Paragraphs), len(cor.Correction.Paragraphs)) {
		if i >= len(cor.Paragraphs) || i >= len(cor.Correction.Paragraphs) || cor.Paragraphs[i] != cor.Correction.Paragraphs[i] {
			differ = append(differ, i+1)
		}
	}
	if diff := cmp.Diff([]int{2}, differ); diff != "" {
		t.Errorf("paragraphs the correction changes (-want +got):\n%s", diff)
	}
	const wrong, right = "Esben Morlane", "Esben Morlaine"
	if !strings.Contains(cor.Paragraphs[1], wrong) || !strings.Contains(cor.Correction.Paragraphs[1], right) {
		t.Errorf("paragraph 2 should go from %q to %q:\n%s\n%s", wrong, right, cor.Paragraphs[1], cor.Correction.Paragraphs[1])
	}
	if note := cor.Correction.EdNote; !strings.HasPrefix(note, "Corrects ") || !strings.Contains(note, "paragraph 2") ||
		!strings.Contains(note, right) || !strings.Contains(note, "previously misspelt as "+wrong) {
		t.Errorf("correction edNote = %q, want it to name paragraph 2, %q and the misspelling %q", note, right, wrong)
	}

	killed := stories[changed[changeKill]]
	if want := "KILL: " + killed.Headline; killed.Kill.Headline != want {
		t.Errorf("kill headline = %q, want %q", killed.Kill.Headline, want)
	}
	if !strings.HasPrefix(killed.Kill.EdNote, "Legal: ") || !strings.Contains(killed.Kill.EdNote, "do not use") {
		t.Errorf("kill edNote = %q, want a legal reason that says do not use", killed.Kill.EdNote)
	}
	if !strings.Contains(killed.Kill.Paragraphs[0], "is withdrawn") {
		t.Errorf("kill body = %q, want it to say the story is withdrawn", killed.Kill.Paragraphs[0])
	}
}

func TestLoadStoriesRefusesABrokenTimeline(t *testing.T) {
	s := func(id string, extra string) string {
		return `{"id":"` + id + `","headline":"H","paragraphs":["p"]` + extra + `}`
	}
	const (
		upd  = `,"update":{"headline":"U","paragraphs":["u"]}`
		cor  = `,"correction":{"paragraphs":["c"],"ednote":"Corrects"}`
		kill = `,"kill":{"headline":"KILL: H","paragraphs":["k"],"ednote":"Legal"}`
	)
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{"fine", "[" + s("a", upd) + "," + s("b", cor) + "," + s("c", kill) + "]", ""},
		{"one story carries all three", "[" + s("a", upd+cor+kill) + "," + s("b", "") + "," + s("c", "") + "]", ""},
		{"no kill", "[" + s("a", upd) + "," + s("b", cor) + "," + s("c", "") + "]", "no story carries the kill"},
		{"two updates", "[" + s("a", upd) + "," + s("b", upd+cor) + "," + s("c", kill) + "]", "stories a and b both carry the update; only one may"},
		{"a change after the first release", "[" + s("a", upd) + "," + s("b", cor) + "," + s("c", "") + "," + s("d", kill) + "]",
			"story d carries the kill but is not among the first 3 released"},
		{"a kill without text", "[" + s("a", upd) + "," + s("b", cor) + "," + s("c", `,"kill":{"ednote":"Legal"}`) + "]",
			"story c: its kill has no headline or no paragraphs"},
		{"too few stories", "[" + s("a", upd+cor+kill) + "]", "1 stories, need at least 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadStories([]byte(tt.json))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("loadStories error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// stage is one step of the demo's timeline, taken at a time after the start.
type stage struct {
	name string
	at   time.Duration
	step func(ctx context.Context, a *Agency) error
}

func releaseN(n int) func(context.Context, *Agency) error {
	return func(ctx context.Context, a *Agency) error {
		_, err := a.release(ctx, n)
		return err
	}
}

func applyChange(c change) func(context.Context, *Agency) error {
	return func(ctx context.Context, a *Agency) error { return a.apply(ctx, c) }
}

// timeline is the demo's first minute, as Run plays it with the default
// Config, except that the remaining stories all come out at the end.
var timeline = []stage{
	{"empty", 0, nil},
	{"initial", 0, releaseN(InitialRelease)},
	{"updated", DefaultUpdateAfter, applyChange(changeUpdate)},
	{"corrected", DefaultCorrectAfter, applyChange(changeCorrection)},
	{"killed", DefaultKillAfter, applyChange(changeKill)},
	{"all", time.Minute, releaseN(1000)},
}

// playTimeline runs the timeline on a new Agency, calling visit after
// each stage.
func playTimeline(t *testing.T, visit func(st stage, a *Agency)) {
	t.Helper()
	clock := &testClock{now: demoStart}
	a := New(Config{Now: clock.Now})
	for _, st := range timeline {
		clock.Set(demoStart.Add(st.at))
		if st.step != nil {
			if err := st.step(context.Background(), a); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		visit(st, a)
	}
}

func TestFeedGolden(t *testing.T) {
	playTimeline(t, func(st stage, a *Agency) {
		for _, f := range []struct {
			ext  string
			body []byte
		}{{".xml", a.g2.body}, {".rss", a.rss.body}} {
			t.Run(st.name+f.ext, func(t *testing.T) {
				path := filepath.Join("testdata", st.name+f.ext)
				if *rewriteGolden {
					if err := os.WriteFile(path, f.body, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden (run with -update to create it): %v", err)
				}
				if diff := cmp.Diff(string(want), string(f.body)); diff != "" {
					t.Errorf("feed mismatch (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// checkWellFormed reads every token of a document with a strict parser,
// and checks its root element.
func checkWellFormed(t *testing.T, doc []byte, wantRoot xml.Name) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var root xml.Name
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root.Local == "" {
			root = se.Name
		}
	}
	if root != wantRoot {
		t.Errorf("root element = %v, want %v", root, wantRoot)
	}
}

// itemView is what the tests check of a decoded item.
type itemView struct {
	URI, Version   string
	PubStatus      story.PubStatus
	Signals        []string
	FirstCreated   time.Time
	VersionCreated time.Time
	Urgency        int
	Headline       string
	EdNote         string
	BodyText       string
	WordCount      int
}

func viewOf(it *story.Item) itemView {
	v := itemView{
		URI: it.URI, Version: it.Version, PubStatus: it.PubStatus, Signals: it.Signals,
		Headline: it.Headline, EdNote: it.EdNote, BodyText: it.BodyText,
	}
	if it.FirstCreated != nil {
		v.FirstCreated = *it.FirstCreated
	}
	if it.VersionCreated != nil {
		v.VersionCreated = *it.VersionCreated
	}
	if it.Urgency != nil {
		v.Urgency = *it.Urgency
	}
	if it.WordCount != nil {
		v.WordCount = *it.WordCount
	}
	return v
}

func TestNewsMLDecodesAtEachStage(t *testing.T) {
	stories, _, err := loadStories(storiesJSON)
	if err != nil {
		t.Fatal(err)
	}
	body := func(paragraphs []string) string { return strings.Join(paragraphs, "\n\n") }
	words := func(paragraphs []string) int { return len(strings.Fields(strings.Join(paragraphs, " "))) }
	const (
		guid1 = "urn:newsml:harbourwire.example:2026:hws-0001"
		guid2 = "urn:newsml:harbourwire.example:2026:hws-0002"
		guid3 = "urn:newsml:harbourwire.example:2026:hws-0003"
	)
	s1, s2, s3 := stories[0], stories[1], stories[2]
	at := func(d time.Duration) time.Time { return demoStart.Add(d) }
	original := map[string]itemView{
		guid1: {URI: guid1, Version: "1", PubStatus: story.Usable, FirstCreated: at(0), VersionCreated: at(0), Urgency: 4,
			Headline: "Storm Brannagh shuts Port Alder harbour as gales strengthen",
			BodyText: body(s1.Paragraphs), WordCount: words(s1.Paragraphs)},
		guid2: {URI: guid2, Version: "1", PubStatus: story.Usable, FirstCreated: at(0), VersionCreated: at(0), Urgency: 4,
			Headline: "Coastal Assembly passes island ferry fare cap after all-night sitting",
			BodyText: body(s2.Paragraphs), WordCount: words(s2.Paragraphs)},
		guid3: {URI: guid3, Version: "1", PubStatus: story.Usable, FirstCreated: at(0), VersionCreated: at(0), Urgency: 4,
			Headline: "Brennock Shipping Line posts first annual loss in nine years as freight rates slide",
			BodyText: body(s3.Paragraphs), WordCount: words(s3.Paragraphs)},
	}
	updated := itemView{URI: guid1, Version: "2", PubStatus: story.Usable, Signals: []string{"update"},
		FirstCreated: at(0), VersionCreated: at(DefaultUpdateAfter), Urgency: 4,
		Headline: "UPDATE 1-Storm Brannagh: Port Alder harbour shut overnight, 4,000 homes without power",
		BodyText: body(s1.Update.Paragraphs), WordCount: words(s1.Update.Paragraphs)}
	corrected := itemView{URI: guid2, Version: "2", PubStatus: story.Usable, Signals: []string{"correction"},
		FirstCreated: at(0), VersionCreated: at(DefaultCorrectAfter), Urgency: 4,
		Headline: "Coastal Assembly passes island ferry fare cap after all-night sitting",
		EdNote:   "Corrects the name of the transport minister in paragraph 2 to Esben Morlaine (previously misspelt as Esben Morlane).",
		BodyText: body(s2.Correction.Paragraphs), WordCount: words(s2.Correction.Paragraphs)}
	killed := itemView{URI: guid3, Version: "2", PubStatus: story.Canceled,
		FirstCreated: at(0), VersionCreated: at(DefaultKillAfter), Urgency: 2,
		Headline: "KILL: Brennock Shipping Line posts first annual loss in nine years as freight rates slide",
		EdNote:   s3.Kill.EdNote,
		BodyText: body(s3.Kill.Paragraphs), WordCount: words(s3.Kill.Paragraphs)}

	with := func(changes ...itemView) map[string]itemView {
		m := map[string]itemView{}
		for k, v := range original {
			m[k] = v
		}
		for _, c := range changes {
			m[c.URI] = c
		}
		return m
	}
	tests := map[string]struct {
		wantGUIDs []string // in feed order: the latest changed first
		wantFirst map[string]itemView
	}{
		"empty":     {},
		"initial":   {[]string{guid3, guid2, guid1}, original},
		"updated":   {[]string{guid1, guid3, guid2}, with(updated)},
		"corrected": {[]string{guid2, guid1, guid3}, with(updated, corrected)},
		"killed":    {[]string{guid3, guid2, guid1}, with(updated, corrected, killed)},
	}

	playTimeline(t, func(st stage, a *Agency) {
		t.Run(st.name, func(t *testing.T) {
			checkWellFormed(t, a.g2.body, xml.Name{Space: "http://iptc.org/std/nar/2006-10-01/", Local: "newsMessage"})
			checkWellFormed(t, a.rss.body, xml.Name{Local: "rss"})
			items, err := newsmlg2.Decode(a.g2.body, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var gotGUIDs []string
			for _, it := range items {
				gotGUIDs = append(gotGUIDs, it.URI)
			}
			tt, ok := tests[st.name]
			if !ok {
				// After everything: all stories, each once.
				if len(items) != len(stories) {
					t.Errorf("%d items, want %d", len(items), len(stories))
				}
				slices.Sort(gotGUIDs)
				if n := len(slices.Compact(gotGUIDs)); n != len(stories) {
					t.Errorf("%d distinct guids, want %d", n, len(stories))
				}
				tt.wantFirst = with(updated, corrected, killed)
			} else if diff := cmp.Diff(tt.wantGUIDs, gotGUIDs); diff != "" {
				t.Errorf("guids mismatch (-want +got):\n%s", diff)
			}
			for _, it := range items {
				want, ok := tt.wantFirst[it.URI]
				if !ok {
					continue
				}
				if diff := cmp.Diff(want, viewOf(&it)); diff != "" {
					t.Errorf("item %s mismatch (-want +got):\n%s", it.URI, diff)
				}
			}
		})
	})
}

// One item decoded in full, to pin what the feed says beyond the
// timeline: agency, dateline, tags, language, rights.
func TestNewsMLItemInFull(t *testing.T) {
	clock := &testClock{now: demoStart}
	a := New(Config{Now: clock.Now})
	if _, err := a.release(context.Background(), InitialRelease); err != nil {
		t.Fatal(err)
	}
	items, err := newsmlg2.Decode(a.g2.body, nil)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got := items[len(items)-1]
	got.BodyHTML, got.BodyText = "", "" // checked in TestNewsMLDecodesAtEachStage
	four, words := 4, len(strings.Fields(strings.Join(a.stories[0].Paragraphs, " ")))
	want := story.Item{
		URI:            "urn:newsml:harbourwire.example:2026:hws-0001",
		Version:        "1",
		PubStatus:      story.Usable,
		Type:           "text",
		FirstCreated:   &demoStart,
		VersionCreated: &demoStart,
		Urgency:        &four,
		Language:       "en",
		Headline:       "Storm Brannagh shuts Port Alder harbour as gales strengthen",
		Slugline:       "STORM-BRANNAGH/HARBOUR",
		Byline:         "Mirela Ostrand",
		Dateline:       &story.Dateline{Place: "PORT ALDER", Date: "Nov 29", Source: "HWS"},
		WordCount:      &words,
		Subjects: []story.Entity{
			{Scheme: "hwstopic", Code: "weather", Name: "Weather"},
			{Scheme: "hwstopic", Code: "transport", Name: "Transport"},
		},
		Places:    []story.Entity{{Scheme: "hwsgeo", Code: "port-alder", Name: "Port Alder"}},
		Copyright: "Fictional demo copy written for wiredesk.",
		Source:    story.ItemSource{Format: newsmlg2.Format, Agency: AgencyName},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("item mismatch (-want +got):\n%s", diff)
	}
}

// etagPair is the ETags of the two feeds at one moment.
type etagPair struct{ G2, RSS string }

func TestETagChangesOnlyWithContent(t *testing.T) {
	clock := &testClock{now: demoStart}
	a := New(Config{Now: clock.Now})
	ctx := context.Background()
	current := func() etagPair { return etagPair{a.g2.etag, a.rss.etag} }
	tests := []struct {
		name        string
		step        func(context.Context, *Agency) error
		wantChanged bool
	}{
		{"first release", releaseN(InitialRelease), true},
		{"update", applyChange(changeUpdate), true},
		{"the same update again", applyChange(changeUpdate), false},
		{"correction", applyChange(changeCorrection), true},
		{"kill", applyChange(changeKill), true},
		{"the same kill again", applyChange(changeKill), false},
		{"the rest released", releaseN(1000), true},
		{"a release with nothing left", releaseN(1), false},
	}
	for i, tt := range tests {
		clock.Set(demoStart.Add(time.Duration(i+1) * time.Second))
		before := current()
		if err := tt.step(ctx, a); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		after := current()
		if got := [2]bool{after.G2 != before.G2, after.RSS != before.RSS}; got != [2]bool{tt.wantChanged, tt.wantChanged} {
			t.Errorf("%s: ETags changed (G2, RSS) = %v, want both %v", tt.name, got, tt.wantChanged)
		}
	}
}

// The same releases give the same bytes, whenever they are rendered: the
// ETag is a function of the content and nothing else.
func TestFeedIsAFunctionOfTheReleases(t *testing.T) {
	render := func() etagPair {
		clock := &testClock{now: demoStart}
		a := New(Config{Now: clock.Now})
		if _, err := a.release(context.Background(), InitialRelease); err != nil {
			t.Fatal(err)
		}
		return etagPair{a.g2.etag, a.rss.etag}
	}
	first := render()
	time.Sleep(2 * time.Millisecond)
	if again := render(); again != first {
		t.Errorf("ETags %v then %v for the same releases", first, again)
	}
}

// The copy must stay valid JSON the way the package reads it: unknown
// fields would be dropped silently.
func TestStoriesJSONHasNoUnknownFields(t *testing.T) {
	d := json.NewDecoder(bytes.NewReader(storiesJSON))
	d.DisallowUnknownFields()
	var stories []storyCopy
	if err := d.Decode(&stories); err != nil {
		t.Errorf("stories.json: %v", err)
	}
}

func TestRelease(t *testing.T) {
	total := len(New(Config{}).stories)
	tests := []struct {
		name         string
		batches      []int
		wantMore     []bool
		wantReleased int
	}{
		{name: "initial batch", batches: []int{InitialRelease}, wantMore: []bool{true}, wantReleased: InitialRelease},
		{name: "one at a time to the end", batches: []int{total - 1, 1, 1}, wantMore: []bool{true, false, false}, wantReleased: total},
		{name: "a batch past the end is cut short", batches: []int{total - 2, 5}, wantMore: []bool{true, false}, wantReleased: total},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Config{Now: (&testClock{now: demoStart}).Now})
			var gotMore []bool
			for _, n := range tt.batches {
				more, err := a.release(context.Background(), n)
				if err != nil {
					t.Fatalf("release(%d): %v", n, err)
				}
				gotMore = append(gotMore, more)
			}
			if diff := cmp.Diff(tt.wantMore, gotMore); diff != "" {
				t.Errorf("more mismatch (-want +got):\n%s", diff)
			}
			if got := len(a.releases); got != tt.wantReleased {
				t.Errorf("released %d, want %d", got, tt.wantReleased)
			}
		})
	}
}

// A change to a story not yet out waits: it is not sent for a story no
// one has seen.
func TestChangeBeforeReleaseIsANoOp(t *testing.T) {
	a := New(Config{Now: (&testClock{now: demoStart}).Now})
	before := a.g2.etag
	if err := a.apply(context.Background(), changeKill); err != nil {
		t.Fatalf("apply kill: %v", err)
	}
	if a.g2.etag != before || a.applied[changeKill] {
		t.Error("a kill before any release changed the feed or was recorded as sent")
	}
}

// A source with no format configured finds it from the content, as the
// demo source will.
func TestFeedsAreDetected(t *testing.T) {
	a := New(Config{Now: (&testClock{now: demoStart}).Now})
	if _, err := a.release(context.Background(), InitialRelease); err != nil {
		t.Fatal(err)
	}
	var got [2]string
	for i, body := range [][]byte{a.g2.body, a.rss.body} {
		format, err := decode.Detect(body)
		if err != nil {
			t.Fatalf("Detect: %v", err)
		}
		got[i] = format
	}
	if want := [2]string{newsmlg2.Format, "rss"}; got != want {
		t.Errorf("detected formats = %v, want %v", got, want)
	}
}
