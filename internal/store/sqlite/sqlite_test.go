package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return dbtest.SQLite(t) })
}

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(ctx context.Context, s *sqlite.Store) error
		want    error
	}{
		{"fresh database is outdated", func(context.Context, *sqlite.Store) error { return nil }, store.ErrSchemaOutdated},
		{"migrated database is current", func(ctx context.Context, s *sqlite.Store) error { return s.Migrate(ctx) }, nil},
		{"a missing migration is outdated", func(ctx context.Context, s *sqlite.Store) error {
			if err := s.Migrate(ctx); err != nil {
				return err
			}
			_, err := s.WriterDB().ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 1`)
			return err
		}, store.ErrSchemaOutdated},
		{"an unknown migration is newer", func(ctx context.Context, s *sqlite.Store) error {
			if err := s.Migrate(ctx); err != nil {
				return err
			}
			_, err := s.WriterDB().ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, '2099-01-01T00:00:00.000000Z')`)
			return err
		}, store.ErrSchemaNewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "nested", "dir", "w.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
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
	s := dbtest.SQLite(t)
	ctx := t.Context()
	if _, err := s.WriterDB().ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, '2099-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); !errors.Is(err, store.ErrSchemaNewer) {
		t.Errorf("Migrate on a newer schema = %v, want ErrSchemaNewer", err)
	}
}

func TestPragmas(t *testing.T) {
	s := dbtest.SQLite(t)
	ctx := t.Context()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
		{"foreign_keys", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := s.WriterDB().QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestTxOf(t *testing.T) {
	s := dbtest.SQLite(t)
	ctx := t.Context()
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		sqlTx, ok := sqlite.TxOf(tx)
		if !ok || sqlTx == nil {
			t.Fatalf("TxOf(tx from InTx) = %v, %v; want the *sql.Tx", sqlTx, ok)
		}
		// A write through the raw transaction is part of the same
		// transaction: rolled back with it.
		_, err := sqlTx.ExecContext(ctx, `INSERT INTO sources (name, created_at, updated_at) VALUES ('raw', 'x', 'x')`)
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
	if _, ok := sqlite.TxOf(nil); ok {
		t.Errorf("TxOf(nil) ok = true")
	}
}

func TestOpenValidates(t *testing.T) {
	for _, path := range []string{"", "a.db?mode=memory"} {
		if _, err := sqlite.Open(t.Context(), sqlite.Config{Path: path}); err == nil {
			t.Errorf("Open(Path %q): got no error", path)
		}
	}
}
