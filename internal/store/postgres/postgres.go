// Package postgres is the store.Store for PostgreSQL, shared by several
// wiredesk nodes, on a pgx connection pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wiredesk/wiredesk/internal/store"
)

// schemaName is what Config.Schema may be: a plain lowercase identifier, so it
// needs no quoting anywhere it is used (search_path, DDL).
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Config says which database to use and what to log to.
type Config struct {
	// URL is the connection string (postgres://user@host:port/db?...);
	// pool settings such as pool_max_conns may be given in it. Required.
	URL string
	// Schema, when set, is the schema every connection uses as its
	// search_path; it is created when missing. Lowercase letters, digits
	// and underscores, not starting with a digit or "pg_". Empty means the
	// database's default search_path.
	Schema string
	// Logger receives migration progress. Nil discards logs.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.URL == "" {
		return errors.New("postgres: Config.URL is required")
	}
	if c.Schema != "" && (!schemaName.MatchString(c.Schema) || strings.HasPrefix(c.Schema, "pg_")) {
		return fmt.Errorf("postgres: Config.Schema %q is not a plain lowercase identifier", c.Schema)
	}
	return nil
}

// Store is the PostgreSQL store.Store.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	log    *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to cfg.URL, creating cfg.Schema when set and missing. It does
// not migrate: call Migrate, or CheckSchema to refuse an outdated database.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The URL may hold a password: say what is wrong, not what it is.
		return nil, fmt.Errorf("open postgres: parse URL: %w", err)
	}
	if cfg.Schema != "" {
		poolCfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if cfg.Schema != "" {
		if err := createSchema(ctx, pool, cfg.Schema); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return &Store{pool: pool, schema: cfg.Schema, log: log}, nil
}

// createSchema creates the schema unless it exists. Two nodes starting at once
// may both try; the loser's duplicate error means the schema is there.
func createSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	_, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open postgres: create schema %s: %w", schema, err)
	}
	return nil
}

// Pool is the connection pool, for River to share.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema is the configured schema, "" for the default search_path.
func (s *Store) Schema() string { return s.schema }

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// InTx runs fn in one READ COMMITTED transaction. LockStory's row locks are
// what keep two nodes from applying to one story at once.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	// PostgreSQL breaks a deadlock (two nodes merging clusters in opposite
	// orders) or a serialization failure by aborting one transaction and
	// asking for it to be tried again; fn is written to be re-run.
	const attempts = 5
	for attempt := 1; ; attempt++ {
		err := s.inTxOnce(ctx, fn)
		if err == nil || attempt == attempts || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
		}
	}
}

// retryable reports whether PostgreSQL asked for the transaction to be run
// again: deadlock_detected (40P01) or serialization_failure (40001).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (s *Store) inTxOnce(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	pgTx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin postgres transaction: %w", err)
	}
	// Rollback must run even when ctx is what ended fn.
	rollbackCtx := context.WithoutCancel(ctx)
	defer func() {
		if p := recover(); p != nil {
			_ = pgTx.Rollback(rollbackCtx)
			panic(p)
		}
	}()
	if err := fn(ctx, &tx{tx: pgTx}); err != nil {
		if rbErr := pgTx.Rollback(rollbackCtx); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("roll back postgres transaction: %w", rbErr))
		}
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("commit postgres transaction: %w", err)
	}
	return nil
}

// tx is the store.Tx of this backend. It is used by one goroutine, the one
// running the InTx function.
type tx struct {
	tx pgx.Tx
	// clustersLocked is set once the transaction holds clustersLock.
	clustersLocked bool
}

var _ store.Tx = (*tx)(nil)

// TxOf returns the pgx.Tx under a store.Tx made by this backend's InTx, so
// that a job can be enqueued in the same transaction.
func TxOf(t store.Tx) (pgx.Tx, bool) {
	x, ok := t.(*tx)
	if !ok {
		return nil, false
	}
	return x.tx, true
}

// dbTime is t as the database keeps it: timestamptz has microseconds.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timePtr stores nil and the zero time as NULL.
func timePtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := dbTime(*t)
	return &u
}

// utcPtr gives a time read back in UTC, whatever the session's zone.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// orNow is t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// errNoRows maps pgx.ErrNoRows to store.ErrNotFound.
func errNoRows(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
