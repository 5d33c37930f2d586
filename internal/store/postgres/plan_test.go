package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
)

// TestQueryPlans holds the queries that run on every page view and every
// applied item to their indexes. PostgreSQL plans by statistics, so the
// tables first get a realistic size and shape: 20,000 stories, a tenth
// killed, two in five in clusters of up to three, each with a version
// fingerprinted with a 512-byte signature and uniformly spread band keys
// (8 rather than 32 per version: the statistics, every key about unique,
// are the same, at a quarter of the seeding time); then ANALYZE.
func TestQueryPlans(t *testing.T) {
	s := dbtest.Postgres(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO stories (agency, uri, slug, state, first_seen_at, published_at, updated_at)
		 SELECT 'ap', 'urn:' || g, 's', CASE WHEN g % 10 = 0 THEN 'killed' ELSE 'published' END,
		        now(), now() - g * interval '1 minute', now()
		 FROM generate_series(1, 20000) g`,
		`UPDATE stories SET cluster_id = id - (id % 3) + 1 WHERE id % 5 IN (0, 1)`,
		`INSERT INTO story_versions (story_id, version_key, item, received_at, text_sha256, minhash)
		 SELECT id, 'v:1', '{}', now(), md5(id::text), decode(repeat(md5('minhash' || id), 32), 'hex') FROM stories`,
		`INSERT INTO version_bands (version_id, band_key, story_id)
		 SELECT v.id, hashint8extended(v.id * 32 + b, 0), v.story_id
		 FROM story_versions v, generate_series(0, 7) b`,
		`UPDATE stories SET current_version_id = (SELECT v.id FROM story_versions v WHERE v.story_id = stories.id)`,
		`ANALYZE stories, story_versions, version_bands`,
	} {
		if _, err := s.Pool().Exec(ctx, q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}

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
			name: "story list, first page, walks the visible index and probes clusters", query: postgres.ListFirstPageSQL, args: []any{50},
			want: []string{
				"Index Scan using stories_visible_newest on stories s",
				"Index Scan using stories_cluster on stories o",
			},
			sorted: true,
		},
		{
			name: "story list after a cursor", query: postgres.ListPageAfterSQL, args: []any{50, time.Now().Add(-time.Hour), 7},
			want: []string{
				"Index Scan using stories_visible_newest on stories s",
				"Index Scan using stories_cluster on stories o",
			},
			sorted: true,
		},
		{
			name: "one story with also-reported-by", query: postgres.StoryByIDSQL, args: []any{7},
			want: []string{
				"Index Scan using stories_pkey on stories s",
				"using stories_cluster on stories o",
			},
		},
		{
			name: "similar versions by text hash or any band key", query: postgres.SimilarVersionsSQL,
			args: []any{7, "abc", bandKeys(32), 500},
			want: []string{
				"story_versions_text_sha256",
				"version_bands_band_key",
				"story_versions_pkey on story_versions v",
				"stories_pkey on stories s",
			},
		},
		{
			name: "cluster members", query: postgres.ClusterMembersSQL, args: []any{[]int64{1, 2}},
			want: []string{
				"using stories_pkey on stories",
				"using stories_cluster on stories m",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.Pool().Query(ctx, "EXPLAIN "+tt.query, tt.args...)
			if err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
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
				if strings.Contains(l, "Seq Scan") {
					t.Errorf("plan reads a whole table: %q\n%s", strings.TrimSpace(l), plan)
				}
				if tt.sorted && strings.HasPrefix(strings.TrimLeft(l, " ->"), "Sort") {
					t.Errorf("plan sorts the rows instead of reading them in index order: %q\n%s", strings.TrimSpace(l), plan)
				}
			}
		})
	}
}

// bandKeys is n band keys spread like real ones, half of them negative as
// bigints.
func bandKeys(n int) []int64 {
	keys := make([]int64, n)
	for i := range keys {
		keys[i] = int64(uint64(i+1) * 0x9e3779b97f4a7c15)
	}
	return keys
}
