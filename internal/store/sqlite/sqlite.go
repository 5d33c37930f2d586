// Package sqlite is the embedded store.Store: one SQLite file, one writer
// connection and a pool of readers, on the pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"
)

// readerConns is the size of the read pool. Readers never block the writer
// in WAL mode; four is plenty for a site on a small machine.
const readerConns = 4

// Config says where the database lives and what to log to.
type Config struct {
	// Path is the database file, created with its directory when missing.
	// Required; it must not contain '?' (the driver reads options after it).
	Path string
	// Logger receives migration progress. Nil discards logs.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Path == "" {
		return errors.New("sqlite: Config.Path is required")
	}
	if strings.Contains(c.Path, "?") {
		return fmt.Errorf("sqlite: Config.Path %q must not contain '?'", c.Path)
	}
	return nil
}

// Store is the SQLite store.Store. SQLite allows one writer at a time, so all
// writes share one connection (database/sql queues callers for it, instead of
// them failing with SQLITE_BUSY), and reads go to a separate pool.
//
// Because the writer is a single connection, a function run by InTx must not
// call the Store's own write methods: they would wait for the connection the
// transaction holds. It writes through its store.Tx.
type Store struct {
	writer *sql.DB
	reader *sql.DB
	log    *slog.Logger
	// stmts holds the writer's prepared statements (stmtcache.go).
	stmts *stmtCache
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at cfg.Path. It does not
// migrate: call Migrate, or CheckSchema to refuse an outdated database.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open sqlite %s: create directory: %w", cfg.Path, err)
		}
	}

	// Every connection gets the same pragmas; the readers add query_only so
	// a write sent to the wrong pool fails loudly instead of contending
	// with the writer. _txlock=immediate makes every write transaction take
	// the write lock at BEGIN, so a transaction that reads then writes
	// cannot fail halfway with SQLITE_BUSY when another process writes.
	//
	// temp_store(MEMORY) keeps statement journals (an INSERT of many rows
	// from one statement writes one, to undo just that statement on a
	// constraint error) in memory: on a file they cost an open, a write and
	// an unlink each, several per ingested item. The writer checkpoints the
	// WAL every 4,000 pages instead of SQLite's 1,000: a checkpoint copies
	// each page once however often it changed since the last, and ingest
	// changes the same index pages over and over, so this writes less
	// (15% faster ingest, measured) for a WAL of up to 16 MiB.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	writer, err := sql.Open("sqlite", cfg.Path+"?"+pragmas+"&_pragma=wal_autocheckpoint(4000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: writer: %w", cfg.Path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	// The writer connects first: it is the one that turns on WAL, which
	// the readers then find already set in the file.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: writer: %w", cfg.Path, err)
	}

	reader, err := sql.Open("sqlite", cfg.Path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: readers: %w", cfg.Path, err)
	}
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: readers: %w", cfg.Path, err)
	}
	return &Store{writer: writer, reader: reader, log: log, stmts: newStmtCache(writer)}, nil
}

// WriterDB is the single writer connection. River shares it so that a job is
// enqueued in the same transaction as the state change that causes it.
func (s *Store) WriterDB() *sql.DB { return s.writer }

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.stmts.close(), s.reader.Close(), s.writer.Close())
}

// Ping reports whether both the writer and the readers answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite readers: %w", err)
	}
	return nil
}

// InTx runs fn in one write transaction on the writer connection.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin sqlite transaction: %w", err)
	}
	defer func() {
		// A panic in fn must not leave the only writer connection inside
		// an open transaction.
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	t := &tx{tx: sqlTx, stmts: s.stmts}
	err = fn(ctx, t)
	if err == nil {
		err = t.flushSearch(ctx)
	}
	if err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back sqlite transaction: %w", rbErr))
		}
		s.fillStmts(ctx, t)
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit sqlite transaction: %w", err)
	}
	s.fillStmts(ctx, t)
	return nil
}

// fillStmts prepares for reuse the statements a transaction prepared for
// itself. It must run only once the transaction has ended: it needs the
// writer's connection, which the transaction held.
func (s *Store) fillStmts(ctx context.Context, t *tx) {
	if len(t.missed) > 0 {
		s.stmts.fill(context.WithoutCancel(ctx), s.log, t.missed)
	}
}

// tx is the store.Tx of this backend.
type tx struct {
	tx    *sql.Tx
	stmts *stmtCache
	// bound is the statements bound to this transaction so far; missed
	// the queries among them the cache did not have (stmtcache.go).
	bound  map[string]*sql.Stmt
	missed []string
	// lastVersion is the version this transaction stored last, with its
	// item, so that putting it on show indexes the item as given instead
	// of decoding the JSON just stored (see inserted).
	lastVersion int64
	lastItem    *story.Item
	// search is the search text of the stories whose version on show
	// changed, written just before commit (searchindex.go).
	search map[int64]searchDoc
}

// remember notes the item of a version this transaction has just stored.
func (t *tx) remember(versionID int64, it *story.Item) {
	t.lastVersion, t.lastItem = versionID, it
}

// inserted is the item of versionID if this transaction stored it last
// and its stored JSON reads back as the same text, else nil. Encoding
// JSON changes a string only where it is not valid UTF-8, so the text
// fields the indexes read are checked for that.
func (t *tx) inserted(versionID int64) *story.Item {
	it := t.lastItem
	if it == nil || t.lastVersion != versionID {
		return nil
	}
	texts := []string{it.Headline, it.BodyText, it.Description}
	for _, group := range [][]story.Entity{it.Subjects, it.Places, it.People, it.Organisations} {
		for _, e := range group {
			texts = append(texts, e.Name)
		}
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return nil
		}
	}
	return it
}

var _ store.Tx = (*tx)(nil)

// TxOf returns the *sql.Tx under a store.Tx made by this backend's InTx, so
// that a job can be enqueued in the same transaction.
func TxOf(t store.Tx) (*sql.Tx, bool) {
	x, ok := t.(*tx)
	if !ok {
		return nil, false
	}
	return x.tx, true
}

// queryer is what both *sql.DB and *sql.Tx offer; reads shared between the
// Store and a Tx take one.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// timeLayout is how every time is stored: fixed width, UTC, microseconds,
// so that text order is time order and both backends keep the same
// precision.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dbTime is t as the database keeps it.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// formatTime turns t into its stored text.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// formatTimePtr stores nil and the zero time as NULL.
func formatTimePtr(t *time.Time) sql.NullString {
	if t == nil || t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(*t), Valid: true}
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// orNow is t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
