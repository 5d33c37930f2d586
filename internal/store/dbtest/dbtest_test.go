package dbtest_test

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

func TestEachRunsEveryBackendOnAFreshStore(t *testing.T) {
	var (
		mu  sync.Mutex
		ran []string
	)
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		mu.Lock()
		ran = append(ran, t.Name())
		mu.Unlock()
		ctx := t.Context()
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema: %v", err)
		}
		if n, err := s.CountStories(ctx); err != nil || n != 0 {
			t.Errorf("CountStories on a fresh store = %d, %v; want 0", n, err)
		}
		if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "left-behind"}); err != nil {
			t.Fatal(err)
		}
	})
	want := []string{
		"TestEachRunsEveryBackendOnAFreshStore/sqlite",
		"TestEachRunsEveryBackendOnAFreshStore/postgres",
	}
	if diff := cmp.Diff(want, ran); diff != "" {
		t.Errorf("subtests run (-want +got):\n%s", diff)
	}
}

func TestPostgresDropsItsSchema(t *testing.T) {
	var schema string
	t.Run("store", func(t *testing.T) {
		schema = dbtest.Postgres(t).Schema()
	})
	if schema == "" {
		t.Skip("PostgreSQL unavailable")
	}
	s := dbtest.Postgres(t)
	var exists bool
	if err := s.Pool().QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("schema %s still exists after its test ended", schema)
	}
}
