// Package ingest brings payloads in from sources (polling today; push, WebSub
// and drop folders later), archives them raw and runs them through decode
// and apply.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/apmedia"
)

// Pipeline is the path every payload takes, whatever channel brought it:
// archive the raw bytes, decode, apply each item in its own transaction.
type Pipeline struct {
	store   store.Store
	applier *apply.Applier
	logger  *slog.Logger
	now     func() time.Time
}

// NewPipeline returns a Pipeline that archives into s and applies with a.
// now defaults to time.Now.
func NewPipeline(s store.Store, a *apply.Applier, logger *slog.Logger, now func() time.Time) *Pipeline {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{store: s, applier: a, logger: logger, now: now}
}

// DeliverParams is one raw payload and what is known of its source.
type DeliverParams struct {
	SourceID    *int64
	SourceName  string
	Origin      string // URL fetched or file path, for the archive and errors
	ContentType string
	Body        []byte
	// Agency is the source's configured agency; the payload may name its own.
	Agency string
	// Format is the source's configured wire format; empty detects it.
	Format   string
	Location *time.Location
	// FollowCursor is set by the poller: when the payload is a page of a
	// cursor feed (AP Media API, whose pages name their next_page), the
	// page's items are applied in one transaction that also stores the
	// next page as the source's cursor, so a crash keeps both or neither.
	// Needs SourceID.
	FollowCursor bool
}

// DeliverResult counts what one delivery did.
type DeliverResult struct {
	DeliveryID int64
	SHA256     string
	Format     string
	Repeat     bool
	Items      int
	Created    int
	Updated    int
	Recorded   int
	Unchanged  int
	// Skipped lists items the decoder could not use and item errors from
	// apply; the rest of the delivery went through.
	Skipped    []string
	IDsDerived bool
	// CursorStored is set when the payload was a cursor feed page and its
	// next page, NextCursor ("" for none), was stored with its items.
	CursorStored bool
	NextCursor   string
}

// Summary is a one-line account of the delivery, as `wiredesk ingest` prints.
func (r *DeliverResult) Summary() string {
	s := fmt.Sprintf("%s: %d items: %d new, %d updated, %d unchanged", r.Format, r.Items, r.Created, r.Updated, r.Unchanged)
	if r.Recorded > 0 {
		s += fmt.Sprintf(", %d recorded", r.Recorded)
	}
	if len(r.Skipped) > 0 {
		s += fmt.Sprintf(", %d skipped", len(r.Skipped))
	}
	return s + fmt.Sprintf(" (sha256 %s)", short(r.SHA256))
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Deliver archives, decodes and applies one payload. A payload that cannot
// be decoded is archived with its error and nothing of it is published; an
// item that cannot be applied is skipped and named, and the others go on.
func (p *Pipeline) Deliver(ctx context.Context, dp *DeliverParams) (*DeliverResult, error) {
	d, err := p.store.InsertDelivery(ctx, &store.InsertDeliveryParams{
		SourceID: dp.SourceID, Origin: dp.Origin, ContentType: dp.ContentType,
		Body: dp.Body, ReceivedAt: p.now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("archive delivery from %s: %w", dp.Origin, err)
	}
	res := &DeliverResult{DeliveryID: d.ID, SHA256: d.SHA256, Repeat: d.Repeat}

	decoded, err := decode.DecodeAs(dp.Body, dp.Format, &wire.Options{Agency: dp.Agency, Location: dp.Location, SHA256: d.SHA256})
	if err != nil {
		p.finish(ctx, d.ID, "", 0, err)
		return res, fmt.Errorf("delivery %d from %s: %w", d.ID, dp.Origin, err)
	}
	res.Format = decoded.Format
	res.Items = len(decoded.Items)
	for _, sk := range decoded.Skipped {
		res.Skipped = append(res.Skipped, fmt.Sprintf("item %d: %s", sk.Index, sk.Reason))
	}
	if len(decoded.Items) == 0 && len(decoded.Skipped) > 0 {
		// Every item was unusable, typically a feed without ids or links:
		// an error on the source, not a silent empty poll.
		// A decode-level error: the payload is unusable as it stands, so a
		// drop folder moves it to failed/ instead of retrying it.
		err := &wire.Error{Format: decoded.Format, Reason: fmt.Sprintf("no usable items: %d items skipped, first: %s", len(decoded.Skipped), decoded.Skipped[0].Reason)}
		p.finish(ctx, d.ID, decoded.Format, 0, err)
		return res, fmt.Errorf("delivery %d from %s: %w", d.ID, dp.Origin, err)
	}
	deliveryID := d.ID
	if dp.FollowCursor && dp.SourceID != nil && decoded.Format == apmedia.Format {
		if err := p.applyPage(ctx, dp, d.ID, decoded.Items, res); err != nil {
			p.finish(ctx, d.ID, decoded.Format, res.Items, err)
			return res, fmt.Errorf("delivery %d from %s: %w", d.ID, dp.Origin, err)
		}
		p.finish(ctx, d.ID, decoded.Format, res.Items, nil)
		return res, nil
	}
	for i := range decoded.Items {
		it := &decoded.Items[i]
		if it.IDDerived {
			res.IDsDerived = true
		}
		r, err := p.applier.Apply(ctx, &apply.Params{Item: it, DeliveryID: &deliveryID, SourceName: dp.SourceName})
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if !errors.Is(err, apply.ErrNoIdentity) {
				// A store failure: the rest of this delivery would fail the
				// same way; stop and let the caller retry the delivery,
				// which is safe because applying is idempotent.
				p.finish(ctx, d.ID, decoded.Format, res.Items, err)
				return res, fmt.Errorf("delivery %d from %s: %w", d.ID, dp.Origin, err)
			}
			res.Skipped = append(res.Skipped, fmt.Sprintf("item %d: %v", i, err))
			continue
		}
		res.count(r.Outcome)
	}
	p.finish(ctx, d.ID, decoded.Format, res.Items, nil)
	return res, nil
}

func (r *DeliverResult) count(o apply.Outcome) {
	switch o {
	case apply.Created:
		r.Created++
	case apply.Updated:
		r.Updated++
	case apply.Recorded:
		r.Recorded++
	case apply.Unchanged:
		r.Unchanged++
	}
}

// applyPage applies a cursor feed page: its usable items and its next page
// as the source's cursor, in one transaction. Items without identity are
// skipped and named, as elsewhere; any other failure stores nothing, and
// the same page is fetched again.
func (p *Pipeline) applyPage(ctx context.Context, dp *DeliverParams, deliveryID int64, items []story.Item, res *DeliverResult) error {
	next, _ := apmedia.NextPage(dp.Body)
	batch := make([]*apply.Params, 0, len(items))
	for i := range items {
		it := &items[i]
		if err := apply.CheckIdentity(it); err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("item %d: %v", i, err))
			continue
		}
		if it.IDDerived {
			res.IDsDerived = true
		}
		batch = append(batch, &apply.Params{Item: it, DeliveryID: &deliveryID, SourceName: dp.SourceName})
	}
	sourceID := *dp.SourceID
	results, err := p.applier.ApplyAll(ctx, &apply.ApplyAllParams{
		Items: batch,
		After: func(ctx context.Context, tx store.Tx) error {
			return tx.SetSourceCursor(ctx, &store.SetSourceCursorParams{SourceID: sourceID, Cursor: next})
		},
	})
	if err != nil {
		return fmt.Errorf("apply page with its cursor: %w", err)
	}
	for _, r := range results {
		res.count(r.Outcome)
	}
	res.CursorStored, res.NextCursor = true, next
	return nil
}

// finish records the delivery's outcome. Failing to record it loses no
// story state, so it is logged rather than returned.
func (p *Pipeline) finish(ctx context.Context, id int64, format string, items int, derr error) {
	fp := &store.FinishDeliveryParams{DeliveryID: id, Format: format, Items: items}
	if derr != nil {
		fp.Err = derr.Error()
	}
	if err := p.store.FinishDelivery(ctx, fp); err != nil {
		p.logger.ErrorContext(ctx, "record delivery outcome", "delivery", id, "err", err)
	}
}
