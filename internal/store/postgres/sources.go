package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
)

// failingAfter is how many consecutive failed polls turn a source from
// degraded to failing.
const failingAfter = 3

const sourceColumns = `id, name, url, format, agency, poll_interval_ns, allow_private, paused,
	etag, last_modified, state, consecutive_failures, last_attempt_at, last_success_at,
	last_error, last_error_at, next_attempt_at, ids_derived, created_at`

func scanSource(row pgx.Row) (*store.Source, error) {
	var (
		src      store.Source
		interval int64
		state    string
	)
	err := row.Scan(&src.ID, &src.Name, &src.URL, &src.Format, &src.Agency, &interval,
		&src.AllowPrivate, &src.Paused, &src.ETag, &src.LastModified, &state,
		&src.ConsecutiveFailures, &src.LastAttemptAt, &src.LastSuccessAt, &src.LastError,
		&src.LastErrorAt, &src.NextAttemptAt, &src.IDsDerived, &src.CreatedAt)
	if err != nil {
		return nil, err
	}
	src.Interval = time.Duration(interval)
	src.State = store.SourceState(state)
	src.LastAttemptAt = utcPtr(src.LastAttemptAt)
	src.LastSuccessAt = utcPtr(src.LastSuccessAt)
	src.LastErrorAt = utcPtr(src.LastErrorAt)
	src.NextAttemptAt = utcPtr(src.NextAttemptAt)
	src.CreatedAt = src.CreatedAt.UTC()
	return &src, nil
}

// UpsertSource creates the source named p.Name or updates its configuration,
// leaving its health and conditional-GET validators as they are.
func (s *Store) UpsertSource(ctx context.Context, p *store.UpsertSourceParams) (*store.Source, error) {
	if p.Name == "" {
		return nil, errors.New("upsert source: name is required")
	}
	now := dbTime(time.Now())
	const q = `
		INSERT INTO sources (name, url, format, agency, poll_interval_ns, allow_private, paused, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		ON CONFLICT (name) DO UPDATE SET
			url              = excluded.url,
			format           = excluded.format,
			agency           = excluded.agency,
			poll_interval_ns = excluded.poll_interval_ns,
			allow_private    = excluded.allow_private,
			paused           = excluded.paused,
			updated_at       = excluded.updated_at
		RETURNING ` + sourceColumns
	src, err := scanSource(s.pool.QueryRow(ctx, q, p.Name, p.URL, p.Format, p.Agency,
		int64(p.Interval), p.AllowPrivate, p.Paused, now))
	if err != nil {
		return nil, fmt.Errorf("upsert source %s: %w", p.Name, err)
	}
	return src, nil
}

// GetSource returns the source called name, or store.ErrNotFound.
func (s *Store) GetSource(ctx context.Context, name string) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE name = $1`
	src, err := scanSource(s.pool.QueryRow(ctx, q, name))
	if err != nil {
		return nil, fmt.Errorf("get source %s: %w", name, errNoRows(err))
	}
	return src, nil
}

// GetSourceByID returns the source with this id, or store.ErrNotFound.
func (s *Store) GetSourceByID(ctx context.Context, id int64) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE id = $1`
	src, err := scanSource(s.pool.QueryRow(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("get source %d: %w", id, errNoRows(err))
	}
	return src, nil
}

// ListSources returns every source, by name.
func (s *Store) ListSources(ctx context.Context) ([]*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources ORDER BY name`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	srcs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Source, error) { return scanSource(row) })
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return srcs, nil
}

// RecordPoll stores the outcome of one fetch. A success makes the source
// healthy and resets its failure count; a failure makes it degraded, and
// failing from the third in a row. Each is one UPDATE reading the old values
// under the row lock, so concurrent outcomes for one source cannot lose a
// failure.
func (s *Store) RecordPoll(ctx context.Context, p *store.RecordPollParams) (*store.Source, error) {
	at := dbTime(orNow(p.At))
	next := timePtr(&p.NextAttemptAt)
	var row pgx.Row
	if p.Err == "" {
		// A 304 carries no body and often no validators: keep the ones
		// we have, and keep what the last decoded body said about ids.
		const success = `
			UPDATE sources SET
				state                = 'healthy',
				consecutive_failures = 0,
				last_attempt_at      = $1,
				last_success_at      = $1,
				next_attempt_at      = $2,
				etag          = CASE WHEN $3 AND $4 = '' THEN etag ELSE $4 END,
				last_modified = CASE WHEN $3 AND $5 = '' THEN last_modified ELSE $5 END,
				ids_derived   = CASE WHEN $3 THEN ids_derived ELSE $6 END
			WHERE id = $7
			RETURNING ` + sourceColumns
		row = s.pool.QueryRow(ctx, success, at, next, p.NotModified, p.ETag, p.LastModified, p.IDsDerived, p.SourceID)
	} else {
		const failure = `
			UPDATE sources SET
				consecutive_failures = consecutive_failures + 1,
				state = CASE WHEN consecutive_failures + 1 >= $1 THEN 'failing' ELSE 'degraded' END,
				last_attempt_at = $2,
				last_error      = $3,
				last_error_at   = $2,
				next_attempt_at = $4
			WHERE id = $5
			RETURNING ` + sourceColumns
		row = s.pool.QueryRow(ctx, failure, failingAfter, at, p.Err, next, p.SourceID)
	}
	src, err := scanSource(row)
	if err != nil {
		return nil, fmt.Errorf("record poll of source %d: %w", p.SourceID, errNoRows(err))
	}
	return src, nil
}
