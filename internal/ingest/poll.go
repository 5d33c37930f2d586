package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/metrics"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/wire/rss"
)

// Defaults of PollerConfig.
const (
	DefaultHostLimit = 2
	DefaultHostWait  = time.Second
)

// PollerConfig configures a Poller. The zero value of every optional field
// means its default.
type PollerConfig struct {
	// Store, Fetcher and Pipeline are required.
	Store    store.Store
	Fetcher  *fetch.Client
	Pipeline *Pipeline
	// Logger: default discard.
	Logger *slog.Logger
	// Now: default time.Now.
	Now func() time.Time
	// Metrics receives poll durations, schedule lag and item counts; nil
	// for none.
	Metrics *metrics.Poll
	// HostLimit is how many fetches run at once against one host, in this
	// process. Default 2.
	HostLimit int
	// HostWait is how long a poll waits for its host to have a free slot
	// before it gives up with a *HostBusyError, to be tried again shortly.
	// Default 1s.
	HostWait time.Duration
	// Jitter spreads every wait; default ±JitterPercent at random. Tests
	// make it exact.
	Jitter func(time.Duration) time.Duration
	// FixedInterval turns the adaptive interval off: a quiet source is
	// polled at its interval all the same. For measuring the scheduler at
	// its full rate; upstream hints and backoff still apply.
	FixedInterval bool
}

// Poller fetches a source once and runs what it got through the pipeline,
// recording the source's health and its next attempt either way: a failing
// source is never dropped, it is retried with backoff and its last error is
// kept.
type Poller struct {
	cfg   PollerConfig
	hosts *hostLimiter
}

// NewPoller wires a Poller.
func NewPoller(cfg PollerConfig) (*Poller, error) {
	if cfg.Store == nil || cfg.Fetcher == nil || cfg.Pipeline == nil {
		return nil, errors.New("new poller: Store, Fetcher and Pipeline are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HostLimit <= 0 {
		cfg.HostLimit = DefaultHostLimit
	}
	if cfg.HostWait <= 0 {
		cfg.HostWait = DefaultHostWait
	}
	if cfg.Jitter == nil {
		cfg.Jitter = spread
	}
	return &Poller{cfg: cfg, hosts: newHostLimiter(cfg.HostLimit)}, nil
}

// Poll fetches the source with id once. It returns the fetch, decode or
// apply error after recording it on the source, or a *HostBusyError, having
// done nothing, when the source's host has its share of fetches running. A
// source removed or paused meanwhile is left alone.
func (p *Poller) Poll(ctx context.Context, sourceID int64) error {
	src, err := p.cfg.Store.GetSourceByID(ctx, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("poll source %d: %w", sourceID, err)
	}
	if src.Paused {
		return nil
	}
	req := &fetch.Request{URL: src.URL, ETag: src.ETag, LastModified: src.LastModified, AllowPrivate: src.AllowPrivate, Auth: SourceFetchAuth(src.Auth)}
	if src.Cursor != "" {
		// A cursor page is its own URL: the base URL's validators do not
		// apply to it.
		req.URL, req.ETag, req.LastModified = src.Cursor, "", ""
	}
	host := hostOf(req.URL)
	release, ok, err := p.hosts.acquire(ctx, host, p.cfg.HostWait)
	if err != nil {
		return fmt.Errorf("poll %s: wait for host %s: %w", src.Name, host, err)
	}
	if !ok {
		return &HostBusyError{Host: host, Wait: p.cfg.Jitter(p.cfg.HostWait)}
	}
	start := p.cfg.Now().UTC()
	if src.NextAttemptAt != nil && !src.NextAttemptAt.After(start) {
		p.cfg.Metrics.ObserveLag(start.Sub(*src.NextAttemptAt))
	}
	resp, err := p.cfg.Fetcher.Get(ctx, req)
	release()
	if err != nil {
		var se *fetch.StatusError
		var retryAfter time.Duration
		if errors.As(err, &se) {
			retryAfter = se.RetryAfter
		}
		return p.failed(ctx, src, start, retryAfter, fmt.Errorf("fetch: %w", err))
	}
	rp := &store.RecordPollParams{
		SourceID: src.ID, At: start, NotModified: resp.NotModified,
		ETag: src.ETag, LastModified: src.LastModified, IDsDerived: src.IDsDerived, FeedTTL: src.FeedTTL,
	}
	sp := &successPlan{src: src, now: start, cacheFor: cacheLifetime(resp.Header, start), feedTTL: src.FeedTTL, jitter: p.cfg.Jitter, fixed: p.cfg.FixedInterval}
	outcome := metrics.OutcomeNotModified
	if !resp.NotModified {
		outcome = metrics.OutcomeOK
		res, err := p.cfg.Pipeline.Deliver(ctx, &DeliverParams{
			SourceID: &src.ID, SourceName: src.Name, Origin: fetch.Redact(resp.FinalURL),
			ContentType: resp.ContentType, Body: resp.Body, Agency: src.Agency, Format: src.Format,
			FollowCursor: true,
		})
		if err != nil {
			return p.failed(ctx, src, start, 0, err)
		}
		if src.Cursor == "" {
			// Validators are kept only once the payload went through, so
			// a payload that failed is fetched whole again next time.
			rp.ETag, rp.LastModified = resp.ETag, resp.LastModified
		}
		rp.IDsDerived = res.IDsDerived
		if res.Format == rss.FormatRSS {
			rp.FeedTTL = rssTTL(resp.Body)
			sp.feedTTL = rp.FeedTTL
		}
		fresh := res.Created + res.Updated
		sp.fresh = fresh > 0
		sp.catchUp = sp.fresh && res.CursorStored && res.NextCursor != "" && res.NextCursor != src.Cursor
		p.cfg.Metrics.AddItems(src.Name, fresh)
		p.cfg.Logger.InfoContext(ctx, "polled source", "source", src.Name, "result", res.Summary())
		for _, s := range res.Skipped {
			p.cfg.Logger.WarnContext(ctx, "skipped item", "source", src.Name, "reason", s)
		}
	}
	next := planSuccess(sp)
	rp.NextAttemptAt, rp.CurrentInterval = next.next, next.current
	if _, err := p.cfg.Store.RecordPoll(ctx, rp); err != nil {
		return fmt.Errorf("poll %s: record success: %w", src.Name, err)
	}
	p.cfg.Metrics.ObservePoll(src.Name, outcome, p.cfg.Now().Sub(start))
	return nil
}

func (p *Poller) failed(ctx context.Context, src *store.Source, at time.Time, retryAfter time.Duration, perr error) error {
	next := planFailure(src, at, retryAfter, p.cfg.Jitter)
	_, err := p.cfg.Store.RecordPoll(ctx, &store.RecordPollParams{
		SourceID: src.ID, At: at, Err: perr.Error(),
		ETag: src.ETag, LastModified: src.LastModified, IDsDerived: src.IDsDerived,
		NextAttemptAt: next.next,
	})
	p.cfg.Metrics.ObservePoll(src.Name, metrics.OutcomeError, p.cfg.Now().Sub(at))
	if err != nil {
		return fmt.Errorf("poll %s: %w (and recording the failure: %v)", src.Name, perr, err)
	}
	p.cfg.Logger.WarnContext(ctx, "poll failed", "source", src.Name, "err", perr, "next_attempt_in", next.next.Sub(at))
	return fmt.Errorf("poll %s: %w", src.Name, perr)
}

// hostOf is the host:port a URL's fetches go to, the key of the per-host
// limit.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}
