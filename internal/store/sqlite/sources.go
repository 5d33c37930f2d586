package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

const sourceColumns = `id, name, url, format, agency, poll_interval_ns, allow_private, paused,
	etag, last_modified, state, consecutive_failures, last_attempt_at, last_success_at,
	last_error, last_error_at, next_attempt_at, ids_derived, created_at,
	auth_kind, auth_username, auth_secret, auth_name, current_interval_ns, poll_cursor, push_active_until, feed_ttl_ns`

func scanSource(row interface{ Scan(...any) error }) (*store.Source, error) {
	var (
		src                                         store.Source
		interval, current, ttl                      int64
		state                                       string
		attempt, success, errorAt, nextAt, pushedTo sql.NullString
		createdAt                                   string
	)
	err := row.Scan(&src.ID, &src.Name, &src.URL, &src.Format, &src.Agency, &interval,
		&src.AllowPrivate, &src.Paused, &src.ETag, &src.LastModified, &state,
		&src.ConsecutiveFailures, &attempt, &success, &src.LastError, &errorAt, &nextAt,
		&src.IDsDerived, &createdAt,
		&src.Auth.Kind, &src.Auth.Username, &src.Auth.Secret, &src.Auth.Name, &current, &src.Cursor, &pushedTo, &ttl)
	if err != nil {
		return nil, err
	}
	src.Interval = time.Duration(interval)
	src.CurrentInterval = time.Duration(current)
	src.FeedTTL = time.Duration(ttl)
	src.State = store.SourceState(state)
	for _, f := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&src.LastAttemptAt, attempt}, {&src.LastSuccessAt, success}, {&src.LastErrorAt, errorAt}, {&src.NextAttemptAt, nextAt}, {&src.PushActiveUntil, pushedTo}} {
		if *f.dst, err = parseTimePtr(f.src); err != nil {
			return nil, err
		}
	}
	if src.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, err
	}
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
	now := time.Now()
	const q = `
		INSERT INTO sources (name, url, format, agency, poll_interval_ns, allow_private, paused,
			auth_kind, auth_username, auth_secret, auth_name, next_attempt_at, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
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
			state                = CASE WHEN deleted_at IS NULL THEN state ELSE 'new' END,
			consecutive_failures = CASE WHEN deleted_at IS NULL THEN consecutive_failures ELSE 0 END,
			last_attempt_at      = CASE WHEN deleted_at IS NULL THEN last_attempt_at END,
			last_success_at      = CASE WHEN deleted_at IS NULL THEN last_success_at END,
			last_error           = CASE WHEN deleted_at IS NULL THEN last_error ELSE '' END,
			last_error_at        = CASE WHEN deleted_at IS NULL THEN last_error_at END,
			etag                 = CASE WHEN deleted_at IS NULL THEN etag ELSE '' END,
			last_modified        = CASE WHEN deleted_at IS NULL THEN last_modified ELSE '' END,
			current_interval_ns  = CASE WHEN deleted_at IS NULL THEN current_interval_ns ELSE 0 END,
			poll_cursor          = CASE WHEN deleted_at IS NULL THEN poll_cursor ELSE '' END,
			push_active_until    = CASE WHEN deleted_at IS NULL THEN push_active_until END,
			next_attempt_at      = CASE WHEN deleted_at IS NULL THEN next_attempt_at ELSE excluded.next_attempt_at END,
			deleted_at           = NULL
		RETURNING ` + sourceColumns
	src, err := scanSource(s.writer.QueryRowContext(ctx, q, p.Name, p.URL, p.Format, p.Agency,
		int64(p.Interval), p.AllowPrivate, p.Paused,
		p.Auth.Kind, p.Auth.Username, p.Auth.Secret, p.Auth.Name,
		formatTimePtr(&p.FirstAttemptAt), formatTime(dbTime(now))))
	if err != nil {
		return nil, fmt.Errorf("upsert source %s: %w", p.Name, err)
	}
	return src, nil
}

// GetSource returns the source called name, or store.ErrNotFound.
func (s *Store) GetSource(ctx context.Context, name string) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE name = ? AND deleted_at IS NULL`
	src, err := scanSource(s.reader.QueryRowContext(ctx, q, name))
	if err != nil {
		return nil, fmt.Errorf("get source %s: %w", name, errNoRows(err))
	}
	return src, nil
}

// GetSourceByID returns the source with this id, or store.ErrNotFound.
func (s *Store) GetSourceByID(ctx context.Context, id int64) (*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE id = ? AND deleted_at IS NULL`
	src, err := scanSource(s.reader.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("get source %d: %w", id, errNoRows(err))
	}
	return src, nil
}

// ListSources returns every source, by name.
func (s *Store) ListSources(ctx context.Context) ([]*store.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources WHERE deleted_at IS NULL ORDER BY name`
	rows, err := s.reader.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var srcs []*store.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		srcs = append(srcs, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return srcs, nil
}

// RecordPoll stores the outcome of one fetch. A success makes the source
// healthy and resets its failure count; a failure makes it degraded, and
// failing from store.FailingAfter in a row. Each is one UPDATE reading the old
// values, so concurrent outcomes for one source cannot lose a failure.
func (s *Store) RecordPoll(ctx context.Context, p *store.RecordPollParams) (*store.Source, error) {
	at := formatTime(dbTime(orNow(p.At)))
	next := formatTimePtr(&p.NextAttemptAt)
	var row *sql.Row
	if p.Err == "" {
		// A 304 carries no body and often no validators: keep the ones
		// we have, and keep what the last decoded body said about ids.
		const success = `
			UPDATE sources SET
				state                = 'healthy',
				consecutive_failures = 0,
				last_attempt_at      = ?1,
				last_success_at      = ?1,
				next_attempt_at      = ?2,
				etag          = CASE WHEN ?3 AND ?4 = '' THEN etag ELSE ?4 END,
				last_modified = CASE WHEN ?3 AND ?5 = '' THEN last_modified ELSE ?5 END,
				ids_derived   = CASE WHEN ?3 THEN ids_derived ELSE ?6 END,
				feed_ttl_ns   = CASE WHEN ?3 THEN feed_ttl_ns ELSE ?9 END,
				current_interval_ns = CASE WHEN ?8 > 0 THEN ?8 ELSE current_interval_ns END,
				claimed_until       = NULL
			WHERE id = ?7
			RETURNING ` + sourceColumns
		row = s.writer.QueryRowContext(ctx, success, at, next, p.NotModified, p.ETag, p.LastModified, p.IDsDerived,
			p.SourceID, int64(p.CurrentInterval), int64(p.FeedTTL))
	} else {
		const failure = `
			UPDATE sources SET
				consecutive_failures = consecutive_failures + 1,
				state = CASE WHEN consecutive_failures + 1 >= ?1 THEN 'failing' ELSE 'degraded' END,
				last_attempt_at = ?2,
				last_error      = ?3,
				last_error_at   = ?2,
				next_attempt_at = ?4,
				current_interval_ns = CASE WHEN ?6 > 0 THEN ?6 ELSE current_interval_ns END,
				claimed_until       = NULL
			WHERE id = ?5
			RETURNING ` + sourceColumns
		row = s.writer.QueryRowContext(ctx, failure, store.FailingAfter, at, p.Err, next, p.SourceID, int64(p.CurrentInterval))
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
	now := formatTime(dbTime(time.Now()))
	const q = `
		UPDATE sources SET
			push_active_until = ?1,
			next_attempt_at = CASE WHEN ?1 IS NULL OR ?1 <= ?2
				THEN min(coalesce(next_attempt_at, ?2), ?2) ELSE next_attempt_at END
		WHERE id = ?3 AND deleted_at IS NULL`
	if err := oneRow(s.writer.ExecContext(ctx, q, formatTimePtr(&p.Until), now, p.SourceID)); err != nil {
		return fmt.Errorf("set push active on source %d: %w", p.SourceID, err)
	}
	return nil
}

// DeleteSource marks the source deleted; see store.SourceStore.
func (s *Store) DeleteSource(ctx context.Context, p *store.DeleteSourceParams) error {
	const q = `UPDATE sources SET deleted_at = ?1, updated_at = ?1, push_active_until = NULL
		WHERE name = ?2 AND deleted_at IS NULL`
	if err := oneRow(s.writer.ExecContext(ctx, q, formatTime(dbTime(orNow(p.At))), p.Name)); err != nil {
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
		WHERE d.source_id IS NOT NULL AND d.received_at >= ?
		GROUP BY d.source_id`
	rows, err := s.reader.QueryContext(ctx, q, formatTime(dbTime(p.Since)))
	if err != nil {
		return nil, fmt.Errorf("count source items: %w", err)
	}
	defer rows.Close()
	counts := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count source items: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count source items: %w", err)
	}
	return counts, nil
}

// ClaimDueSources picks the most overdue unclaimed sources and claims them.
// SQLite has one writer, so the SELECT and the UPDATE see the same rows.
func (t *tx) ClaimDueSources(ctx context.Context, p *store.ClaimDueSourcesParams) ([]*store.DueSource, error) {
	now := formatTime(dbTime(p.Now))
	const due = `
		SELECT id, coalesce(next_attempt_at, created_at) FROM sources
		WHERE paused = 0 AND deleted_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
			AND (claimed_until IS NULL OR claimed_until <= ?1)
		ORDER BY next_attempt_at, id LIMIT ?2`
	rows, err := t.QueryContext(ctx, due, now, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("claim due sources: %w", err)
	}
	defer rows.Close()
	var out []*store.DueSource
	for rows.Next() {
		var d store.DueSource
		var at string
		if err := rows.Scan(&d.ID, &at); err != nil {
			return nil, fmt.Errorf("claim due sources: %w", err)
		}
		if d.DueAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("claim due sources: %w", err)
		}
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim due sources: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	const lease = `UPDATE sources SET claimed_until = ?3 WHERE id IN (
		SELECT id FROM sources
		WHERE paused = 0 AND deleted_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
			AND (claimed_until IS NULL OR claimed_until <= ?1)
		ORDER BY next_attempt_at, id LIMIT ?2)`
	if _, err := t.ExecContext(ctx, lease, now, p.Limit, formatTime(dbTime(p.Now.Add(p.Lease)))); err != nil {
		return nil, fmt.Errorf("claim due sources: lease: %w", err)
	}
	// Never-attempted sources come first from the index; their due time is
	// their creation, and the result is in due order like PostgreSQL's.
	slices.SortFunc(out, func(a, b *store.DueSource) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// SetSourceCursor stores the cursor inside the transaction.
func (t *tx) SetSourceCursor(ctx context.Context, p *store.SetSourceCursorParams) error {
	const q = `UPDATE sources SET poll_cursor = ? WHERE id = ?`
	if err := oneRow(t.ExecContext(ctx, q, p.Cursor, p.SourceID)); err != nil {
		return fmt.Errorf("set cursor of source %d: %w", p.SourceID, err)
	}
	return nil
}

// EndSourceClaims sets the claims of the sources to end at p.At.
func (t *tx) EndSourceClaims(ctx context.Context, p *store.EndSourceClaimsParams) error {
	if len(p.SourceIDs) == 0 {
		return nil
	}
	ids, err := json.Marshal(p.SourceIDs)
	if err != nil {
		return fmt.Errorf("end claims of %d sources: %w", len(p.SourceIDs), err)
	}
	const q = `UPDATE sources SET claimed_until = ?1
		WHERE id IN (SELECT value FROM json_each(?2)) AND claimed_until > ?1`
	if _, err := t.ExecContext(ctx, q, formatTime(dbTime(p.At)), string(ids)); err != nil {
		return fmt.Errorf("end claims of %d sources: %w", len(p.SourceIDs), err)
	}
	return nil
}
