package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
)

var _ store.WebSubStore = (*Store)(nil)

const webSubColumns = `source_id, state, hub, topic, token, secret, lease_seconds,
	lease_expires_at, verified_at, last_content_at, failures, last_error,
	next_attempt_at, created_at, updated_at`

func scanWebSub(row pgx.Row) (*store.WebSubSubscription, error) {
	var (
		w     store.WebSubSubscription
		state string
	)
	err := row.Scan(&w.SourceID, &state, &w.Hub, &w.Topic, &w.Token, &w.Secret, &w.LeaseSeconds,
		&w.LeaseExpiresAt, &w.VerifiedAt, &w.LastContentAt, &w.Failures, &w.LastError,
		&w.NextAttemptAt, &w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		return nil, err
	}
	w.State = store.WebSubState(state)
	w.LeaseExpiresAt = utcPtr(w.LeaseExpiresAt)
	w.VerifiedAt = utcPtr(w.VerifiedAt)
	w.LastContentAt = utcPtr(w.LastContentAt)
	w.NextAttemptAt = w.NextAttemptAt.UTC()
	w.CreatedAt = w.CreatedAt.UTC()
	w.UpdatedAt = w.UpdatedAt.UTC()
	return &w, nil
}

func scanWebSubs(rows pgx.Rows, what string) ([]*store.WebSubSubscription, error) {
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
	const q = `
		INSERT INTO websub_subscriptions (source_id, state, next_attempt_at, created_at, updated_at)
		SELECT id, 'nohub', $1, $1, $1 FROM sources
		WHERE deleted_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM websub_subscriptions w WHERE w.source_id = sources.id)
		ON CONFLICT (source_id) DO NOTHING`
	tag, err := s.pool.Exec(ctx, q, dbTime(orNow(p.At)))
	if err != nil {
		return 0, fmt.Errorf("add websub rows for new sources: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ClaimDueWebSubSubscriptions takes due subscriptions, pushing their next
// attempt back by p.Hold in the same statement; SKIP LOCKED lets two nodes
// claim at once without waiting for or taking each other's rows.
func (s *Store) ClaimDueWebSubSubscriptions(ctx context.Context, p *store.ClaimDueWebSubSubscriptionsParams) ([]*store.WebSubSubscription, error) {
	now := dbTime(orNow(p.Now))
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	const q = `
		UPDATE websub_subscriptions SET next_attempt_at = $1, updated_at = $2
		WHERE source_id IN (
			SELECT source_id FROM websub_subscriptions
			WHERE next_attempt_at <= $2
			ORDER BY next_attempt_at, source_id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING ` + webSubColumns
	rows, err := s.pool.Query(ctx, q, now.Add(p.Hold), now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim due websub subscriptions: %w", err)
	}
	return scanWebSubs(rows, "claim due websub subscriptions")
}

// UpdateWebSubSubscription writes the subscriber's decision.
func (s *Store) UpdateWebSubSubscription(ctx context.Context, p *store.UpdateWebSubSubscriptionParams) (*store.WebSubSubscription, error) {
	const q = `
		UPDATE websub_subscriptions SET
			state = $1, hub = $2, topic = $3, token = $4, secret = $5, lease_seconds = $6,
			failures = $7, last_error = $8, next_attempt_at = $9, updated_at = $10
		WHERE source_id = $11
		RETURNING ` + webSubColumns
	w, err := scanWebSub(s.pool.QueryRow(ctx, q, string(p.State), p.Hub, p.Topic, p.Token, p.Secret,
		p.LeaseSeconds, p.Failures, p.LastError, dbTime(p.NextAttemptAt), dbTime(orNow(p.At)), p.SourceID))
	if err != nil {
		return nil, fmt.Errorf("update websub subscription of source %d: %w", p.SourceID, errNoRows(err))
	}
	return w, nil
}

// RecordWebSubError notes a failed attempt.
func (s *Store) RecordWebSubError(ctx context.Context, p *store.RecordWebSubErrorParams) error {
	const q = `
		UPDATE websub_subscriptions SET
			last_error = $1,
			state      = CASE WHEN $2 AND state = 'active' THEN 'pending' ELSE state END,
			updated_at = $3
		WHERE source_id = $4`
	tag, err := s.pool.Exec(ctx, q, p.Err, p.Denied, dbTime(orNow(p.At)), p.SourceID)
	if err != nil {
		return fmt.Errorf("record websub error of source %d: %w", p.SourceID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record websub error of source %d: %w", p.SourceID, store.ErrNotFound)
	}
	return nil
}

// VerifyWebSubSubscription activates the matching subscription.
func (s *Store) VerifyWebSubSubscription(ctx context.Context, p *store.VerifyWebSubSubscriptionParams) (*store.WebSubSubscription, error) {
	if p.Token == "" {
		return nil, fmt.Errorf("verify websub subscription: %w", store.ErrNotFound)
	}
	const q = `
		UPDATE websub_subscriptions SET
			state = 'active', lease_expires_at = $1, verified_at = $2, failures = 0,
			last_error = '', next_attempt_at = $3, updated_at = $2
		WHERE token = $4 AND topic = $5 AND state IN ('pending', 'active')
		RETURNING ` + webSubColumns
	w, err := scanWebSub(s.pool.QueryRow(ctx, q, dbTime(p.LeaseExpiresAt), dbTime(orNow(p.At)),
		dbTime(p.NextAttemptAt), p.Token, p.Topic))
	if err != nil {
		return nil, fmt.Errorf("verify websub subscription: %w", errNoRows(err))
	}
	return w, nil
}

// RecordWebSubContent notes a valid content distribution.
func (s *Store) RecordWebSubContent(ctx context.Context, p *store.RecordWebSubContentParams) error {
	const q = `UPDATE websub_subscriptions SET last_content_at = $1, updated_at = $1 WHERE source_id = $2`
	tag, err := s.pool.Exec(ctx, q, dbTime(orNow(p.At)), p.SourceID)
	if err != nil {
		return fmt.Errorf("record websub content of source %d: %w", p.SourceID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record websub content of source %d: %w", p.SourceID, store.ErrNotFound)
	}
	return nil
}

// GetWebSubSubscription returns a source's subscription, or store.ErrNotFound.
func (s *Store) GetWebSubSubscription(ctx context.Context, sourceID int64) (*store.WebSubSubscription, error) {
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions WHERE source_id = $1`
	w, err := scanWebSub(s.pool.QueryRow(ctx, q, sourceID))
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
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions WHERE token = $1`
	w, err := scanWebSub(s.pool.QueryRow(ctx, q, token))
	if err != nil {
		return nil, fmt.Errorf("get websub subscription by token: %w", errNoRows(err))
	}
	return w, nil
}

// ListWebSubSubscriptions returns every subscription, by source id.
func (s *Store) ListWebSubSubscriptions(ctx context.Context) ([]*store.WebSubSubscription, error) {
	const q = `SELECT ` + webSubColumns + ` FROM websub_subscriptions ORDER BY source_id`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list websub subscriptions: %w", err)
	}
	return scanWebSubs(rows, "list websub subscriptions")
}
