package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

var _ store.WebSubStore = (*Store)(nil)

const webSubColumns = `source_id, state, hub, topic, token, secret, lease_seconds,
	lease_expires_at, verified_at, last_content_at, failures, last_error,
	next_attempt_at, created_at, updated_at`

func scanWebSub(row interface{ Scan(...any) error }) (*store.WebSubSubscription, error) {
	var (
		w                         store.WebSubSubscription
		state                     string
		expires, verified, latest sql.NullString
		next, created, updated    string
	)
	err := row.Scan(&w.SourceID, &state, &w.Hub, &w.Topic, &w.Token, &w.Secret, &w.LeaseSeconds,
		&expires, &verified, &latest, &w.Failures, &w.LastError, &next, &created, &updated)
	if err != nil {
		return nil, err
	}
	w.State = store.WebSubState(state)
	for _, f := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&w.LeaseExpiresAt, expires}, {&w.VerifiedAt, verified}, {&w.LastContentAt, latest}} {
		if *f.dst, err = parseTimePtr(f.src); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&w.NextAttemptAt, next}, {&w.CreatedAt, created}, {&w.UpdatedAt, updated}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return nil, err
		}
	}
	return &w, nil
}

func scanWebSubs(rows *sql.Rows, what string) ([]*store.WebSubSubscription, error) {
	defer rows.Close()
	var out []*store.WebSubSubscription
	for rows.Next() {
		w, err := scanWebSub(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// AddWebSubSources gives every source without a subscription row one.
func (s *Store) AddWebSubSources(ctx context.Context, p *store.AddWebSubSourcesParams) (int64, error) {
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		INSERT INTO websub_subscriptions (source_id, state, next_attempt_at, created_at, updated_at)
		SELECT id, 'nohub', ?1, ?1, ?1 FROM sources
		WHERE deleted_at IS NULL AND id NOT IN (SELECT source_id FROM websub_subscriptions)
		ON CONFLICT (source_id) DO NOTHING`
	res, err := s.writer.ExecContext(ctx, q, at)
	if err != nil {
		return 0, fmt.Errorf("add websub rows for new sources: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("add websub rows for new sources: %w", err)
	}
	return n, nil
}

// ClaimDueWebSubSubscriptions takes due subscriptions, pushing their next
// attempt back by p.Hold in the same statement. The single writer
// connection serializes claims.
func (s *Store) ClaimDueWebSubSubscriptions(ctx context.Context, p *store.ClaimDueWebSubSubscriptionsParams) ([]*store.WebSubSubscription, error) {
	now := dbTime(orNow(p.Now))
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	const q = `
		UPDATE websub_subscriptions SET next_attempt_at = ?1, updated_at = ?2
		WHERE source_id IN (
			SELECT source_id FROM websub_subscriptions
			WHERE next_attempt_at <= ?2
			ORDER BY next_attempt_at, source_id
			LIMIT ?3)
		RETURNING ` + webSubColumns
	rows, err := s.writer.QueryContext(ctx, q, formatTime(now.Add(p.Hold)), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim due websub subscriptions: %w", err)
	}
	return scanWebSubs(rows, "claim due websub subscriptions")
}

// UpdateWebSubSubscription writes the subscriber's decision.
func (s *Store) UpdateWebSubSubscription(ctx context.Context, p *store.UpdateWebSubSubscriptionParams) (*store.WebSubSubscription, error) {
	const q = `
		UPDATE websub_subscriptions SET
			state = ?1, hub = ?2, topic = ?3, token = ?4, secret = ?5, lease_seconds = ?6,
			failures = ?7, last_error = ?8, next_attempt_at = ?9, updated_at = ?10
		WHERE source_id = ?11
		RETURNING ` + webSubColumns
	w, err := scanWebSub(s.writer.QueryRowContext(ctx, q, string(p.State), p.Hub, p.Topic, p.Token, p.Secret,
		p.LeaseSeconds, p.Failures, p.LastError, formatTime(dbTime(p.NextAttemptAt)),
		formatTime(dbTime(orNow(p.At))), p.SourceID))
	if err != nil {
		return nil, fmt.Errorf("update websub subscription of source %d: %w", p.SourceID, errNoRows(err))
	}
	return w, nil
}

// RecordWebSubError notes a failed attempt.
func (s *Store) RecordWebSubError(ctx context.Context, p *store.RecordWebSubErrorParams) error {
	const q = `
		UPDATE websub_subscriptions SET
			last_error = ?1,
			state      = CASE WHEN ?2 AND state = 'active' THEN 'pending' ELSE state END,
			updated_at = ?3
		WHERE source_id = ?4`
	res, err := s.writer.ExecContext(ctx, q, p.Err, p.Denied, formatTime(dbTime(orNow(p.At))), p.SourceID)
	if err != nil {
		return fmt.Errorf("record websub error of source %d: %w", p.SourceID, err)
	}
	return webSubOneRow(res, fmt.Sprintf("record websub error of source %d", p.SourceID))
}

// VerifyWebSubSubscription activates the matching subscription.
func (s *Store) VerifyWebSubSubscription(ctx context.Context, p *store.VerifyWebSubSubscriptionParams) (*store.WebSubSubscription, error) {
	if p.Token == "" {
		return nil, fmt.Errorf("verify websub subscription: %w", store.ErrNotFound)
	}
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		UPDATE websub_subscriptions SET
			state = 'active', lease_expires_at = ?1, verified_at = ?2, failures = 0,
			last_error = '', next_attempt_at = ?3, updated_at = ?2
		WHERE token = ?4 AND topic = ?5 AND state IN ('pending', 'active')
		RETURNING ` + webSubColumns
	w, err := scanWebSub(s.writer.QueryRowContext(ctx, q, formatTime(dbTime(p.LeaseExpiresAt)), at,
		formatTime(dbTime(p.NextAttemptAt)), p.Token, p.Topic))
	if err != nil {
		return nil, fmt.Errorf("verify websub subscription: %w", errNoRows(err))
	}
	return w, nil
}

// RecordWebSubContent notes a valid content distribution.
func (s *Store) RecordWebSubContent(ctx context.Context, p *store.RecordWebSubContentParams) error {
	at := formatTime(dbTime(orNow(p.At)))
	const q = `UPDATE websub_subscriptions SET last_content_at = ?1, updated_at = ?1 WHERE source_id = ?2`
	res, err := s.writer.ExecContext(ctx, q, at, p.SourceID)
	if err != nil {
		return fmt.Errorf("record websub content of source %d: %w", p.SourceID, err)
	}
	return webSubOneRow(res, fmt.Sprintf("record websub content of source %d", p.SourceID))
}

// GetWebSubSubscription returns a source's subscription, or store.ErrNotFound.
func (s *Store) GetWebSubSubscription(ctx context.Context, sourceID int64) (*store.WebSubSubscription, error) {
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions WHERE source_id = ?`
	w, err := scanWebSub(s.reader.QueryRowContext(ctx, q, sourceID))
	if err != nil {
		return nil, fmt.Errorf("get websub subscription of source %d: %w", sourceID, errNoRows(err))
	}
	return w, nil
}

// GetWebSubSubscriptionByToken finds a callback token's subscription.
func (s *Store) GetWebSubSubscriptionByToken(ctx context.Context, token string) (*store.WebSubSubscription, error) {
	if strings.TrimSpace(token) == "" {
		return nil, fmt.Errorf("get websub subscription by token: %w", store.ErrNotFound)
	}
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions WHERE token = ?`
	w, err := scanWebSub(s.reader.QueryRowContext(ctx, q, token))
	if err != nil {
		return nil, fmt.Errorf("get websub subscription by token: %w", errNoRows(err))
	}
	return w, nil
}

// ListWebSubSubscriptions returns every subscription, by source id.
func (s *Store) ListWebSubSubscriptions(ctx context.Context) ([]*store.WebSubSubscription, error) {
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions ORDER BY source_id`
	rows, err := s.reader.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list websub subscriptions: %w", err)
	}
	return scanWebSubs(rows, "list websub subscriptions")
}

// webSubOneRow turns an UPDATE that touched no row into store.ErrNotFound.
func webSubOneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
