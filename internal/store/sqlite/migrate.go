package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFS, "migrations")
}

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction. Write transactions begin IMMEDIATE, so two processes migrating
// one file at once take turns, and each re-reads what is applied inside its
// transaction before applying anything.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	const createTable = `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT    NOT NULL
		) STRICT`
	if _, err := s.writer.ExecContext(ctx, createTable); err != nil {
		return fmt.Errorf("migrate sqlite: create schema_migrations: %w", err)
	}
	// A database migrated by a newer binary is left alone entirely.
	applied, err := appliedVersions(ctx, s.writer)
	if err != nil {
		return err
	}
	if err := store.CompareSchema("sqlite", applied, ms); errors.Is(err, store.ErrSchemaNewer) {
		return err
	}
	for _, m := range ms {
		applied, err := s.applyMigration(ctx, m)
		if err != nil {
			return err
		}
		if applied {
			s.log.InfoContext(ctx, "applied migration", "backend", "sqlite", "migration", m.Name)
		}
	}
	return nil
}

// applyMigration applies m unless it is applied already.
func (s *Store) applyMigration(ctx context.Context, m store.Migration) (applied bool, err error) {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate sqlite %s: begin: %w", m.Name, err)
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	var n int
	const isApplied = `SELECT count(*) FROM schema_migrations WHERE version = ?`
	if err := sqlTx.QueryRowContext(ctx, isApplied, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migrate sqlite %s: read schema_migrations: %w", m.Name, err)
	}
	if n > 0 {
		return false, sqlTx.Rollback()
	}
	if _, err := sqlTx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migrate sqlite %s: %w", m.Name, err)
	}
	const record = `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
	if _, err := sqlTx.ExecContext(ctx, record, m.Version, formatTime(dbTime(time.Now()))); err != nil {
		return false, fmt.Errorf("migrate sqlite %s: record: %w", m.Name, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return false, fmt.Errorf("migrate sqlite %s: commit: %w", m.Name, err)
	}
	return true, nil
}

// CheckSchema returns store.ErrSchemaOutdated or store.ErrSchemaNewer unless
// the database has exactly the embedded migrations applied.
func (s *Store) CheckSchema(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, s.reader)
	if err != nil {
		return err
	}
	return store.CompareSchema("sqlite", applied, ms)
}

// appliedVersions reads schema_migrations; a database without the table has
// nothing applied.
func appliedVersions(ctx context.Context, q queryer) (map[int]bool, error) {
	var n int
	const hasTable = `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`
	if err := q.QueryRowContext(ctx, hasTable).Scan(&n); err != nil {
		return nil, fmt.Errorf("check sqlite schema: %w", err)
	}
	applied := map[int]bool{}
	if n == 0 {
		return applied, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("check sqlite schema: read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("check sqlite schema: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check sqlite schema: read schema_migrations: %w", err)
	}
	return applied, nil
}

// errNoRows maps sql.ErrNoRows to store.ErrNotFound.
func errNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
