package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

const deliveryColumns = `id, source_id, origin, content_type, sha256, size, received_at, format, item_count, error`

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (*store.Delivery, error) {
	var (
		d          store.Delivery
		sourceID   sql.NullInt64
		receivedAt string
	)
	dst := append([]any{&d.ID, &sourceID, &d.Origin, &d.ContentType, &d.SHA256, &d.Size,
		&receivedAt, &d.Format, &d.Items, &d.Err}, extra...)
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	if sourceID.Valid {
		d.SourceID = &sourceID.Int64
	}
	var err error
	if d.ReceivedAt, err = parseTime(receivedAt); err != nil {
		return nil, err
	}
	return &d, nil
}

// deliveryWriter is what archiving a delivery needs: the writer's
// statement cache outside a transaction, or a transaction.
type deliveryWriter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InsertDelivery archives p.Body as received. When the same bytes were
// archived before from the same source (or, for deliveries without a source,
// from none), nothing is written and the earlier delivery comes back with
// Repeat set.
func (s *Store) InsertDelivery(ctx context.Context, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	return insertDelivery(ctx, s.stmts, p)
}

// InsertDelivery is Store.InsertDelivery inside the transaction.
func (t *tx) InsertDelivery(ctx context.Context, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	return insertDelivery(ctx, t, p)
}

func insertDelivery(ctx context.Context, w deliveryWriter, p *store.InsertDeliveryParams) (*store.Delivery, error) {
	body := p.Body
	if body == nil {
		body = []byte{} // the column is NOT NULL: an empty payload is still a payload
	}
	sum := story.SHA256Hex(body)
	receivedAt := formatTime(dbTime(orNow(p.ReceivedAt)))
	var sourceID sql.NullInt64
	if p.SourceID != nil {
		sourceID = sql.NullInt64{Int64: *p.SourceID, Valid: true}
	}

	// Any unique conflict here is the same bytes again: the two partial
	// unique indexes on sha256 are the only constraints that can fire.
	const insert = `
		INSERT INTO deliveries (source_id, origin, content_type, sha256, size, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING
		RETURNING ` + deliveryColumns
	d, err := scanDelivery(w.QueryRowContext(ctx, insert,
		sourceID, p.Origin, p.ContentType, sum, len(body), body, receivedAt))
	if err == nil {
		d.Body = body
		return d, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("insert delivery %s from %s: %w", sum, p.Origin, err)
	}

	// Two statements, each matching one partial index exactly, so the
	// lookup never scans the archive.
	const firstFromSource = `SELECT ` + deliveryColumns + `, body FROM deliveries
		WHERE source_id = ? AND sha256 = ?`
	const firstUnsourced = `SELECT ` + deliveryColumns + `, body FROM deliveries
		WHERE source_id IS NULL AND sha256 = ?`
	var row *sql.Row
	if sourceID.Valid {
		row = w.QueryRowContext(ctx, firstFromSource, sourceID, sum)
	} else {
		row = w.QueryRowContext(ctx, firstUnsourced, sum)
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
	const q = `SELECT ` + deliveryColumns + `, body FROM deliveries WHERE id = ?`
	var body []byte
	d, err := scanDelivery(s.reader.QueryRowContext(ctx, q, id), &body)
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
	return finishDelivery(ctx, s.stmts, p)
}

// FinishDelivery is Store.FinishDelivery inside the transaction.
func (t *tx) FinishDelivery(ctx context.Context, p *store.FinishDeliveryParams) error {
	return finishDelivery(ctx, t, p)
}

func finishDelivery(ctx context.Context, w deliveryWriter, p *store.FinishDeliveryParams) error {
	const q = `UPDATE deliveries SET format = ?, item_count = ?, error = ? WHERE id = ?`
	res, err := w.ExecContext(ctx, q, p.Format, p.Items, p.Err, p.DeliveryID)
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", p.DeliveryID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish delivery %d: %w", p.DeliveryID, err)
	} else if n == 0 {
		return fmt.Errorf("finish delivery %d: %w", p.DeliveryID, store.ErrNotFound)
	}
	return nil
}
