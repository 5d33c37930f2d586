package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/story"
)

// TestMigrateLifecycleOverData upgrades a database holding stories written
// before 0002 and checks that they read back whole, with the new fields
// empty, and take part in clusters like new ones.
func TestMigrateLifecycleOverData(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "old.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	const ts = "2025-06-02T14:30:00.000000Z"
	for _, q := range []string{
		string(init),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (1, '` + ts + `')`,
		`INSERT INTO stories (agency, uri, slug, state, first_seen_at, published_at, updated_at)
		 VALUES ('ap', 'urn:old', 'old', 'published', '` + ts + `', '` + ts + `', '` + ts + `')`,
		`INSERT INTO story_versions (story_id, version_key, item, received_at, applied)
		 VALUES (1, 'v:1', '{"uri":"urn:old","pubstatus":"usable","headline":"Old"}', '` + ts + `', 1)`,
		`UPDATE stories SET current_version_id = 1 WHERE id = 1`,
	} {
		if _, err := s.WriterDB().ExecContext(ctx, q); err != nil {
			t.Fatalf("set up a 0001 database: %v", err)
		}
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaOutdated) {
		t.Fatalf("CheckSchema before migrating = %v, want ErrSchemaOutdated", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrating: %v", err)
	}

	old, err := s.GetStory(ctx, 1)
	if err != nil {
		t.Fatalf("GetStory of a story stored before 0002: %v", err)
	}
	type view struct {
		URI, Headline, StateReason, EditedBy string
		PendingVersionID, ClusterID          int64
		AlsoReportedBy                       []string
	}
	want := view{URI: "urn:old", Headline: "Old"}
	if diff := cmp.Diff(want, view{old.URI, old.Current.Headline, old.StateReason, old.EditedBy, old.PendingVersionID, old.ClusterID, old.AlsoReportedBy}); diff != "" {
		t.Errorf("old story after migrating (-want +got):\n%s", diff)
	}

	// The old version gets a fingerprint and the old story a cluster.
	sig := dedup.Signature("The old story's text, as it was sent.")
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: 1, VersionID: 1, TextSHA256: "old text", MinHash: sig, Bands: dedup.Bands(sig)}); err != nil {
			return err
		}
		st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "afp", URI: "urn:new", State: story.Published})
		if err != nil {
			return err
		}
		similar, err := tx.FindSimilar(ctx, &store.FindSimilarParams{StoryID: st.ID, TextSHA256: "old text", MinHash: sig, Bands: dedup.Bands(sig), MinSimilarity: dedup.MinSimilarity})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]*store.SimilarStory{{ID: 1, Identical: true, Similarity: 1}}, similar); diff != "" {
			t.Errorf("FindSimilar of the old story's text (-want +got):\n%s", diff)
		}
		_, err = tx.MergeClusters(ctx, []int64{st.ID, 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if old, err = s.GetStory(ctx, 1); err != nil || old.ClusterID != 1 {
		t.Errorf("old story after the merge: ClusterID %d (err %v), want 1", old.ClusterID, err)
	}
}
