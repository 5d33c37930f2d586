package dbtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

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

// TestPostgresReleasesIdleConnections opens stores one after another, as a
// test trying many delivery orders does: the connections of a store no
// longer in use must go back to the server long before the test ends.
func TestPostgresReleasesIdleConnections(t *testing.T) {
	ctx := t.Context()
	var pools []*pgxpool.Pool
	for range 3 {
		s := dbtest.Postgres(t)
		if _, err := s.CountStories(ctx); err != nil {
			t.Fatal(err)
		}
		pools = append(pools, s.Pool())
	}
	deadline := time.Now().Add(5 * time.Second)
	for i, p := range pools {
		for p.Stat().TotalConns() > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if n := p.Stat().TotalConns(); n > 0 {
			t.Errorf("store %d still holds %d connections 5s after its last use", i, n)
		}
	}
}
