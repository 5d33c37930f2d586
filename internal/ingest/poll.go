package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Poller fetches a source once and runs what it got through the pipeline,
// recording the source's health either way: a failing source is never
// dropped, it is retried with backoff and its last error is kept.
type Poller struct {
	store    store.Store
	fetcher  *fetch.Client
	pipeline *Pipeline
	logger   *slog.Logger
	now      func() time.Time
}

// NewPoller wires a Poller. now defaults to time.Now.
func NewPoller(s store.Store, f *fetch.Client, p *Pipeline, logger *slog.Logger, now func() time.Time) *Poller {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Poller{store: s, fetcher: f, pipeline: p, logger: logger, now: now}
}

// maxBackoff caps the wait after repeated failures, so a source that comes
// back is noticed within minutes.
const maxBackoff = 30 * time.Minute

// Poll fetches the source with id once. It returns the fetch, decode or
// apply error after recording it on the source.
func (p *Poller) Poll(ctx context.Context, sourceID int64) error {
	src, err := p.store.GetSourceByID(ctx, sourceID)
	if err != nil {
		return fmt.Errorf("poll source %d: %w", sourceID, err)
	}
	if src.Paused {
		return nil
	}
	start := p.now().UTC()
	resp, err := p.fetcher.Get(ctx, &fetch.Request{
		URL: src.URL, ETag: src.ETag, LastModified: src.LastModified, AllowPrivate: src.AllowPrivate,
	})
	if err != nil {
		return p.failed(ctx, src, start, fmt.Errorf("fetch: %w", err))
	}
	rp := &store.RecordPollParams{
		SourceID: src.ID, At: start, NotModified: resp.NotModified,
		ETag: src.ETag, LastModified: src.LastModified,
		IDsDerived: src.IDsDerived, NextAttemptAt: start.Add(src.Interval),
	}
	if !resp.NotModified {
		res, err := p.pipeline.Deliver(ctx, &DeliverParams{
			SourceID: &src.ID, SourceName: src.Name, Origin: fetch.Redact(resp.FinalURL),
			ContentType: resp.ContentType, Body: resp.Body, Agency: src.Agency, Format: src.Format,
		})
		if err != nil {
			return p.failed(ctx, src, start, err)
		}
		// Validators are kept only once the payload went through, so a
		// payload that failed is fetched whole again next time.
		rp.ETag, rp.LastModified, rp.IDsDerived = resp.ETag, resp.LastModified, res.IDsDerived
		p.logger.InfoContext(ctx, "polled source", "source", src.Name, "result", res.Summary())
		for _, s := range res.Skipped {
			p.logger.WarnContext(ctx, "skipped item", "source", src.Name, "reason", s)
		}
	}
	if _, err := p.store.RecordPoll(ctx, rp); err != nil {
		return fmt.Errorf("poll %s: record success: %w", src.Name, err)
	}
	return nil
}

func (p *Poller) failed(ctx context.Context, src *store.Source, at time.Time, perr error) error {
	backoff := src.Interval << min(src.ConsecutiveFailures, 16)
	backoff = min(max(backoff, src.Interval), maxBackoff)
	_, err := p.store.RecordPoll(ctx, &store.RecordPollParams{
		SourceID: src.ID, At: at, Err: perr.Error(),
		ETag: src.ETag, LastModified: src.LastModified, IDsDerived: src.IDsDerived,
		NextAttemptAt: at.Add(backoff),
	})
	if err != nil {
		return fmt.Errorf("poll %s: %w (and recording the failure: %v)", src.Name, perr, err)
	}
	p.logger.WarnContext(ctx, "poll failed", "source", src.Name, "err", perr, "next_attempt_in", backoff)
	return fmt.Errorf("poll %s: %w", src.Name, perr)
}
