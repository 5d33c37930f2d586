package store

import (
	"context"
	"time"
)

// WebSubState is where a source's WebSub subscription stands.
type WebSubState string

// WebSub subscription states.
const (
	// WebSubNoHub: no hub found (or not looked for yet); NextAttemptAt is
	// when discovery runs (again).
	WebSubNoHub WebSubState = "nohub"
	// WebSubPending: a subscription request was sent; the hub has not
	// verified it yet.
	WebSubPending WebSubState = "pending"
	// WebSubActive: the hub verified the subscription; LeaseExpiresAt says
	// until when.
	WebSubActive WebSubState = "active"
)

// WebSubStore keeps the WebSub subscriber's subscriptions, one per source.
type WebSubStore interface {
	// AddWebSubSources gives every source without a subscription row one,
	// in state nohub and due at p.At, so discovery looks at it. It returns
	// how many rows it added.
	AddWebSubSources(ctx context.Context, p *AddWebSubSourcesParams) (int64, error)
	// ClaimDueWebSubSubscriptions returns up to p.Limit subscriptions whose
	// NextAttemptAt has come, and moves their NextAttemptAt to p.Now+p.Hold
	// in the same statement, so two nodes never work on one at once and a
	// node that dies mid-work leaves it due again later.
	ClaimDueWebSubSubscriptions(ctx context.Context, p *ClaimDueWebSubSubscriptionsParams) ([]*WebSubSubscription, error)
	// UpdateWebSubSubscription writes a subscription's state as the
	// subscriber decided it (hub found, request about to be sent...).
	UpdateWebSubSubscription(ctx context.Context, p *UpdateWebSubSubscriptionParams) (*WebSubSubscription, error)
	// RecordWebSubError notes why an attempt failed; with Denied (the hub
	// refused or cancelled the subscription) an active one turns pending.
	RecordWebSubError(ctx context.Context, p *RecordWebSubErrorParams) error
	// VerifyWebSubSubscription activates the subscription with p.Token and
	// p.Topic if it is pending or active, and returns it; ErrNotFound when
	// none matches (the hub, or someone else, asked about a subscription we
	// did not request).
	VerifyWebSubSubscription(ctx context.Context, p *VerifyWebSubSubscriptionParams) (*WebSubSubscription, error)
	// RecordWebSubContent notes a valid content distribution.
	RecordWebSubContent(ctx context.Context, p *RecordWebSubContentParams) error
	GetWebSubSubscription(ctx context.Context, sourceID int64) (*WebSubSubscription, error)
	// GetWebSubSubscriptionByToken finds the subscription of a callback
	// token; ErrNotFound for an empty or unknown one.
	GetWebSubSubscriptionByToken(ctx context.Context, token string) (*WebSubSubscription, error)
	// ListWebSubSubscriptions returns every subscription, by source id.
	ListWebSubSubscriptions(ctx context.Context) ([]*WebSubSubscription, error)
}

// WebSubSubscription is one source's WebSub subscription.
type WebSubSubscription struct {
	SourceID int64
	State    WebSubState
	Hub      string
	Topic    string
	// Token is the random last segment of the callback URL; empty until a
	// hub is found.
	Token string
	// Secret signs content distributions (hub.secret). Never logged.
	Secret string
	// LeaseSeconds is the lease asked for.
	LeaseSeconds   int64
	LeaseExpiresAt *time.Time
	VerifiedAt     *time.Time
	LastContentAt  *time.Time
	// Failures counts attempts since the last verification; the backoff
	// grows with it.
	Failures      int
	LastError     string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AddWebSubSourcesParams gives sources their subscription rows.
type AddWebSubSourcesParams struct {
	At time.Time
}

// ClaimDueWebSubSubscriptionsParams takes due subscriptions to work on.
type ClaimDueWebSubSubscriptionsParams struct {
	Now   time.Time
	Limit int
	// Hold is how long a claimed subscription stays out of other claims.
	Hold time.Duration
}

// UpdateWebSubSubscriptionParams is a subscription's new state.
type UpdateWebSubSubscriptionParams struct {
	SourceID      int64
	State         WebSubState
	Hub           string
	Topic         string
	Token         string
	Secret        string
	LeaseSeconds  int64
	Failures      int
	LastError     string
	NextAttemptAt time.Time
	At            time.Time
}

// RecordWebSubErrorParams is a failed attempt.
type RecordWebSubErrorParams struct {
	SourceID int64
	Err      string
	Denied   bool
	At       time.Time
}

// VerifyWebSubSubscriptionParams is a hub's verification of intent.
type VerifyWebSubSubscriptionParams struct {
	Token          string
	Topic          string
	LeaseExpiresAt time.Time
	// NextAttemptAt is when to renew.
	NextAttemptAt time.Time
	At            time.Time
}

// RecordWebSubContentParams is one valid content distribution.
type RecordWebSubContentParams struct {
	SourceID int64
	At       time.Time
}
