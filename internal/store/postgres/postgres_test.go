package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return dbtest.Postgres(t) })
}

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(ctx context.Context, s *postgres.Store) error
		want    error
	}{
		{"migrated schema is current", func(context.Context, *postgres.Store) error { return nil }, nil},
		{"a schema without migrations is outdated", func(ctx context.Context, s *postgres.Store) error {
			_, err := s.Pool().Exec(ctx, `DROP TABLE schema_migrations`)
			return err
		}, store.ErrSchemaOutdated},
		{"a missing migration is outdated", func(ctx context.Context, s *postgres.Store) error {
			_, err := s.Pool().Exec(ctx, `DELETE FROM schema_migrations WHERE version = 1`)
			return err
		}, store.ErrSchemaOutdated},
		{"an unknown migration is newer", func(ctx context.Context, s *postgres.Store) error {
			_, err := s.Pool().Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (9999)`)
			return err
		}, store.ErrSchemaNewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dbtest.Postgres(t)
			ctx := t.Context()
			if err := tt.prepare(ctx, s); err != nil {
				t.Fatal(err)
			}
			if got := s.CheckSchema(ctx); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
				t.Errorf("CheckSchema = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s := dbtest.Postgres(t)
	ctx := t.Context()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); !errors.Is(err, store.ErrSchemaNewer) {
		t.Errorf("Migrate on a newer schema = %v, want ErrSchemaNewer", err)
	}
}

// TestConcurrentMigrate starts several nodes on one new schema at once: the
// advisory lock must let each migration run exactly once.
func TestConcurrentMigrate(t *testing.T) {
	base := dbtest.Postgres(t) // makes and later drops the schema
	ctx := t.Context()
	if _, err := base.Pool().Exec(ctx, `DROP SCHEMA `+base.Schema()+` CASCADE`); err != nil {
		t.Fatal(err)
	}
	const nodes = 4
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			s, err := postgres.Open(ctx, postgres.Config{URL: dbtest.PostgresURL(), Schema: base.Schema()})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(ctx)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	if err := base.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after concurrent Migrate: %v", err)
	}
}

func TestSchemaIsolation(t *testing.T) {
	a, b := dbtest.Postgres(t), dbtest.Postgres(t)
	ctx := t.Context()
	if a.Schema() == b.Schema() {
		t.Fatalf("two test stores share schema %s", a.Schema())
	}
	if _, err := a.UpsertSource(ctx, &store.UpsertSourceParams{Name: "only-in-a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetSource(ctx, "only-in-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSource in the other schema = %v, want ErrNotFound", err)
	}
	var searchPath string
	if err := a.Pool().QueryRow(ctx, `SHOW search_path`).Scan(&searchPath); err != nil {
		t.Fatal(err)
	}
	if searchPath != a.Schema() {
		t.Errorf("search_path = %q, want %q", searchPath, a.Schema())
	}
}

func TestTxOf(t *testing.T) {
	s := dbtest.Postgres(t)
	ctx := t.Context()
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		pgTx, ok := postgres.TxOf(tx)
		if !ok || pgTx == nil {
			t.Fatalf("TxOf(tx from InTx) = %v, %v; want the pgx.Tx", pgTx, ok)
		}
		// A write through the raw transaction is part of the same
		// transaction: rolled back with it.
		_, err := pgTx.Exec(ctx, `INSERT INTO sources (name, created_at, updated_at) VALUES ('raw', now(), now())`)
		if err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("InTx: want the error back")
	}
	if _, err := s.GetSource(ctx, "raw"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSource(raw) after rollback = %v, want ErrNotFound", err)
	}
	if _, ok := postgres.TxOf(nil); ok {
		t.Errorf("TxOf(nil) ok = true")
	}
}

func TestOpenValidates(t *testing.T) {
	tests := []postgres.Config{
		{URL: ""},
		{URL: dbtest.PostgresURL(), Schema: "Bad-Name"},
		{URL: dbtest.PostgresURL(), Schema: "x; DROP TABLE y"},
		{URL: dbtest.PostgresURL(), Schema: "pg_catalog"},
	}
	for _, cfg := range tests {
		if s, err := postgres.Open(t.Context(), cfg); err == nil {
			s.Close()
			t.Errorf("Open(%+v): got no error", cfg)
		}
	}
}
