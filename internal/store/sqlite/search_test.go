package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// TestSearchRanksTheNewestWindow: with more matches than searchWindow,
// only the most recently stored searchWindow are ranked, so a headline
// match among them comes first and one stored before them is not found
// (the product choice searchWindow documents); the rest of the window
// follows newest first.
func TestSearchRanksTheNewestWindow(t *testing.T) {
	ctx := t.Context()
	s := migratedStore(t, "window.db")
	const n = searchWindow + 5
	// Story i (id i+1) is stored and published i minutes after start;
	// two carry the word in their headline: the first stored, outside the
	// window, and one just inside it.
	inside := n - searchWindow
	start := time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)
	uri := func(i int) string { return fmt.Sprintf("story-%04d", i) }
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			at := start.Add(time.Duration(i) * time.Minute)
			it := &story.Item{URI: uri(i), Version: "1", PubStatus: story.Usable, Source: story.ItemSource{Agency: "ap"},
				Headline: "Council meets", BodyText: "The ferry left at noon."}
			if i == 0 || i == inside {
				it.Headline = "Ferry sinks"
			}
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: it.URI, Slug: it.URI, State: story.Published, At: at})
			if err != nil {
				return err
			}
			v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1", Item: it, ReceivedAt: at, Applied: true})
			if err != nil {
				return err
			}
			if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published, PublishedAt: &at, At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		p    store.SearchParams
		want []string
	}{
		{"the window's headline match first, then the newest", store.SearchParams{Query: "ferry", Limit: 3}, []string{uri(inside), uri(n - 1), uri(n - 2)}},
		// Both headlines lack "noon": one group, newest first.
		{"a headline holding some of the words", store.SearchParams{Query: "ferry noon", Limit: 3}, []string{uri(n - 1), uri(n - 2), uri(n - 3)}},
		{"the deepest page follows", store.SearchParams{Query: "ferry", Limit: 3, Offset: store.MaxSearchOffset}, []string{uri(n - store.MaxSearchOffset), uri(n - 1 - store.MaxSearchOffset), uri(n - 2 - store.MaxSearchOffset)}},
		// Fewer matches than the window: ranked whole.
		{"a rare word", store.SearchParams{Query: "sinks"}, []string{uri(inside), uri(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.SearchStories(ctx, &tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Story.URI)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SearchStories (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSearchPlanRanksWithoutSortingEveryMatch: FTS5 hands the matches over
// newest first, so the window is taken without sorting all of them (only
// the window is sorted, to rank it); the headline matches are read from
// the index only down to the window's oldest rowid (a rowid lower bound,
// >), not per row nor over the whole list; and the marks are made by
// finding each of the page's rows again in the match, by rowid.
func TestSearchPlanRanksWithoutSortingEveryMatch(t *testing.T) {
	s := migratedStore(t, "plan.db")
	q, args := searchQuery(&store.SearchParams{Agency: "dpa"}, ftsQuery([]string{"harbour"}), 21, 0)
	got := queryPlan(t, s, q, args...)
	for i, l := range got {
		// The FTS5 index number is an implementation detail; whether it
		// takes a match (M) with a rowid equality (=) is not.
		if strings.HasPrefix(l, "SCAN story_search VIRTUAL TABLE INDEX ") {
			got[i] = "SCAN story_search VIRTUAL TABLE" + strings.TrimLeft(strings.TrimPrefix(l, "SCAN story_search VIRTUAL TABLE INDEX "), "0123456789")
		}
	}
	want := []string{
		"MATERIALIZE page",
		"MATERIALIZE recent",
		"SCAN story_search VIRTUAL TABLE:M2",
		"SEARCH s USING INTEGER PRIMARY KEY (rowid=?)",
		"CORRELATED SCALAR SUBQUERY 1",
		"SEARCH o USING INDEX stories_cluster (cluster_id=? AND id<?)",
		"SCAN recent",
		"LIST SUBQUERY 5",
		"MATERIALIZE in_headline",
		"SCAN story_search VIRTUAL TABLE:M2>",
		"SCALAR SUBQUERY 3",
		"SEARCH recent",
		"REUSE SUBQUERY 3",
		"SCAN in_headline",
		"CREATE BLOOM FILTER",
		"USE TEMP B-TREE FOR ORDER BY",
		"SCAN page",
		"SCAN story_search VIRTUAL TABLE:=M2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("search plan (-want +got):\n%s", diff)
	}
}
