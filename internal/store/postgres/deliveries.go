package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

const deliveryColumns = `id, source_id, origin, content_type, sha256, size, received_at, format, item_count, error`

func scanDelivery(row pgx.Row, extra ...any) (*store.Delivery, error) {
	var d store.Delivery
	dst := append([]any{&d.ID, &d.SourceID, &d.Origin, &d.ContentType, &d.SHA256, &d.Size,
		&d.ReceivedAt, &d.Format, &d.Items, &d.Err}, extra...)
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
	return &d, nil
}

// InsertDelivery archives p.Body as received. When the same bytes were
// archived before from the same source (or, for deliveries without a source,
// from none), nothing is written and the earlier delivery comes back with
// Repeat set.
func (s *Store) InsertDelivery(ctx context.Context, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	return insertDelivery(ctx, s.pool, p)
}

// InsertDelivery is Store.InsertDelivery inside the transaction.
func (t *tx) InsertDelivery(ctx context.Context, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	return insertDelivery(ctx, t.tx, p)
}

// deliveryWriter is what archiving a delivery needs: the pool or a
// transaction.
type deliveryWriter interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func insertDelivery(ctx context.Context, w deliveryWriter, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	body := p.Body
	if body == nil {
		body = []byte{} // the column is NOT NULL: an empty payload is still a payload
	}
	sum := story.SHA256Hex(body)
	receivedAt := dbTime(orNow(p.ReceivedAt))

	// Any unique conflict here is the same bytes again: the two partial
	// unique indexes on sha256 are the only constraints that can fire. A
	// concurrent insert of the same bytes makes this one wait for it and
	// then do nothing, so the lookup below finds the winner's row.
	const insert = `
		INSERT INTO deliveries (source_id, origin, content_type, sha256, size, body, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING
		RETURNING ` + deliveryColumns
	d, err := scanDelivery(w.QueryRow(ctx, insert,
		p.SourceID, p.Origin, p.ContentType, sum, len(body), body, receivedAt))
	if err == nil {
		d.Body = body
		return d, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("insert delivery %s from %s: %w", sum, p.Origin, err)
	}

	// Two statements, each matching one partial index exactly.
	const firstFromSource = `SELECT ` + deliveryColumns + `, body FROM deliveries
		WHERE source_id = $1 AND sha256 = $2`
	const firstUnsourced = `SELECT ` + deliveryColumns + `, body FROM deliveries
		WHERE source_id IS NULL AND sha256 = $1`
	var row pgx.Row
	if p.SourceID != nil {
		row = w.QueryRow(ctx, firstFromSource, *p.SourceID, sum)
	} else {
		row = w.QueryRow(ctx, firstUnsourced, sum)
	}
	d, err = scanDelivery(row, &body)
	if err != nil {
		return nil, fmt.Errorf("find earlier delivery %s from %s: %w", sum, p.Origin, err)
	}
	d.Body = body
	d.Repeat = true
	return d, nil
}

// GetDelivery returns a delivery with its raw body, or store.ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, id int64) (*store.Delivery, error) {
	const q = `SELECT ` + deliveryColumns + `, body FROM deliveries WHERE id = $1`
	var body []byte
	d, err := scanDelivery(s.pool.QueryRow(ctx, q, id), &body)
	if err != nil {
		return nil, fmt.Errorf("get delivery %d: %w", id, errNoRows(err))
	}
	if body == nil {
		body = []byte{}
	}
	d.Body = body
	return d, nil
}

// FinishDelivery records what decoding a delivery gave.
func (s *Store) FinishDelivery(ctx context.Context, p *store.FinishDeliveryParams) error {
	return finishDelivery(ctx, s.pool, p)
}

// FinishDelivery is Store.FinishDelivery inside the transaction.
func (t *tx) FinishDelivery(ctx context.Context, p *store.FinishDeliveryParams) error {
	return finishDelivery(ctx, t.tx, p)
}

func finishDelivery(ctx context.Context, w deliveryWriter, p *store.FinishDeliveryParams) error {
	const q = `UPDATE deliveries SET format = $1, item_count = $2, error = $3 WHERE id = $4`
	tag, err := w.Exec(ctx, q, p.Format, p.Items, p.Err, p.DeliveryID)
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", p.DeliveryID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish delivery %d: %w", p.DeliveryID, store.ErrNotFound)
	}
	return nil
}
