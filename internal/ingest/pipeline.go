// Package ingest brings payloads in from sources (polling today; push, WebSub
// and drop folders later), archives them raw and runs them through decode
// and apply.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/apmedia"
)

// Pipeline is the path every payload takes, whatever channel brought it:
// archive the raw bytes, decode, apply the items, in one transaction per
// delivery, or per group of deliveries while Run runs.
type Pipeline struct {
	store   store.Store
	applier *apply.Applier
	logger  *slog.Logger
	now     func() time.Time
	// group is the queue of the running group commit (Run); nil when
	// none runs and each delivery is written by its caller.
	group atomic.Pointer[groupQueue]
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
//
// The payload's work that needs no database (hashing, decoding, duplicate
// fingerprints) is done on the caller's goroutine. The rest is written in
// one transaction: the delivery archived, its items applied, its outcome
// recorded. While Run is running, that transaction is shared with the
// deliveries of other callers waiting at the same moment (a group commit);
// Deliver returns once it has committed, so what it reports is stored.
func (p *Pipeline) Deliver(ctx context.Context, dp *DeliverParams) (*DeliverResult, error) {
	u := p.prepare(dp)
	if q := p.group.Load(); q != nil {
		select {
		case q.requests <- u:
		case <-q.stopped:
			// Run ended before taking it: write it here instead.
			p.writeAlone(ctx, u)
			return u.res, u.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-u.done:
			return u.res, u.err
		case <-ctx.Done():
			// The group may still commit it; applying is idempotent, so a
			// caller retrying finds it unchanged.
			return nil, ctx.Err()
		}
	}
	p.writeAlone(ctx, u)
	return u.res, u.err
}

// delivery is one payload on its way through the pipeline: what prepare
// worked out without the database, then what writing it gave.
type delivery struct {
	dp         *DeliverParams
	sha256     string
	receivedAt time.Time
	decoded    *decode.Result
	// decodeErr is set when the payload is unusable as it stands: it is
	// archived with this error and nothing of it is applied.
	decodeErr error
	items     []*apply.Params
	skipped   []string // items left out before applying, named
	derived   bool
	cursor    bool // a cursor feed page: store its next page with the items

	res  *DeliverResult
	err  error
	done chan struct{} // closed when res and err are final
}

// prepare does the delivery's database-free work.
func (p *Pipeline) prepare(dp *DeliverParams) *delivery {
	u := &delivery{dp: dp, sha256: story.SHA256Hex(dp.Body), receivedAt: p.now().UTC(), done: make(chan struct{})}
	decoded, err := decode.DecodeAs(dp.Body, dp.Format, &wire.Options{Agency: dp.Agency, Location: dp.Location, SHA256: u.sha256})
	if err != nil {
		u.decodeErr = err
		return u
	}
	u.decoded = decoded
	for _, sk := range decoded.Skipped {
		u.skipped = append(u.skipped, fmt.Sprintf("item %d: %s", sk.Index, sk.Reason))
	}
	if len(decoded.Items) == 0 && len(decoded.Skipped) > 0 {
		// Every item was unusable, typically a feed without ids or links:
		// an error on the source, not a silent empty poll. A decode-level
		// error: the payload is unusable as it stands, so a drop folder
		// moves it to failed/ instead of retrying it.
		u.decodeErr = &wire.Error{Format: decoded.Format, Reason: fmt.Sprintf("no usable items: %d items skipped, first: %s", len(decoded.Skipped), decoded.Skipped[0].Reason)}
		return u
	}
	u.cursor = dp.FollowCursor && dp.SourceID != nil && decoded.Format == apmedia.Format
	for i := range decoded.Items {
		it := &decoded.Items[i]
		if err := apply.CheckIdentity(it); err != nil {
			u.skipped = append(u.skipped, fmt.Sprintf("item %d: %v", i, err))
			continue
		}
		if it.IDDerived {
			u.derived = true
		}
		ap := &apply.Params{Item: it, SourceName: dp.SourceName}
		ap.Prepare()
		u.items = append(u.items, ap)
	}
	return u
}

// newResult is the delivery's result before anything is written.
func (u *delivery) newResult() *DeliverResult {
	res := &DeliverResult{SHA256: u.sha256, Skipped: slices.Clone(u.skipped), IDsDerived: u.derived}
	if u.decoded != nil {
		res.Format = u.decoded.Format
		res.Items = len(u.decoded.Items)
	}
	return res
}

// write archives the delivery, applies its items and records its outcome
// inside tx. It may run more than once (a retried or regrouped
// transaction), so it starts its result afresh each time. A payload that
// could not be decoded is archived with its error, which becomes the
// delivery's error; tx is still good.
func (p *Pipeline) write(ctx context.Context, tx store.Tx, u *delivery, events *apply.TxEvents) error {
	u.res, u.err = u.newResult(), nil
	d, err := tx.InsertDelivery(ctx, &store.InsertDeliveryParams{
		SourceID: u.dp.SourceID, Origin: u.dp.Origin, ContentType: u.dp.ContentType,
		Body: u.dp.Body, ReceivedAt: u.receivedAt,
	})
	if err != nil {
		return fmt.Errorf("archive delivery from %s: %w", u.dp.Origin, err)
	}
	u.res.DeliveryID, u.res.Repeat = d.ID, d.Repeat
	fp := &store.FinishDeliveryParams{DeliveryID: d.ID, Format: u.res.Format, Items: u.res.Items}
	if u.decodeErr != nil {
		fp.Err = u.decodeErr.Error()
		if err := tx.FinishDelivery(ctx, fp); err != nil {
			return err
		}
		u.err = fmt.Errorf("delivery %d from %s: %w", d.ID, u.dp.Origin, u.decodeErr)
		return nil
	}
	deliveryID := d.ID
	for _, it := range u.items {
		it.DeliveryID = &deliveryID
	}
	results, err := p.applier.ApplyGathering(ctx, tx, u.items, events)
	if err != nil {
		return fmt.Errorf("delivery %d from %s: %w", d.ID, u.dp.Origin, err)
	}
	for _, r := range results {
		u.res.count(r.Outcome)
	}
	if u.cursor {
		next, _ := apmedia.NextPage(u.dp.Body)
		if err := tx.SetSourceCursor(ctx, &store.SetSourceCursorParams{SourceID: *u.dp.SourceID, Cursor: next}); err != nil {
			return fmt.Errorf("delivery %d from %s: store next page: %w", d.ID, u.dp.Origin, err)
		}
		u.res.CursorStored, u.res.NextCursor = true, next
	}
	return tx.FinishDelivery(ctx, fp)
}

// writeAlone writes one delivery in its own transaction. When that fails,
// it falls back to the way that isolates each item: the delivery archived
// first, then each item in its own transaction, so that one item the store
// refuses is named and skipped and the others still land.
func (p *Pipeline) writeAlone(ctx context.Context, u *delivery) {
	defer close(u.done)
	err := p.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var events apply.TxEvents
		if err := p.write(ctx, tx, u, &events); err != nil {
			return err
		}
		return p.applier.EnqueueTx(ctx, tx, &events)
	})
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		u.res, u.err = nil, ctx.Err()
		return
	}
	p.logger.WarnContext(ctx, "delivery failed in one transaction; applying its items one by one", "origin", u.dp.Origin, "err", err)
	u.res, u.err = p.writeEach(ctx, u)
}

// writeEach is writeAlone's fallback.
func (p *Pipeline) writeEach(ctx context.Context, u *delivery) (*DeliverResult, error) {
	res := u.newResult()
	d, err := p.store.InsertDelivery(ctx, &store.InsertDeliveryParams{
		SourceID: u.dp.SourceID, Origin: u.dp.Origin, ContentType: u.dp.ContentType,
		Body: u.dp.Body, ReceivedAt: u.receivedAt,
	})
	if err != nil {
		return nil, fmt.Errorf("archive delivery from %s: %w", u.dp.Origin, err)
	}
	res.DeliveryID, res.Repeat = d.ID, d.Repeat
	if u.decodeErr != nil {
		p.finish(ctx, d.ID, res.Format, 0, u.decodeErr)
		return res, fmt.Errorf("delivery %d from %s: %w", d.ID, u.dp.Origin, u.decodeErr)
	}
	deliveryID := d.ID
	if u.cursor {
		// A cursor page's items go with its cursor, all or nothing.
		for _, it := range u.items {
			it.DeliveryID = &deliveryID
		}
		if err := p.applyPage(ctx, u, res); err != nil {
			p.finish(ctx, d.ID, res.Format, res.Items, err)
			return res, fmt.Errorf("delivery %d from %s: %w", d.ID, u.dp.Origin, err)
		}
		p.finish(ctx, d.ID, res.Format, res.Items, nil)
		return res, nil
	}
	for i, it := range u.items {
		it.DeliveryID = &deliveryID
		r, err := p.applier.Apply(ctx, it)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if !errors.Is(err, apply.ErrNoIdentity) {
				// A store failure: the rest of this delivery would fail the
				// same way; stop and let the caller retry the delivery,
				// which is safe because applying is idempotent.
				p.finish(ctx, d.ID, res.Format, res.Items, err)
				return res, fmt.Errorf("delivery %d from %s: %w", d.ID, u.dp.Origin, err)
			}
			res.Skipped = append(res.Skipped, fmt.Sprintf("item %d: %v", i, err))
			continue
		}
		res.count(r.Outcome)
	}
	p.finish(ctx, d.ID, res.Format, res.Items, nil)
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
// as the source's cursor, in one transaction. Any failure stores nothing,
// and the same page is fetched again.
func (p *Pipeline) applyPage(ctx context.Context, u *delivery, res *DeliverResult) error {
	next, _ := apmedia.NextPage(u.dp.Body)
	sourceID := *u.dp.SourceID
	results, err := p.applier.ApplyAll(ctx, &apply.ApplyAllParams{
		Items: u.items,
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

// groupQueue hands deliveries to the running group commit.
type groupQueue struct {
	requests chan *delivery
	stopped  chan struct{} // closed when Run has returned
}

// maxGroup is the most deliveries one group commit takes. Larger groups
// commit less often, but hold the writer longer and make the first
// delivery of the group wait for the last.
const maxGroup = 64

// Run writes the deliveries of every concurrent Deliver call in shared
// transactions until ctx ends: it takes one, then all the others already
// waiting (up to maxGroup), writes them in one transaction and answers each
// caller once it has committed. It never waits for more to come, so a lone
// delivery is written at once; under load, callers queue while a group
// commits and the next group takes them all. SQLite has one writer, and a
// commit and each statement cost the same for one delivery as for many, so
// this is what lets ingest use both cores: callers decode and fingerprint
// in parallel while the writer writes.
//
// When the group's transaction fails, each of its deliveries is written
// again alone, so one bad delivery never fails the others.
func (p *Pipeline) Run(ctx context.Context) error {
	q := &groupQueue{requests: make(chan *delivery), stopped: make(chan struct{})}
	if !p.group.CompareAndSwap(nil, q) {
		return errors.New("ingest pipeline: group commit already running")
	}
	defer func() {
		p.group.Store(nil)
		close(q.stopped)
	}()
	// A group taken is written to the end even when ctx ends meanwhile:
	// its callers are waiting for the answer.
	wctx := context.WithoutCancel(ctx)
	for {
		var group []*delivery
		select {
		case <-ctx.Done():
			return nil
		case u := <-q.requests:
			group = append(group, u)
		}
	more:
		for len(group) < maxGroup {
			select {
			case u := <-q.requests:
				group = append(group, u)
			default:
				break more
			}
		}
		p.writeGroup(wctx, group)
	}
}

// writeGroup writes a group of deliveries in one transaction, or each
// alone when that fails.
func (p *Pipeline) writeGroup(ctx context.Context, group []*delivery) {
	if len(group) == 1 {
		p.writeAlone(ctx, group[0])
		return
	}
	err := p.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var events apply.TxEvents
		for _, u := range group {
			if err := p.write(ctx, tx, u, &events); err != nil {
				return err
			}
		}
		return p.applier.EnqueueTx(ctx, tx, &events)
	})
	if err == nil {
		for _, u := range group {
			close(u.done)
		}
		return
	}
	p.logger.WarnContext(ctx, "group commit failed; writing its deliveries one by one", "deliveries", len(group), "err", err)
	for _, u := range group {
		p.writeAlone(ctx, u)
	}
}
