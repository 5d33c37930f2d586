package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
)

const sourceColumns = `id, name, url, format, agency, poll_interval_ns, allow_private, paused,
	etag, last_modified, state, consecutive_failures, last_attempt_at, last_success_at,
	last_error, last_error_at, next_attempt_at, ids_derived, created_at,
	auth_kind, auth_username, auth_secret, auth_name, current_interval_ns, poll_cursor, push_active_until, feed_ttl_ns`

func scanSource(row pgx.Row) (*store.Source, error) {
	var (
		src                    store.Source
		interval, current, ttl int64
		state                  string
	)
	err := row.Scan(&src.ID, &src.Name, &src.URL, &src.Format, &src.Agency, &interval,
		&src.AllowPrivate, &src.Paused, &src.ETag, &src.LastModified, &state,
		&src.ConsecutiveFailures, &src.LastAttemptAt, &src.LastSuccessAt, &src.LastError,
		&src.LastErrorAt, &src.NextAttemptAt, &src.IDsDerived, &src.CreatedAt,
		&src.Auth.Kind, &src.Auth.Username, &src.Auth.Secret, &src.Auth.Name, &current, &src.Cursor, &src.PushActiveUntil, &ttl)
	if err != nil {
		return nil, err
	}
	src.Interval = time.Duration(interval)
	src.CurrentInterval = time.Duration(current)
	src.FeedTTL = time.Duration(ttl)
	src.PushActiveUntil = utcPtr(src.PushActiveUntil)
	src.State = store.SourceState(state)
	src.LastAttemptAt = utcPtr(src.LastAttemptAt)
	src.LastSuccessAt = utcPtr(src.LastSuccessAt)
	src.LastErrorAt = utcPtr(src.LastErrorAt)
	src.NextAttemptAt = utcPtr(src.NextAttemptAt)
	src.CreatedAt = src.CreatedAt.UTC()
	return &src, nil
}

// UpsertSource creates the source named p.Name or updates its configuration,
// leaving its health and conditional-GET validators as they are. A source
// removed by DeleteSource comes back with fresh health, validators and
// cursor: only its name and its archive are the old ones.
func (s *Store) UpsertSource(ctx context.Context, p *store.UpsertSourceParams) (*store.Source, error) {
	if p.Name == "" {
		return nil, errors.New("upsert source: name is required")
	}
	now := dbTime(time.Now())
	const q = `
		INSERT INTO sources AS s (name, url, format, agency, poll_interval_ns, allow_private, paused,
			auth_kind, auth_username, auth_secret, auth_name, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
		ON CONFLICT (name) DO UPDATE SET
			url              = excluded.url,
			format           = excluded.format,
			agency           = excluded.agency,
			poll_interval_ns = excluded.poll_interval_ns,
			allow_private    = excluded.allow_private,
			paused           = excluded.paused,
			auth_kind        = excluded.auth_kind,
			auth_username    = excluded.auth_username,
			auth_secret      = excluded.auth_secret,
			auth_name        = excluded.auth_name,
			updated_at       = excluded.updated_at,
			-- Revived after DeleteSource: the health is a new source's.
			state                = CASE WHEN s.deleted_at IS NULL THEN s.state ELSE 'new' END,
			consecutive_failures = CASE WHEN s.deleted_at IS NULL THEN s.consecutive_failures ELSE 0 END,
			last_attempt_at      = CASE WHEN s.deleted_at IS NULL THEN s.last_attempt_at END,
			last_success_at      = CASE WHEN s.deleted_at IS NULL THEN s.last_success_at END,
			last_error           = CASE WHEN s.deleted_at IS NULL THEN s.last_error ELSE '' END,
			last_error_at        = CASE WHEN s.deleted_at IS NULL THEN s.last_error_at END,
			etag                 = CASE WHEN s.deleted_at IS NULL THEN s.etag ELSE '' END,
			last_modified        = CASE WHEN s.deleted_at IS NULL THEN s.last_modified ELSE '' END,
			current_interval_ns  = CASE WHEN s.deleted_at IS NULL THEN s.current_interval_ns ELSE 0 END,
			poll_cursor          = CASE WHEN s.deleted_at IS NULL THEN s.poll_cursor ELSE '' END,
			push_active_until    = CASE WHEN s.deleted_at IS NULL THEN s.push_active_until END,
			next_attempt_at      = CASE WHEN s.deleted_at IS NULL THEN s.next_attempt_at ELSE excluded.next_attempt_at END,
			deleted_at           = NULL
		RETURNING ` + sourceColumns
	src, err := scanSource(s.pool.QueryRow(ctx, q, p.Name, p.URL, p.Format, p.Agency,
		int64(p.Interval), p.AllowPrivate, p.Paused,
		p.Auth.Kind, p.Auth.Username, p.Auth.Secret, p.Auth.Name, timePtr(&p.FirstAttemptAt), now))
	if err != nil {
		return nil, fmt.Errorf("upsert source %s: %w", p.Name, err)
	}
	return src, nil
}

// GetSource returns the source called name, or store.ErrNotFound.
func (s *Store) GetSource(ctx context.Context, name string) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE name = $1 AND deleted_at IS NULL`
	src, err := scanSource(s.pool.QueryRow(ctx, q, name))
	if err != nil {
		return nil, fmt.Errorf("get source %s: %w", name, errNoRows(err))
	}
	return src, nil
}

// GetSourceByID returns the source with this id, or store.ErrNotFound.
func (s *Store) GetSourceByID(ctx context.Context, id int64) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE id = $1 AND deleted_at IS NULL`
	src, err := scanSource(s.pool.QueryRow(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("get source %d: %w", id, errNoRows(err))
	}
	return src, nil
}

// ListSources returns every source, by name.
func (s *Store) ListSources(ctx context.Context) ([]*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE deleted_at IS NULL ORDER BY name`
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
// failing from store.FailingAfter in a row. Each is one UPDATE reading the old
// values under the row lock, so concurrent outcomes for one source cannot
// lose a failure.
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
				ids_derived   = CASE WHEN $3 THEN ids_derived ELSE $6 END,
				feed_ttl_ns   = CASE WHEN $3 THEN feed_ttl_ns ELSE $9::bigint END,
				current_interval_ns = CASE WHEN $8::bigint > 0 THEN $8 ELSE current_interval_ns END,
				claimed_until       = NULL
			WHERE id = $7
			RETURNING ` + sourceColumns
		row = s.pool.QueryRow(ctx, success, at, next, p.NotModified, p.ETag, p.LastModified, p.IDsDerived,
			p.SourceID, int64(p.CurrentInterval), int64(p.FeedTTL))
	} else {
		const failure = `
			UPDATE sources SET
				consecutive_failures = consecutive_failures + 1,
				state = CASE WHEN consecutive_failures + 1 >= $1 THEN 'failing' ELSE 'degraded' END,
				last_attempt_at = $2,
				last_error      = $3,
				last_error_at   = $2,
				next_attempt_at = $4,
				current_interval_ns = CASE WHEN $6::bigint > 0 THEN $6 ELSE current_interval_ns END,
				claimed_until       = NULL
			WHERE id = $5
			RETURNING ` + sourceColumns
		row = s.pool.QueryRow(ctx, failure, store.FailingAfter, at, p.Err, next, p.SourceID, int64(p.CurrentInterval))
	}
	src, err := scanSource(row)
	if err != nil {
		return nil, fmt.Errorf("record poll of source %d: %w", p.SourceID, errNoRows(err))
	}
	return src, nil
}

// SetPushActive stores the source's WebSub lease end. Ending push (a zero or
// past Until) brings the next attempt forward to now, so polling takes
// over at once.
func (s *Store) SetPushActive(ctx context.Context, p *store.SetPushActiveParams) error {
	const q = `
		UPDATE sources SET
			push_active_until = $1::timestamptz,
			next_attempt_at = CASE WHEN $1::timestamptz IS NULL OR $1::timestamptz <= $2
				THEN least(coalesce(next_attempt_at, $2), $2) ELSE next_attempt_at END
		WHERE id = $3 AND deleted_at IS NULL`
	if err := oneRow(s.pool.Exec(ctx, q, timePtr(&p.Until), dbTime(time.Now()), p.SourceID)); err != nil {
		return fmt.Errorf("set push active on source %d: %w", p.SourceID, err)
	}
	return nil
}

// DeleteSource marks the source deleted; see store.SourceStore.
func (s *Store) DeleteSource(ctx context.Context, p *store.DeleteSourceParams) error {
	const q = `UPDATE sources SET deleted_at = $1, updated_at = $1, push_active_until = NULL
		WHERE name = $2 AND deleted_at IS NULL`
	if err := oneRow(s.pool.Exec(ctx, q, dbTime(orNow(p.At)), p.Name)); err != nil {
		return fmt.Errorf("delete source %s: %w", p.Name, err)
	}
	return nil
}

// CountSourceItems counts versions stored from each source's deliveries
// since p.Since.
func (s *Store) CountSourceItems(ctx context.Context, p *store.CountSourceItemsParams) (map[int64]int, error) {
	const q = `
		SELECT d.source_id, count(*)
		FROM deliveries d JOIN story_versions v ON v.delivery_id = d.id
		WHERE d.source_id IS NOT NULL AND d.received_at >= $1
		GROUP BY d.source_id`
	rows, err := s.pool.Query(ctx, q, dbTime(p.Since))
	if err != nil {
		return nil, fmt.Errorf("count source items: %w", err)
	}
	counts := map[int64]int{}
	var id, n int64
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		counts[id] = int(n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count source items: %w", err)
	}
	return counts, nil
}

// ClaimDueSources picks the most overdue unclaimed sources and claims them,
// skipping rows another node's scan holds.
func (t *tx) ClaimDueSources(ctx context.Context, p *store.ClaimDueSourcesParams) ([]*store.DueSource, error) {
	const q = `
		WITH due AS (
			SELECT id, coalesce(next_attempt_at, created_at) AS due_at FROM sources
			WHERE NOT paused AND deleted_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
				AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2
			FOR UPDATE SKIP LOCKED
		)
		UPDATE sources s SET claimed_until = $3
		FROM due WHERE s.id = due.id
		RETURNING s.id, due.due_at`
	rows, err := t.tx.Query(ctx, q, dbTime(p.Now), p.Limit, dbTime(p.Now.Add(p.Lease)))
	if err != nil {
		return nil, fmt.Errorf("claim due sources: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.DueSource, error) {
		var d store.DueSource
		err := row.Scan(&d.ID, &d.DueAt)
		d.DueAt = d.DueAt.UTC()
		return &d, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due sources: %w", err)
	}
	slices.SortFunc(out, func(a, b *store.DueSource) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// SetSourceCursor stores the cursor inside the transaction.
func (t *tx) SetSourceCursor(ctx context.Context, p *store.SetSourceCursorParams) error {
	const q = `UPDATE sources SET poll_cursor = $1 WHERE id = $2`
	if err := oneRow(t.tx.Exec(ctx, q, p.Cursor, p.SourceID)); err != nil {
		return fmt.Errorf("set cursor of source %d: %w", p.SourceID, err)
	}
	return nil
}

// EndSourceClaims sets the claims of the sources to end at p.At.
func (t *tx) EndSourceClaims(ctx context.Context, p *store.EndSourceClaimsParams) error {
	if len(p.SourceIDs) == 0 {
		return nil
	}
	const q = `UPDATE sources SET claimed_until = $1
		WHERE id = ANY($2) AND claimed_until > $1`
	if _, err := t.tx.Exec(ctx, q, dbTime(p.At), p.SourceIDs); err != nil {
		return fmt.Errorf("end claims of %d sources: %w", len(p.SourceIDs), err)
	}
	return nil
}
