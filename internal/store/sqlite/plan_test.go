package sqlite

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fullScan matches a plan line that reads a whole stories or story_versions
// table (by name or one-letter alias) instead of searching an index.
// Scanning json_each, the list of ids a query is given, is fine.
var fullScan = regexp.MustCompile(`\bSCAN (stories|story_versions|[a-z])\b`)

// TestQueryPlans holds the queries that run on every page view and every
// applied item to their indexes: a plan that falls back to reading the whole
// table works on a test database and crawls on a real one.
func TestQueryPlans(t *testing.T) {
	s := migratedStore(t, "plan.db")

	tests := []struct {
		name  string
		query string
		args  []any
		// want are fragments the plan must contain, in this order.
		want []string
		// sorted is set when the rows must come in index order, with no
		// sort of everything that matches before the LIMIT.
		sorted bool
	}{
		{
			name: "story list, first page, walks the visible index and probes clusters", query: listFirstPage, args: []any{50},
			want: []string{
				"SEARCH s USING INDEX stories_visible_newest",
				"SEARCH o USING INDEX stories_cluster (cluster_id=? AND id<?)",
			},
			sorted: true,
		},
		{
			name: "story list after a cursor", query: listPageAfter, args: []any{"2025-06-02T14:30:00.000000Z", 7, 50},
			want: []string{
				"SEARCH s USING INDEX stories_visible_newest",
				"SEARCH o USING INDEX stories_cluster (cluster_id=? AND id<?)",
			},
			sorted: true,
		},
		{
			name: "one story with also-reported-by", query: storySelect + ` WHERE s.id = ?`, args: []any{7},
			want: []string{
				"SEARCH s USING INTEGER PRIMARY KEY",
				"SEARCH o USING INDEX stories_cluster (cluster_id=?)",
			},
		},
		{
			name: "similar versions by text hash or any band key", query: similarVersions, args: []any{7, "abc", bandKeysJSON([]uint64{1, 1 << 63, 3}), 500},
			want: []string{
				"SEARCH v USING INTEGER PRIMARY KEY",
				"SEARCH story_versions USING INDEX story_versions_text_sha256 (text_sha256=?)",
				"SEARCH version_bands USING COVERING INDEX version_bands_band_key (band_key=?)",
				"SEARCH s USING INTEGER PRIMARY KEY",
			},
		},
		{
			name: "cluster members", query: clusterMembers, args: []any{"[1,2]"},
			want: []string{
				"SEARCH stories USING INTEGER PRIMARY KEY",
				"SEARCH g USING INTEGER PRIMARY KEY",
				"SEARCH m USING COVERING INDEX stories_cluster (cluster_id=?)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := queryPlan(t, s, tt.query, tt.args...)
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

// migratedStore opens a new, migrated database named name in a temporary
// directory, closed when the test ends.
func migratedStore(t *testing.T, name string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), name)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN for query, line by
// line, as a reader connection plans it.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
