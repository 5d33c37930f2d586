package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

const apiTokenColumns = `id, name, token_sha256, scope, created_at`

func scanAPIToken(row interface{ Scan(...any) error }) (*store.APIToken, error) {
	var (
		t         store.APIToken
		createdAt string
	)
	if err := row.Scan(&t.ID, &t.Name, &t.SHA256, &t.Scope, &createdAt); err != nil {
		return nil, err
	}
	var err error
	if t.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateAPIToken stores a token by its secret's SHA-256.
func (s *Store) CreateAPIToken(ctx context.Context, p *store.CreateAPITokenParams) (*store.APIToken, error) {
	if p.Name == "" || p.SHA256 == "" || !store.ValidScope(p.Scope) {
		return nil, fmt.Errorf("create API token %q: name, hash and a valid scope are required", p.Name)
	}
	const q = `
		INSERT INTO api_tokens (name, token_sha256, scope, created_at)
		VALUES (?1, ?2, ?3, ?4)
		RETURNING ` + apiTokenColumns
	t, err := scanAPIToken(s.writer.QueryRowContext(ctx, q, p.Name, p.SHA256, p.Scope, formatTime(dbTime(orNow(p.At)))))
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("create API token %s: %w", p.Name, store.ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create API token %s: %w", p.Name, err)
	}
	return t, nil
}

// APITokenBySHA256 finds a token by its secret's hash.
func (s *Store) APITokenBySHA256(ctx context.Context, sha256Hex string) (*store.APIToken, error) {
	const q = `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE token_sha256 = ?`
	t, err := scanAPIToken(s.reader.QueryRowContext(ctx, q, sha256Hex))
	if err != nil {
		// The hash is a credential's: it stays out of the message.
		return nil, fmt.Errorf("find API token: %w", errNoRows(err))
	}
	return t, nil
}

// ListAPITokens returns every token by name.
func (s *Store) ListAPITokens(ctx context.Context) ([]*store.APIToken, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []*store.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken revokes a token.
func (s *Store) DeleteAPIToken(ctx context.Context, name string) error {
	res, err := s.writer.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete API token %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete API token %s: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("delete API token %s: %w", name, store.ErrNotFound)
	}
	return nil
}

const webhookColumns = `id, name, url, secret, events, active, allow_private, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (*store.Webhook, error) {
	var (
		w                 store.Webhook
		events, createdAt string
	)
	if err := row.Scan(&w.ID, &w.Name, &w.URL, &w.Secret, &events, &w.Active, &w.AllowPrivate, &createdAt); err != nil {
		return nil, err
	}
	if events != "" {
		w.Events = strings.Split(events, ",")
	}
	var err error
	if w.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, err
	}
	return &w, nil
}

// CreateWebhook adds a subscriber.
func (s *Store) CreateWebhook(ctx context.Context, p *store.CreateWebhookParams) (*store.Webhook, error) {
	if p.Name == "" || p.URL == "" || p.Secret == "" {
		return nil, fmt.Errorf("create webhook %q: name, URL and secret are required", p.Name)
	}
	for _, e := range p.Events {
		if e == "" || strings.Contains(e, ",") {
			return nil, fmt.Errorf("create webhook %s: event name %q is empty or holds a comma", p.Name, e)
		}
	}
	const q = `
		INSERT INTO webhooks (name, url, secret, events, active, allow_private, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
		RETURNING ` + webhookColumns
	w, err := scanWebhook(s.writer.QueryRowContext(ctx, q, p.Name, p.URL, p.Secret, strings.Join(p.Events, ","),
		p.Active, p.AllowPrivate, formatTime(dbTime(orNow(p.At)))))
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("create webhook %s: %w", p.Name, store.ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create webhook %s: %w", p.Name, err)
	}
	return w, nil
}

// GetWebhook returns a subscriber by id.
func (s *Store) GetWebhook(ctx context.Context, id int64) (*store.Webhook, error) {
	w, err := scanWebhook(s.reader.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get webhook %d: %w", id, errNoRows(err))
	}
	return w, nil
}

// GetWebhookByName returns a subscriber by name.
func (s *Store) GetWebhookByName(ctx context.Context, name string) (*store.Webhook, error) {
	w, err := scanWebhook(s.reader.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE name = ?`, name))
	if err != nil {
		return nil, fmt.Errorf("get webhook %s: %w", name, errNoRows(err))
	}
	return w, nil
}

// ListWebhooks returns every subscriber by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]*store.Webhook, error) {
	return listWebhooks(ctx, s.reader)
}

func listWebhooks(ctx context.Context, q queryer) ([]*store.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*store.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// DeleteWebhook removes a subscriber; its deliveries and their attempts go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.writer.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("delete webhook %d: %w", id, store.ErrNotFound)
	}
	return nil
}

const webhookDeliveryColumns = `id, webhook_id, seq, event, story_id, event_id, payload, state, attempts,
	next_attempt_at, last_status, last_error, created_at, finished_at`

func scanWebhookDelivery(row interface{ Scan(...any) error }) (*store.WebhookDelivery, error) {
	var (
		d                 store.WebhookDelivery
		nextAt, createdAt string
		finishedAt        sql.NullString
	)
	err := row.Scan(&d.ID, &d.WebhookID, &d.Seq, &d.Event, &d.StoryID, &d.EventID, &d.Payload, &d.State,
		&d.Attempts, &nextAt, &d.LastStatus, &d.LastError, &createdAt, &finishedAt)
	if err != nil {
		return nil, err
	}
	if d.NextAttemptAt, err = parseTime(nextAt); err != nil {
		return nil, err
	}
	if d.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, err
	}
	if d.FinishedAt, err = parseTimePtr(finishedAt); err != nil {
		return nil, err
	}
	return &d, nil
}

// MarkStoryEvent records the newest story event fanned out per story.
func (t *tx) MarkStoryEvent(ctx context.Context, p *store.MarkStoryEventParams) (bool, error) {
	const q = `
		INSERT INTO story_event_marks (story_id, last_event_id) VALUES (?1, ?2)
		ON CONFLICT (story_id) DO UPDATE SET last_event_id = excluded.last_event_id
			WHERE excluded.last_event_id > story_event_marks.last_event_id
		RETURNING story_id`
	var id int64
	err := t.QueryRowContext(ctx, q, p.StoryID, p.EventID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark event %d of story %d: %w", p.EventID, p.StoryID, err)
	}
	return true, nil
}

// EnqueueWebhookDelivery appends to a subscriber's queue.
func (t *tx) EnqueueWebhookDelivery(ctx context.Context, p *store.EnqueueWebhookDeliveryParams) (*store.WebhookDelivery, error) {
	var seq int64
	err := t.QueryRowContext(ctx, `UPDATE webhooks SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`, p.WebhookID).Scan(&seq)
	if err != nil {
		return nil, fmt.Errorf("queue %s of story %d for webhook %d: %w", p.Event, p.StoryID, p.WebhookID, errNoRows(err))
	}
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		INSERT INTO webhook_deliveries (webhook_id, seq, event, story_id, event_id, payload, next_attempt_at, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
		RETURNING ` + webhookDeliveryColumns
	d, err := scanWebhookDelivery(t.QueryRowContext(ctx, q, p.WebhookID, seq, p.Event, p.StoryID, p.EventID, p.Payload, at))
	if err != nil {
		return nil, fmt.Errorf("queue %s of story %d for webhook %d: %w", p.Event, p.StoryID, p.WebhookID, err)
	}
	return d, nil
}

// ClaimWebhookDelivery hands out the head of a subscriber's queue. The
// writer connection serializes claims, and the transaction makes the check
// and the claim one step.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, p *store.ClaimWebhookDeliveryParams) (*store.WebhookClaim, error) {
	now := dbTime(p.Now)
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim delivery of webhook %d: %w", p.WebhookID, err)
	}
	defer sqlTx.Rollback()
	const head = `
		SELECT id, next_attempt_at, claimed_until FROM webhook_deliveries
		WHERE webhook_id = ? AND state = 'pending'
		ORDER BY seq LIMIT 1`
	var (
		id      int64
		nextAt  string
		claimed sql.NullString
	)
	err = sqlTx.QueryRowContext(ctx, head, p.WebhookID).Scan(&id, &nextAt, &claimed)
	if errors.Is(err, sql.ErrNoRows) {
		return &store.WebhookClaim{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim delivery of webhook %d: %w", p.WebhookID, err)
	}
	due, err := parseTime(nextAt)
	if err != nil {
		return nil, err
	}
	held := false
	if c, err := parseTimePtr(claimed); err != nil {
		return nil, err
	} else if c != nil && c.After(now) {
		held = true
		due = maxTime(due, *c)
	}
	if due.After(now) {
		return &store.WebhookClaim{RetryAt: &due, Held: held}, nil
	}
	const claim = `UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ? RETURNING ` + webhookDeliveryColumns
	d, err := scanWebhookDelivery(sqlTx.QueryRowContext(ctx, claim, formatTime(now.Add(p.Lease)), id))
	if err != nil {
		return nil, fmt.Errorf("claim delivery %d of webhook %d: %w", id, p.WebhookID, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("claim delivery %d of webhook %d: %w", id, p.WebhookID, err)
	}
	return &store.WebhookClaim{Delivery: d}, nil
}

// RecordWebhookAttempt logs an attempt and sets the delivery's outcome.
func (s *Store) RecordWebhookAttempt(ctx context.Context, p *store.RecordWebhookAttemptParams) (*store.WebhookDelivery, error) {
	var d *store.WebhookDelivery
	err := s.InTx(ctx, func(ctx context.Context, stx store.Tx) error {
		t := stx.(*tx)
		at := formatTime(dbTime(p.Attempt.At))
		if _, err := t.ExecContext(ctx, `
			INSERT INTO webhook_attempts (delivery_id, attempted_at, status, error, duration_ns)
			VALUES (?, ?, ?, ?, ?)`, p.DeliveryID, at, p.Attempt.Status, p.Attempt.Error, int64(p.Attempt.Duration)); err != nil {
			return err
		}
		const q = `
			UPDATE webhook_deliveries SET
				attempts        = attempts + 1,
				state           = ?2,
				next_attempt_at = ?3,
				last_status     = ?4,
				last_error      = ?5,
				claimed_until   = NULL,
				finished_at     = CASE WHEN ?2 = 'pending' THEN NULL ELSE ?6 END
			WHERE id = ?1
			RETURNING ` + webhookDeliveryColumns
		var err error
		d, err = scanWebhookDelivery(t.QueryRowContext(ctx, q, p.DeliveryID, p.State,
			formatTime(dbTime(orNow(p.NextAttemptAt))), p.Attempt.Status, p.Attempt.Error, at))
		return errNoRows(err)
	})
	if err != nil {
		return nil, fmt.Errorf("record attempt of webhook delivery %d: %w", p.DeliveryID, err)
	}
	return d, nil
}

// GetWebhookDelivery returns one delivery, without its attempts.
func (s *Store) GetWebhookDelivery(ctx context.Context, id int64) (*store.WebhookDelivery, error) {
	d, err := scanWebhookDelivery(s.reader.QueryRowContext(ctx, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get webhook delivery %d: %w", id, errNoRows(err))
	}
	return d, nil
}

// ListWebhookDeliveries returns the delivery log of a subscriber.
func (s *Store) ListWebhookDeliveries(ctx context.Context, p *store.ListWebhookDeliveriesParams) ([]*store.WebhookDelivery, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := s.reader.QueryContext(ctx, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries
		WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?`, p.WebhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %d: %w", p.WebhookID, err)
	}
	var (
		out  []*store.WebhookDelivery
		byID = map[int64]*store.WebhookDelivery{}
	)
	for rows.Next() {
		d, err := scanWebhookDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list deliveries of webhook %d: %w", p.WebhookID, err)
		}
		out = append(out, d)
		byID[d.ID] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %d: %w", p.WebhookID, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The page is the subscriber's deliveries from the oldest one listed on.
	const attempts = `
		SELECT a.delivery_id, a.attempted_at, a.status, a.error, a.duration_ns
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE d.webhook_id = ? AND d.seq >= ?
		ORDER BY a.id`
	arows, err := s.reader.QueryContext(ctx, attempts, p.WebhookID, out[len(out)-1].Seq)
	if err != nil {
		return nil, fmt.Errorf("list delivery attempts of webhook %d: %w", p.WebhookID, err)
	}
	defer arows.Close()
	for arows.Next() {
		var (
			deliveryID, durationNS int64
			at                     string
			a                      store.WebhookAttempt
		)
		if err := arows.Scan(&deliveryID, &at, &a.Status, &a.Error, &durationNS); err != nil {
			return nil, fmt.Errorf("list delivery attempts of webhook %d: %w", p.WebhookID, err)
		}
		if a.At, err = parseTime(at); err != nil {
			return nil, err
		}
		a.Duration = time.Duration(durationNS)
		if d := byID[deliveryID]; d != nil {
			d.AttemptLog = append(d.AttemptLog, &a)
		}
	}
	if err := arows.Err(); err != nil {
		return nil, fmt.Errorf("list delivery attempts of webhook %d: %w", p.WebhookID, err)
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
