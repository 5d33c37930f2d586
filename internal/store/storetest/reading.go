package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// testReading is the part of the suite behind the reader's pages: the story
// list's filters, tags, sections and search.
func testReading(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ListFilters", func(t *testing.T) { testListFilters(t, open) })
	t.Run("Tags", func(t *testing.T) { testTags(t, open) })
	t.Run("Sections", func(t *testing.T) { testSections(t, open) })
	t.Run("Search", func(t *testing.T) { testSearch(t, open) })
	t.Run("SearchFollowsState", func(t *testing.T) { testSearchFollowsState(t, open) })
	t.Run("SearchManyMatches", func(t *testing.T) { testSearchManyMatches(t, open) })
	t.Run("SearchHeadlineFirst", func(t *testing.T) { testSearchHeadlineFirst(t, open) })
}

// readingStory is a story to seed: one version on show in state, first
// published at minute `minute` after at (hidden states are never published).
type readingStory struct {
	uri      string
	agency   string
	section  string
	state    story.State
	minute   int
	headline string
	body     string
	subjects []string
	places   []string
	people   []string
}

func (r readingStory) item(version string) *story.Item {
	it := &story.Item{
		URI: r.uri, Version: version, PubStatus: story.Usable, Headline: r.headline, BodyText: r.body,
		Source: story.ItemSource{Agency: r.agency},
	}
	if it.Headline == "" {
		it.Headline = r.uri
	}
	for _, n := range r.subjects {
		it.Subjects = append(it.Subjects, story.Entity{Name: n, Code: "x:" + n})
	}
	for _, n := range r.places {
		it.Places = append(it.Places, story.Entity{Name: n})
	}
	for _, n := range r.people {
		it.People = append(it.People, story.Entity{Name: n})
	}
	return it
}

// seedReading stores each story in one transaction and returns their ids
// by uri.
func seedReading(t *testing.T, s store.Store, stories ...readingStory) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range stories {
			agency := r.agency
			if agency == "" {
				agency = "ap"
				r.agency = agency
			}
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: agency, URI: r.uri, Slug: story.Slug(r.uri), State: r.state, At: at})
			if err != nil {
				return err
			}
			v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1", Item: r.item("1"), ReceivedAt: at, Applied: true})
			if err != nil {
				return err
			}
			var published *time.Time
			if r.state.Visible() {
				published = ptr(at.Add(time.Duration(r.minute) * time.Minute))
			}
			if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: r.state, PublishedAt: published, At: at}); err != nil {
				return fmt.Errorf("seed %s: %w", r.uri, err)
			}
			if r.section != "" {
				if err := tx.SetSection(ctx, st.ID, r.section); err != nil {
					return err
				}
			}
			ids[r.uri] = st.ID
		}
		return nil
	})
	return ids
}

// putVersion puts a new version of a seeded story on show.
func putVersion(t *testing.T, s store.Store, id int64, key string, it *story.Item, state story.State, when time.Time) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: id, Key: key, Item: it, ReceivedAt: when, Applied: true})
		if err != nil {
			return err
		}
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: id, VersionID: v.ID, State: state, At: when})
	})
}

func storyURIs(sts []*story.Story) []string {
	var out []string
	for _, st := range sts {
		out = append(out, st.URI)
	}
	return out
}

func testListFilters(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ids := seedReading(t, s,
		readingStory{uri: "ap-sport-1", agency: "ap", section: "sport", state: story.Published, minute: 1, subjects: []string{"Football"}, places: []string{"Berlin"}},
		readingStory{uri: "dpa-sport-2", agency: "dpa", section: "sport", state: story.Published, minute: 2, subjects: []string{"Football", "Transfers"}},
		readingStory{uri: "ap-politics-3", agency: "ap", section: "politics", state: story.Published, minute: 3, places: []string{"Berlin"}, people: []string{"Olaf Scholz"}},
		readingStory{uri: "ap-sport-killed", agency: "ap", section: "sport", state: story.Killed, subjects: []string{"Football"}, places: []string{"Berlin"}},
		readingStory{uri: "dpa-sport-embargoed", agency: "dpa", section: "sport", state: story.Embargoed, subjects: []string{"Football"}},
		readingStory{uri: "dpa-sport-4", agency: "dpa", section: "sport", state: story.Published, minute: 4, subjects: []string{"football"}, places: []string{"Berlin"}},
		// Reports the same as ap-sport-1, which has the smaller id: only
		// ap-sport-1 is listed, under any filter both match.
		readingStory{uri: "afp-sport-dup", agency: "afp", section: "sport", state: story.Published, minute: 5, subjects: []string{"Football"}, places: []string{"Berlin"}},
	)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MergeClusters(ctx, []int64{ids["ap-sport-1"], ids["afp-sport-dup"]})
		return err
	})
	since := at.Add(2 * time.Minute)
	football := &store.TagRef{Kind: store.TagSubject, Slug: "football"}
	berlin := &store.TagRef{Kind: store.TagPlace, Slug: "berlin"}
	tests := []struct {
		name string
		p    store.ListStoriesParams
		want []string
	}{
		{"no filter", store.ListStoriesParams{}, []string{"dpa-sport-4", "ap-politics-3", "dpa-sport-2", "ap-sport-1"}},
		{"section", store.ListStoriesParams{Section: "sport"}, []string{"dpa-sport-4", "dpa-sport-2", "ap-sport-1"}},
		{"section without stories", store.ListStoriesParams{Section: "weather"}, nil},
		{"agency", store.ListStoriesParams{Agency: "dpa"}, []string{"dpa-sport-4", "dpa-sport-2"}},
		{"agency of a story folded into a cluster", store.ListStoriesParams{Agency: "afp"}, nil},
		{"subject tag, any spelling of the name", store.ListStoriesParams{Tag: football}, []string{"dpa-sport-4", "dpa-sport-2", "ap-sport-1"}},
		{"place tag", store.ListStoriesParams{Tag: berlin}, []string{"dpa-sport-4", "ap-politics-3", "ap-sport-1"}},
		{"person tag", store.ListStoriesParams{Tag: &store.TagRef{Kind: store.TagPerson, Slug: "olaf-scholz"}}, []string{"ap-politics-3"}},
		{"tag of another kind", store.ListStoriesParams{Tag: &store.TagRef{Kind: store.TagPlace, Slug: "football"}}, nil},
		{"since, inclusive", store.ListStoriesParams{Since: &since}, []string{"dpa-sport-4", "ap-politics-3", "dpa-sport-2"}},
		{"tag and agency", store.ListStoriesParams{Tag: berlin, Agency: "ap"}, []string{"ap-politics-3", "ap-sport-1"}},
		{"tag and section and since", store.ListStoriesParams{Tag: berlin, Section: "sport", Since: &since}, []string{"dpa-sport-4"}},
		{"section and agency", store.ListStoriesParams{Section: "sport", Agency: "ap"}, []string{"ap-sport-1"}},
		{"limit", store.ListStoriesParams{Tag: football, Limit: 1}, []string{"dpa-sport-4"}},
		{"cursor with a tag", store.ListStoriesParams{Tag: football, Before: &store.StoryCursor{PublishedAt: at.Add(4 * time.Minute), ID: ids["dpa-sport-4"]}}, []string{"dpa-sport-2", "ap-sport-1"}},
		{"cursor with a section", store.ListStoriesParams{Section: "sport", Before: &store.StoryCursor{PublishedAt: at.Add(2 * time.Minute), ID: ids["dpa-sport-2"]}}, []string{"ap-sport-1"}},
		{"cursor with since", store.ListStoriesParams{Since: &since, Before: &store.StoryCursor{PublishedAt: at.Add(3 * time.Minute), ID: ids["ap-politics-3"]}}, []string{"dpa-sport-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListStories(t.Context(), &tt.p)
			if err != nil {
				t.Fatalf("ListStories: %v", err)
			}
			if diff := cmp.Diff(tt.want, storyURIs(got)); diff != "" {
				t.Errorf("ListStories uris (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("pages of one walk a tag", func(t *testing.T) {
		var walked []string
		p := &store.ListStoriesParams{Tag: football, Limit: 1}
		for range 10 {
			page, err := s.ListStories(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			walked = append(walked, storyURIs(page)...)
			last := page[len(page)-1]
			p.Before = &store.StoryCursor{PublishedAt: last.PublishedAt, ID: last.ID}
		}
		if diff := cmp.Diff([]string{"dpa-sport-4", "dpa-sport-2", "ap-sport-1"}, walked); diff != "" {
			t.Errorf("walked (-want +got):\n%s", diff)
		}
	})

	t.Run("killing the cluster's first shows the next under its tag", func(t *testing.T) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.SetState(ctx, &store.SetStateParams{StoryID: ids["ap-sport-1"], State: story.Killed, At: at.Add(time.Hour)})
		})
		got, err := s.ListStories(t.Context(), &store.ListStoriesParams{Tag: berlin, Section: "sport"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"afp-sport-dup", "dpa-sport-4"}, storyURIs(got)); diff != "" {
			t.Errorf("ListStories uris (-want +got):\n%s", diff)
		}
	})
}

func testTags(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	ids := seedReading(t, s,
		readingStory{uri: "one", state: story.Published, minute: 1, subjects: []string{"Climate change", "Climate Change", ""}, places: []string{"Köln"}},
		readingStory{uri: "two", state: story.Published, minute: 2, subjects: []string{"Climate change"}, people: []string{"Greta Thunberg"}},
		readingStory{uri: "killed", state: story.Killed, subjects: []string{"Secret subject"}},
		readingStory{uri: "embargoed", state: story.Embargoed, minute: 0, subjects: []string{"Embargoed subject"}},
	)

	t.Run("GetTag", func(t *testing.T) {
		tests := []struct {
			ref     store.TagRef
			want    *store.Tag
			wantErr error
		}{
			{store.TagRef{Kind: store.TagSubject, Slug: "climate-change"}, &store.Tag{Kind: store.TagSubject, Slug: "climate-change", Name: "Climate change"}, nil},
			{store.TagRef{Kind: store.TagPlace, Slug: "köln"}, &store.Tag{Kind: store.TagPlace, Slug: "köln", Name: "Köln"}, nil},
			{store.TagRef{Kind: store.TagPerson, Slug: "greta-thunberg"}, &store.Tag{Kind: store.TagPerson, Slug: "greta-thunberg", Name: "Greta Thunberg"}, nil},
			{store.TagRef{Kind: store.TagSubject, Slug: "secret-subject"}, nil, store.ErrNotFound},
			{store.TagRef{Kind: store.TagSubject, Slug: "embargoed-subject"}, nil, store.ErrNotFound},
			{store.TagRef{Kind: store.TagPlace, Slug: "climate-change"}, nil, store.ErrNotFound},
		}
		for _, tt := range tests {
			got, err := s.GetTag(ctx, &tt.ref)
			if !checkErr(err, tt.wantErr) {
				t.Errorf("GetTag(%v) error = %v, want %v", tt.ref, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GetTag(%v) (-want +got):\n%s", tt.ref, diff)
			}
		}
	})

	t.Run("ListTags", func(t *testing.T) {
		got, err := s.ListTags(ctx, &store.ListTagsParams{})
		if err != nil {
			t.Fatal(err)
		}
		want := []*store.TagCount{
			{Tag: store.Tag{Kind: store.TagSubject, Slug: "climate-change", Name: "Climate change"}, Stories: 2},
			{Tag: store.Tag{Kind: store.TagPerson, Slug: "greta-thunberg", Name: "Greta Thunberg"}, Stories: 1},
			{Tag: store.Tag{Kind: store.TagPlace, Slug: "köln", Name: "Köln"}, Stories: 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListTags (-want +got):\n%s", diff)
		}
		got, err = s.ListTags(ctx, &store.ListTagsParams{Kind: store.TagPlace, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[2:], got); diff != "" {
			t.Errorf("ListTags of places (-want +got):\n%s", diff)
		}
	})

	t.Run("a new version on show replaces the tags", func(t *testing.T) {
		it := readingStory{uri: "two", agency: "ap", subjects: []string{"Energy"}}.item("2")
		putVersion(t, s, ids["two"], "v:2", it, story.Published, at.Add(time.Hour))
		for _, tc := range []struct {
			ref  store.TagRef
			want []string
		}{
			{store.TagRef{Kind: store.TagSubject, Slug: "climate-change"}, []string{"one"}},
			{store.TagRef{Kind: store.TagPerson, Slug: "greta-thunberg"}, nil},
			{store.TagRef{Kind: store.TagSubject, Slug: "energy"}, []string{"two"}},
		} {
			got, err := s.ListStories(ctx, &store.ListStoriesParams{Tag: &tc.ref})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, storyURIs(got)); diff != "" {
				t.Errorf("stories tagged %v (-want +got):\n%s", tc.ref, diff)
			}
		}
	})

	t.Run("an embargo released publishes the tags", func(t *testing.T) {
		release := at.Add(2 * time.Hour)
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.SetState(ctx, &store.SetStateParams{StoryID: ids["embargoed"], State: story.Published, At: release})
		})
		ref := &store.TagRef{Kind: store.TagSubject, Slug: "embargoed-subject"}
		got, err := s.ListStories(ctx, &store.ListStoriesParams{Tag: ref})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"embargoed"}, storyURIs(got)); diff != "" {
			t.Errorf("stories tagged %v after release (-want +got):\n%s", ref, diff)
		}
		// The tag's keyset is the story's publication time.
		if len(got) == 1 && !got[0].PublishedAt.Equal(release) {
			t.Errorf("released story published at %v, want %v", got[0].PublishedAt, release)
		}
		older, err := s.ListStories(ctx, &store.ListStoriesParams{Tag: ref, Before: &store.StoryCursor{PublishedAt: release, ID: ids["embargoed"]}})
		if err != nil || len(older) != 0 {
			t.Errorf("page after the released story: %v, %v; want none", storyURIs(older), err)
		}
	})
}

func testSections(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	if got, err := s.ListSections(t.Context()); err != nil || len(got) != 0 {
		t.Errorf("ListSections of an empty store = %v, %v; want none", got, err)
	}
	seedReading(t, s,
		readingStory{uri: "a", section: "world", state: story.Published, minute: 1},
		readingStory{uri: "b", section: "business", state: story.Published, minute: 2},
		readingStory{uri: "c", section: "world", state: story.Published, minute: 3},
		readingStory{uri: "d", section: "human-interest", state: story.Published, minute: 4},
		readingStory{uri: "e", section: "secret", state: story.Killed},
		readingStory{uri: "f", section: "later", state: story.Embargoed},
		readingStory{uri: "g", state: story.Published, minute: 5},
	)
	got, err := s.ListSections(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"business", "human-interest", "world"}, got); diff != "" {
		t.Errorf("ListSections (-want +got):\n%s", diff)
	}
}

// hitView is what a test checks of a search hit.
type hitView struct {
	URI      string
	Headline []store.TextSpan
	Matched  []string // the snippet's matched spans
}

func viewHits(res *store.SearchResult) []hitView {
	var out []hitView
	for _, h := range res.Hits {
		v := hitView{URI: h.Story.URI, Headline: h.Headline}
		for _, sp := range h.Snippet {
			if sp.Match {
				v.Matched = append(v.Matched, sp.Text)
			}
		}
		out = append(out, v)
	}
	return out
}

func searchURIs(res *store.SearchResult) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Story.URI)
	}
	return out
}

func testSearch(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	filler := strings.Repeat("The council met on Tuesday and discussed the budget at length. ", 5)
	ids := seedReading(t, s,
		readingStory{uri: "headline-match", agency: "ap", section: "business", state: story.Published, minute: 1,
			headline: "Harbour strike halts exports", body: "Dock workers walked out at dawn. " + filler},
		readingStory{uri: "body-match", agency: "dpa", section: "politics", state: story.Published, minute: 2,
			headline: "Council debates budget", body: filler + "A strike at the harbour was mentioned in passing."},
		readingStory{uri: "unrelated", agency: "ap", section: "business", state: story.Published, minute: 3,
			headline: "Markets rise", body: "Shares rose across Asia."},
		readingStory{uri: "killed-match", agency: "ap", state: story.Killed, headline: "Harbour strike killed", body: "Harbour."},
		readingStory{uri: "withheld-match", agency: "ap", state: story.WithheldState, headline: "Harbour strike withheld", body: "Harbour."},
		readingStory{uri: "duplicate-match", agency: "afp", section: "business", state: story.Published, minute: 4,
			headline: "Harbour strike halts exports", body: "Dock workers walked out at dawn."},
	)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MergeClusters(ctx, []int64{ids["headline-match"], ids["duplicate-match"]})
		return err
	})
	since := at.Add(2 * time.Minute)

	tests := []struct {
		name     string
		p        store.SearchParams
		want     []string
		wantMore bool
	}{
		{"headline match ranks first, one per cluster, hidden stories never", store.SearchParams{Query: "harbour"}, []string{"headline-match", "body-match"}, false},
		{"case is folded", store.SearchParams{Query: "HARBOUR"}, []string{"headline-match", "body-match"}, false},
		{"every word is required", store.SearchParams{Query: "harbour dawn"}, []string{"headline-match"}, false},
		{"a word in no story", store.SearchParams{Query: "harbour zeppelin"}, nil, false},
		{"query language is not interpreted", store.SearchParams{Query: `harbour OR "markets" NEAR(* -strike) ^dawn:`}, nil, false},
		// "and" is a word, in neither headline: both rank as text matches.
		{"operators and quotes are words or nothing", store.SearchParams{Query: `"harbour" AND (strike*)`}, []string{"body-match", "headline-match"}, false},
		{"punctuation only", store.SearchParams{Query: `"*(:^-`}, nil, false},
		{"empty", store.SearchParams{}, nil, false},
		{"section", store.SearchParams{Query: "harbour", Section: "politics"}, []string{"body-match"}, false},
		{"agency", store.SearchParams{Query: "budget", Agency: "dpa"}, []string{"body-match"}, false},
		{"since", store.SearchParams{Query: "harbour", Since: &since}, []string{"body-match"}, false},
		{"limit leaves more", store.SearchParams{Query: "harbour", Limit: 1}, []string{"headline-match"}, true},
		{"offset", store.SearchParams{Query: "harbour", Limit: 1, Offset: 1}, []string{"body-match"}, false},
		{"offset past the end", store.SearchParams{Query: "harbour", Offset: 5}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.SearchStories(ctx, &tt.p)
			if err != nil {
				t.Fatalf("SearchStories: %v", err)
			}
			if diff := cmp.Diff(tt.want, searchURIs(res)); diff != "" {
				t.Errorf("SearchStories uris (-want +got):\n%s", diff)
			}
			if res.More != tt.wantMore {
				t.Errorf("More = %v, want %v", res.More, tt.wantMore)
			}
		})
	}

	t.Run("matches are marked", func(t *testing.T) {
		res, err := s.SearchStories(ctx, &store.SearchParams{Query: "harbour strike"})
		if err != nil {
			t.Fatal(err)
		}
		want := []hitView{
			{
				URI:      "headline-match",
				Headline: []store.TextSpan{{Text: "Harbour", Match: true}, {Text: " "}, {Text: "strike", Match: true}, {Text: " halts exports"}},
			},
			{
				URI:      "body-match",
				Headline: []store.TextSpan{{Text: "Council debates budget"}},
				Matched:  []string{"strike", "harbour"},
			},
		}
		if diff := cmp.Diff(want, viewHits(res)); diff != "" {
			t.Errorf("marked hits (-want +got):\n%s", diff)
		}
		for _, h := range res.Hits {
			if h.Story.Current == nil || h.Story.Current.Headline == "" {
				t.Errorf("hit %s comes without its story's current version", h.Story.URI)
			}
		}
	})
}

// testSearchManyMatches checks ranking, paging and filters when a word
// matches many stories: the one with the word in its headline comes first
// wherever it sits among them, the rest newest first, and pages and
// filters keep that order.
func testSearchManyMatches(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	const matches = 45
	sections := []string{"sport", "politics", "business"}
	agencies := []string{"ap", "dpa", "afp"}
	var seeds []readingStory
	for i := range matches {
		seeds = append(seeds, readingStory{
			uri: fmt.Sprintf("body-%02d", i), agency: agencies[i%3], section: sections[i%3], state: story.Published, minute: i,
			headline: "Council meets", body: "The ferry left at noon and the council met.",
		})
	}
	// In the middle of the others by both id and time, so that neither
	// order alone puts it first.
	best := readingStory{uri: "headline", agency: "dpa", section: "sport", state: story.Published, minute: 20,
		headline: "Ferry sinks", body: "The council met at noon."}
	seeds = slices.Insert(seeds, 20, best)
	seeds = append(seeds,
		readingStory{uri: "killed", agency: "ap", section: "sport", state: story.Killed, headline: "Ferry ferry killed", body: "Ferry."},
		readingStory{uri: "folded", agency: "ap", section: "sport", state: story.Published, minute: 60,
			headline: "Council meets", body: "The ferry left at noon and the council met."},
	)
	ids := seedReading(t, s, seeds...)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MergeClusters(ctx, []int64{ids["body-00"], ids["folded"]})
		return err
	})
	since := at.Add(30 * time.Minute)

	// want is the full ranking of the stories keep selects.
	want := func(keep func(i int) bool) []string {
		var uris []string
		if keep(-1) {
			uris = append(uris, best.uri)
		}
		for i := matches - 1; i >= 0; i-- {
			if keep(i) {
				uris = append(uris, fmt.Sprintf("body-%02d", i))
			}
		}
		return uris
	}
	// keep's i is a body-NN story's number, -1 the headline match.
	all := func(int) bool { return true }
	tests := []struct {
		name string
		p    store.SearchParams
		want []string
	}{
		{"headline match first, then newest first", store.SearchParams{Query: "ferry"}, want(all)},
		{"section", store.SearchParams{Query: "ferry", Section: "sport"}, want(func(i int) bool { return i < 0 || i%3 == 0 })},
		{"agency", store.SearchParams{Query: "ferry", Agency: "dpa"}, want(func(i int) bool { return i < 0 || i%3 == 1 })},
		{"since leaves the headline match out", store.SearchParams{Query: "ferry", Since: &since}, want(func(i int) bool { return i >= 30 })},
		{"section and since", store.SearchParams{Query: "ferry", Section: "politics", Since: &since}, want(func(i int) bool { return i >= 30 && i%3 == 1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := tt.p
			whole.Limit = store.MaxSearchLimit
			res, err := s.SearchStories(ctx, &whole)
			if err != nil {
				t.Fatalf("SearchStories: %v", err)
			}
			if diff := cmp.Diff(tt.want, searchURIs(res)); diff != "" {
				t.Errorf("SearchStories uris (-want +got):\n%s", diff)
			}
			if res.More {
				t.Errorf("More on a page holding every match")
			}

			// Pages of 7 walk the same ranking, without gaps or repeats.
			var paged []string
			for page := 0; ; page++ {
				p := tt.p
				p.Limit, p.Offset = 7, 7*page
				res, err := s.SearchStories(ctx, &p)
				if err != nil {
					t.Fatalf("SearchStories page %d: %v", page, err)
				}
				paged = append(paged, searchURIs(res)...)
				if wantMore := len(tt.want) > 7*(page+1); res.More != wantMore {
					t.Errorf("page %d: More = %v, want %v", page, res.More, wantMore)
				}
				if !res.More || page > matches {
					break
				}
			}
			if diff := cmp.Diff(tt.want, paged); diff != "" {
				t.Errorf("pages of 7 (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the page's rows are marked", func(t *testing.T) {
		res, err := s.SearchStories(ctx, &store.SearchParams{Query: "ferry", Limit: 3, Offset: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 3 {
			t.Fatalf("%d hits, want 3", len(res.Hits))
		}
		for _, h := range viewHits(res) {
			if diff := cmp.Diff([]string{"ferry"}, h.Matched); diff != "" {
				t.Errorf("hit %s: snippet's marked words (-want +got):\n%s", h.URI, diff)
			}
		}
	})
}

// testSearchHeadlineFirst checks the ranking itself: stories whose
// headline holds every word of the query come before the others, however
// old, and each group is newest first, however often the words occur (a
// frequency-weighted rank, such as bm25 or ts_rank, would put the stories
// repeating the words first).
func testSearchHeadlineFirst(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	seedReading(t, s,
		readingStory{uri: "old-headline", minute: 1, state: story.Published, headline: "Ferry ferry ferry capsizes", body: "Ferry."},
		readingStory{uri: "old-body", minute: 3, state: story.Published, headline: "Council meets", body: "Ferry ferry ferry at noon, noon, noon."},
		readingStory{uri: "new-headline", minute: 5, state: story.Published,
			headline: "Ferry sinks off the coast near the harbour at noon", body: "Rescuers arrived within the hour."},
		readingStory{uri: "new-body", minute: 7, state: story.Published, headline: "Council meets",
			body: "The council met for most of the day, and after a long debate the ferry left at noon."},
		readingStory{uri: "partial", minute: 9, state: story.Published, headline: "Ferry delayed", body: "It left at noon."},
	)
	tests := []struct {
		name     string
		p        store.SearchParams
		want     []string
		wantMore bool
	}{
		{"headline matches first, each group newest first", store.SearchParams{Query: "ferry"},
			[]string{"partial", "new-headline", "old-headline", "new-body", "old-body"}, false},
		{"the headline must hold every word", store.SearchParams{Query: "ferry noon"},
			[]string{"new-headline", "partial", "new-body", "old-body"}, false},
		{"a page across the groups", store.SearchParams{Query: "ferry", Limit: 2, Offset: 2},
			[]string{"old-headline", "new-body"}, true},
		{"the last page", store.SearchParams{Query: "ferry noon", Limit: 3, Offset: 3},
			[]string{"old-body"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.SearchStories(ctx, &tt.p)
			if err != nil {
				t.Fatalf("SearchStories: %v", err)
			}
			if diff := cmp.Diff(tt.want, searchURIs(res)); diff != "" {
				t.Errorf("SearchStories uris (-want +got):\n%s", diff)
			}
			if res.More != tt.wantMore {
				t.Errorf("More = %v, want %v", res.More, tt.wantMore)
			}
		})
	}
}

// testSearchFollowsState checks that the index follows a story through its
// lifecycle, each change visible to the next search.
func testSearchFollowsState(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	ids := seedReading(t, s,
		readingStory{uri: "story", state: story.Published, minute: 1, headline: "Volcano erupts", body: "Lava reached the village."},
		readingStory{uri: "embargoed", state: story.Embargoed, headline: "Volcano report embargoed", body: "Lava."},
	)
	id := ids["story"]
	search := func(q string) []string {
		t.Helper()
		res, err := s.SearchStories(ctx, &store.SearchParams{Query: q})
		if err != nil {
			t.Fatalf("SearchStories(%q): %v", q, err)
		}
		return searchURIs(res)
	}
	steps := []struct {
		name string
		do   func()
		want map[string][]string // query → uris
	}{
		{"published", func() {}, map[string][]string{"volcano": {"story"}, "lava": {"story"}, "ash": nil}},
		{"an update replaces the text", func() {
			it := &story.Item{URI: "story", Version: "2", PubStatus: story.Usable, Headline: "Volcano calms", BodyText: "Ash fell on the village."}
			putVersion(t, s, id, "v:2", it, story.Published, at.Add(time.Hour))
		}, map[string][]string{"volcano": {"story"}, "lava": nil, "ash": {"story"}, "erupts": nil, "calms": {"story"}}},
		{"a kill takes it out at once", func() {
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Killed, At: at.Add(2 * time.Hour)})
			})
		}, map[string][]string{"volcano": nil, "ash": nil}},
		{"a restore brings it back", func() {
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Published, At: at.Add(3 * time.Hour)})
			})
		}, map[string][]string{"volcano": {"story"}, "ash": {"story"}}},
		{"an embargo released enters the index", func() {
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: ids["embargoed"], State: story.Published, At: at.Add(4 * time.Hour)})
			})
		}, map[string][]string{"embargoed": {"embargoed"}}},
		{"a kill put on show as a version takes it out", func() {
			it := &story.Item{URI: "story", Version: "3", PubStatus: story.Canceled, Headline: "Volcano withdrawn", BodyText: "This story was withdrawn."}
			putVersion(t, s, id, "v:3", it, story.Killed, at.Add(5*time.Hour))
		}, map[string][]string{"volcano": {"embargoed"}, "withdrawn": nil}},
	}
	for _, step := range steps {
		step.do()
		for q, want := range step.want {
			if diff := cmp.Diff(want, search(q)); diff != "" {
				t.Errorf("after %s: search %q (-want +got):\n%s", step.name, q, diff)
			}
		}
	}
	if _, err := s.GetTag(ctx, &store.TagRef{Kind: "nonsense", Slug: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTag of an unknown kind = %v, want ErrNotFound", err)
	}
}
