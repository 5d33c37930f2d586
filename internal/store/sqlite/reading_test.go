package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// TestReadingQueryPlans holds the filtered story lists, the section list and
// search to their indexes, as TestQueryPlans does the plain list: each walks
// an index newest first and stops at its page, or looks rows up by key.
func TestReadingQueryPlans(t *testing.T) {
	s := migratedStore(t, "plan.db")
	since := time.Date(2025, 6, 2, 14, 30, 0, 0, time.UTC)
	before := &store.StoryCursor{PublishedAt: since.Add(time.Hour), ID: 7}
	tag := &store.TagRef{Kind: store.TagSubject, Slug: "football"}
	type query struct {
		sql  string
		args []any
	}
	q := func(sql string, args ...any) query { return query{sql, args} }
	list := func(p store.ListStoriesParams) query {
		sql, args := listStoriesQuery(&p, 50)
		return query{sql, args}
	}
	tests := []struct {
		name  string
		query query
		// want are fragments the plan must contain, in this order.
		want []string
		// sorted is set when the rows must come in index order, with no
		// sort of everything that matches before the LIMIT.
		sorted bool
	}{
		{
			name: "section page", query: (list(store.ListStoriesParams{Section: "sport", Before: before})),
			want:   []string{"SEARCH s USING INDEX stories_section_newest (section=?", "SEARCH o USING INDEX stories_cluster"},
			sorted: true,
		},
		{
			name: "agency since", query: (list(store.ListStoriesParams{Agency: "dpa", Since: &since})),
			want:   []string{"SEARCH s USING INDEX stories_agency_newest (agency=?", "SEARCH o USING INDEX stories_cluster"},
			sorted: true,
		},
		{
			name: "since alone", query: (list(store.ListStoriesParams{Since: &since, Before: before})),
			want:   []string{"SEARCH s USING INDEX stories_visible_newest", "SEARCH o USING INDEX stories_cluster"},
			sorted: true,
		},
		{
			name: "tag page", query: (list(store.ListStoriesParams{Tag: tag, Before: before})),
			want:   []string{"SEARCH t USING COVERING INDEX story_tags_newest (kind=? AND slug=?", "SEARCH s USING INTEGER PRIMARY KEY", "SEARCH o USING INDEX stories_cluster"},
			sorted: true,
		},
		{
			name: "tag page of a section", query: (list(store.ListStoriesParams{Tag: tag, Section: "sport"})),
			want:   []string{"SEARCH t USING COVERING INDEX story_tags_newest (kind=? AND slug=?", "SEARCH s USING INTEGER PRIMARY KEY"},
			sorted: true,
		},
		{
			name: "tag lookup", query: q(getTag, "subject", "football"),
			want:   []string{"SEARCH t USING INDEX story_tags_newest (kind=? AND slug=?", "SEARCH s USING INTEGER PRIMARY KEY"},
			sorted: true,
		},
		{
			name: "sections in use", query: q(listSections),
			want: []string{"SEARCH stories USING COVERING INDEX stories_section_newest (section>?)", "SEARCH stories USING COVERING INDEX stories_section_newest (section>?)"},
		},
		{
			name: "search", query: func() query {
				sql, args := searchQuery(&store.SearchParams{Section: "sport"}, ftsQuery([]string{"harbour"}), 21, 0)
				return query{sql, args}
			}(),
			want: []string{"SCAN story_search VIRTUAL TABLE INDEX", "SEARCH s USING INTEGER PRIMARY KEY", "SEARCH o USING INDEX stories_cluster"},
		},
		{
			name: "search hits' stories", query: q(storiesByID, "[1,2,3]"),
			want: []string{"SEARCH s USING INTEGER PRIMARY KEY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := queryPlan(t, s, tt.query.sql, tt.query.args...)
			plan := strings.Join(lines, "\n")
			rest := plan
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("plan lacks %q (in order):\n%s", w, plan)
					break
				}
				rest = rest[i+len(w):]
			}
			for _, l := range lines {
				if fullScan.MatchString(l) {
					t.Errorf("plan reads a whole table: %q\n%s", l, plan)
				}
				if tt.sorted && strings.Contains(l, "TEMP B-TREE FOR ORDER BY") {
					t.Errorf("plan sorts the rows instead of reading them in index order: %q\n%s", l, plan)
				}
			}
		})
	}
}

// FuzzSearchStories: whatever a reader types, search answers without an
// error: no input reaches FTS5's query language.
func FuzzSearchStories(f *testing.F) {
	for _, q := range []string{"harbour", `"harbour`, "a OR b", "NEAR(a b)", "x*", "^col:", "-", `""`, "\x00", "AND"} {
		f.Add(q)
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(f.TempDir(), "fuzz.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := s.SearchStories(ctx, &store.SearchParams{Query: q}); err != nil {
			t.Fatalf("SearchStories(%q): %v", q, err)
		}
	})
}
