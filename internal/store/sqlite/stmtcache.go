package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// stmtCache keeps the writer's statements prepared. database/sql prepares
// a statement afresh for every ExecContext or QueryContext with a query
// string, and compiling SQL is a large share of what a write costs in
// SQLite (a fifth of an ingest, measured). The driver resets and reuses a
// prepared statement, so preparing each query once per writer connection
// and binding new arguments is all a write needs.
//
// Only constant query texts may go through the cache: it keeps every
// statement it is given until Close. All the queries of this package's
// write paths are constants.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns query prepared on the writer, preparing it on first use. It
// needs the writer's connection: never call it inside a transaction, which
// holds that one connection (tx.stmt uses lookup and fill instead).
// database/sql prepares a statement again by itself on a new connection,
// should the writer's connection ever be replaced.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.lookup(query); ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare statement: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		// Prepared meanwhile by another caller: keep one.
		_ = st.Close()
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// lookup returns query's prepared statement if the cache has it.
func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	return st, ok
}

// fill prepares the queries a transaction missed, once the transaction has
// ended and given the writer's connection back. Failing to prepare one
// only means it is prepared per use until a later transaction fills it,
// so the error is logged, not returned.
func (c *stmtCache) fill(ctx context.Context, log *slog.Logger, queries []string) {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			log.DebugContext(ctx, "prepare a writer statement for reuse", "err", err)
			return
		}
	}
}

// close finalizes every statement; the cache is empty after it.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// ExecContext runs a constant query on the Store's writer through the
// statement cache, outside any transaction.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryRowContext is ExecContext for a query that returns one row. An
// error preparing the statement comes back from the row's Scan.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, query)
	if err != nil {
		// A *sql.Row cannot be made with an error from outside
		// database/sql; the same failing statement, run unprepared,
		// reports it.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// stmt is query bound to this transaction: the Store's prepared statement
// when the cache has it, else one prepared for this transaction only (the
// cache cannot prepare while the transaction holds the writer's only
// connection), which InTx then adds to the cache once the transaction
// ends. A transaction remembers what it has bound, so that running one
// query many times in one transaction (a batch of items) binds it once.
//
// Since a prepared statement is reused, a query must not be run again
// while rows of an earlier run of the same query are still open.
func (t *tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.bound[query]; ok {
		return st, nil
	}
	if t.bound == nil {
		t.bound = make(map[string]*sql.Stmt)
	}
	// Statements bound to or prepared in the transaction are closed by
	// database/sql when it ends; a cached statement under them stays.
	if st, ok := t.stmts.lookup(query); ok {
		b := t.tx.StmtContext(ctx, st)
		t.bound[query] = b
		return b, nil
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.bound[query] = st
	t.missed = append(t.missed, query)
	return st, nil
}

// ExecContext runs a constant query in the transaction, prepared once.
func (t *tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a constant query in the transaction, prepared once.
func (t *tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a constant query that returns one row in the
// transaction, prepared once.
func (t *tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		// As in stmtCache.QueryRowContext: the unprepared run reports it.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
