package store

import (
	"context"
	"time"
)

// SourceStore is the source management and scheduling side of the store,
// beyond the basic UpsertSource/GetSource/RecordPoll.
type SourceStore interface {
	// SetPushActive records that the source's content is pushed to us
	// (WebSub) until p.Until: while it is, the scheduler polls the source
	// only as a slow safety net. A zero or past Until ends push and makes
	// the source due for a poll at once.
	SetPushActive(ctx context.Context, p *SetPushActiveParams) error
	// DeleteSource removes a source from service (`source remove`): it is no
	// longer listed, polled or accepted for push, and GetSource reports
	// ErrNotFound. Its deliveries and the stories they made stay: the row
	// is kept, marked deleted, because archived deliveries and story
	// versions point at it. Upserting the same name again brings the row
	// back with fresh health and no cursor.
	DeleteSource(ctx context.Context, p *DeleteSourceParams) error
	// CountSourceItems counts, per source, the story versions stored from
	// its deliveries since p.Since: the "items per day" of `source list`.
	// Sources without any are absent from the map.
	CountSourceItems(ctx context.Context, p *CountSourceItemsParams) (map[int64]int, error)
}

// SourceTx is the source side of a write transaction.
type SourceTx interface {
	// ClaimDueSources returns the sources due for a poll at p.Now (not
	// paused, not deleted, never attempted or next attempt not after
	// p.Now, not claimed), the most overdue first, at most p.Limit, and
	// claims them until p.Now + p.Lease so that the next scans skip them
	// while their poll is queued. RecordPoll ends the claim; if the poll
	// never runs, the source is due again once the lease is over. Their
	// next attempt is left as it was: it is when the poll was due, the
	// start of its schedule lag. On PostgreSQL, rows another transaction is
	// claiming are skipped.
	ClaimDueSources(ctx context.Context, p *ClaimDueSourcesParams) ([]*DueSource, error)
	// SetSourceCursor stores where the next poll of a cursor feed starts
	// (AP Media API next_page); "" goes back to the source's URL. It runs in
	// the transaction that applies the page's items, so a crash keeps both
	// or neither.
	SetSourceCursor(ctx context.Context, p *SetSourceCursorParams) error
	// EndSourceClaims makes claimed sources claimable again from p.At,
	// before their lease is over: the scan that claimed them could not
	// queue their polls (River still counted an earlier poll job of theirs
	// as running, in the moment between its outcome recorded and its job
	// marked done), so nothing else would end the claim.
	EndSourceClaims(ctx context.Context, p *EndSourceClaimsParams) error
}

// EndSourceClaimsParams names the sources whose claims end, and when.
type EndSourceClaimsParams struct {
	SourceIDs []int64
	At        time.Time
}

// SourceAuth is a source's credentials, sent by fetch. The zero value means
// none. Secret is stored as given; it is never printed nor logged.
type SourceAuth struct {
	// Kind is "", "basic", "bearer", "header" or "query" (fetch.Auth*).
	Kind     string
	Username string
	Secret   string
	// Name is the header name ("header") or query key ("query").
	Name string
}

// SetPushActiveParams says until when a source's content is pushed.
type SetPushActiveParams struct {
	SourceID int64
	// Until is when the push subscription's lease ends; zero for none.
	Until time.Time
}

// DeleteSourceParams names the source to remove.
type DeleteSourceParams struct {
	Name string
	At   time.Time
}

// CountSourceItemsParams bounds the count.
type CountSourceItemsParams struct {
	Since time.Time
}

// ClaimDueSourcesParams asks for a batch of due sources.
type ClaimDueSourcesParams struct {
	Now   time.Time
	Limit int
	// Lease is how long a claim lasts when no poll outcome ends it.
	Lease time.Duration
}

// DueSource is one source to poll and when it was due: the start of its
// schedule lag.
type DueSource struct {
	ID    int64
	DueAt time.Time
}

// SetSourceCursorParams is the next page of a cursor feed.
type SetSourceCursorParams struct {
	SourceID int64
	Cursor   string
}
