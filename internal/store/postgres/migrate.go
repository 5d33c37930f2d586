package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wiredesk/wiredesk/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFS, "migrations")
}

// migrateLock names the advisory lock Migrate holds, one per schema, so two
// nodes migrating the same schema take turns and different schemas in one
// database do not wait for each other.
const migrateLock = `hashtext('wiredesk migrate ' || current_schema())`

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction, holding an advisory lock so that nodes starting together
// apply each migration once.
func (s *Store) Migrate(ctx context.Context) (err error) {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+migrateLock+`)`); err != nil {
		conn.Release()
		return fmt.Errorf("migrate postgres: take advisory lock: %w", err)
	}
	defer func() {
		// A session lock outlives a failed unlock: never hand such a
		// connection back to the pool, close it (which frees the lock).
		if _, unlockErr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+migrateLock+`)`); unlockErr != nil {
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate postgres: release advisory lock: %w", unlockErr))
			return
		}
		conn.Release()
	}()

	const createTable = `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`
	if _, err := conn.Exec(ctx, createTable); err != nil {
		return fmt.Errorf("migrate postgres: create schema_migrations: %w", err)
	}
	// A database migrated by a newer binary is left alone entirely.
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	if err := store.CompareSchema("postgres", applied, ms); errors.Is(err, store.ErrSchemaNewer) {
		return err
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "applied migration", "backend", "postgres", "schema", s.schema, "migration", m.Name)
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *pgxpool.Conn, m store.Migration) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Without arguments pgx sends the file with the simple protocol,
		// which runs every statement in it.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate postgres %s: %w", m.Name, err)
	}
	return nil
}

// CheckSchema returns store.ErrSchemaOutdated or store.ErrSchemaNewer unless
// the database has exactly the embedded migrations applied.
func (s *Store) CheckSchema(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, s.pool)
	if err != nil {
		return err
	}
	return store.CompareSchema("postgres", applied, ms)
}

// querier is what a pool, a connection and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// appliedVersions reads schema_migrations; a schema without the table has
// nothing applied.
func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("check postgres schema: %w", err)
	}
	applied := map[int]bool{}
	if !exists {
		return applied, nil
	}
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("check postgres schema: read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("check postgres schema: read schema_migrations: %w", err)
	}
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}
