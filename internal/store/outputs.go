package store

import (
	"context"
	"time"
)

// OutputStore keeps what the machine-facing outputs need: API tokens, webhook
// subscribers, and each subscriber's delivery queue with its log.
type OutputStore interface {
	// CreateAPIToken stores a token by the SHA-256 of its secret, which is
	// never stored; ErrExists when the name is taken.
	CreateAPIToken(ctx context.Context, p *CreateAPITokenParams) (*APIToken, error)
	// APITokenBySHA256 finds the token whose secret hashes to sha256Hex, or
	// ErrNotFound.
	APITokenBySHA256(ctx context.Context, sha256Hex string) (*APIToken, error)
	// ListAPITokens returns every token, by name.
	ListAPITokens(ctx context.Context) ([]*APIToken, error)
	// DeleteAPIToken revokes the token called name, or returns ErrNotFound.
	DeleteAPIToken(ctx context.Context, name string) error

	// CreateWebhook adds a subscriber; ErrExists when the name is taken.
	CreateWebhook(ctx context.Context, p *CreateWebhookParams) (*Webhook, error)
	GetWebhook(ctx context.Context, id int64) (*Webhook, error)
	GetWebhookByName(ctx context.Context, name string) (*Webhook, error)
	// ListWebhooks returns every subscriber, by id.
	ListWebhooks(ctx context.Context) ([]*Webhook, error)
	// DeleteWebhook removes a subscriber with its queue and delivery log,
	// or returns ErrNotFound.
	DeleteWebhook(ctx context.Context, id int64) error

	// ClaimWebhookDelivery hands out the head of a subscriber's queue (its
	// pending delivery with the lowest sequence number) when it is due and
	// no one else holds it, and holds it for p.Lease. Otherwise Delivery is
	// nil and RetryAt says when the head is worth asking for again. Only
	// the head is ever handed out, so a subscriber receives its deliveries
	// in order, one at a time, across every node.
	ClaimWebhookDelivery(ctx context.Context, p *ClaimWebhookDeliveryParams) (*WebhookClaim, error)
	// RecordWebhookAttempt logs one attempt of a claimed delivery and sets
	// the delivery's outcome, releasing the claim.
	RecordWebhookAttempt(ctx context.Context, p *RecordWebhookAttemptParams) (*WebhookDelivery, error)
	GetWebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, error)
	// ListWebhookDeliveries returns a subscriber's deliveries, newest first,
	// each with its attempts, oldest first: the delivery log.
	ListWebhookDeliveries(ctx context.Context, p *ListWebhookDeliveriesParams) ([]*WebhookDelivery, error)
}

// OutputTx is the output side of a write transaction: the fan-out of a
// story event to the webhook queues.
type OutputTx interface {
	// MarkStoryEvent records that story event p.EventID of story p.StoryID
	// is being fanned out. It returns false, and records nothing, when an
	// event of the story with an id as high or higher was already fanned
	// out: a retried fan-out, or an older event whose job ran late. Events
	// of one story get increasing ids (they are enqueued under the story's
	// lock), so subscribers never hear of an older change after a newer.
	MarkStoryEvent(ctx context.Context, p *MarkStoryEventParams) (bool, error)
	// EnqueueWebhookDelivery appends a delivery to the end of a
	// subscriber's queue, with the next sequence number.
	EnqueueWebhookDelivery(ctx context.Context, p *EnqueueWebhookDeliveryParams) (*WebhookDelivery, error)
}

// API token scopes. Reading published stories needs no token.
const (
	// ScopeReadAll reads stories in every state and their stored versions.
	ScopeReadAll = "read:all"
	// ScopeAdmin is ScopeReadAll plus webhook management.
	ScopeAdmin = "admin"
)

// ValidScope reports whether s is a scope a token may have.
func ValidScope(s string) bool { return s == ScopeReadAll || s == ScopeAdmin }

// APIToken is a bearer token of the API, known by the SHA-256 of its secret.
type APIToken struct {
	ID        int64
	Name      string
	SHA256    string
	Scope     string
	CreatedAt time.Time
}

// CreateAPITokenParams is a token to store.
type CreateAPITokenParams struct {
	Name string
	// SHA256 is the lowercase hex SHA-256 of the token's secret.
	SHA256 string
	Scope  string
	At     time.Time
}

// Webhook is a subscriber to story events.
type Webhook struct {
	ID   int64
	Name string
	URL  string
	// Secret signs deliveries: "whsec_" + base64 (the Standard Webhooks
	// form) or any other string, used as is. Never printed.
	Secret string
	// Events are the events delivered; empty means every event.
	Events []string
	Active bool
	// AllowPrivate lets the URL resolve to loopback or private addresses
	// (tests, a receiver on the operator's own network).
	AllowPrivate bool
	CreatedAt    time.Time
}

// CreateWebhookParams is a subscriber to add.
type CreateWebhookParams struct {
	Name         string
	URL          string
	Secret       string
	Events       []string
	Active       bool
	AllowPrivate bool
	At           time.Time
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	// DeliveryFailed: refused with a 4xx other than 408 and 429, or given
	// up after the last retry. The queue moves on past it.
	DeliveryFailed = "failed"
)

// WebhookDelivery is one event queued for one subscriber.
type WebhookDelivery struct {
	ID        int64
	WebhookID int64
	// Seq orders a subscriber's deliveries: they are sent in Seq order.
	Seq     int64
	Event   string
	StoryID int64
	// EventID is the story event it came from (its job id).
	EventID int64
	// Payload is the body sent, the same bytes on every attempt.
	Payload       []byte
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	FinishedAt    *time.Time
	// AttemptLog is filled by ListWebhookDeliveries only.
	AttemptLog []*WebhookAttempt
}

// WebhookAttempt is one try at sending a delivery.
type WebhookAttempt struct {
	At time.Time
	// Status is the HTTP status answered; 0 when none came.
	Status   int
	Error    string
	Duration time.Duration
}

// MarkStoryEventParams names a story event about to be fanned out.
type MarkStoryEventParams struct {
	StoryID int64
	EventID int64
}

// EnqueueWebhookDeliveryParams is a delivery to queue.
type EnqueueWebhookDeliveryParams struct {
	WebhookID int64
	Event     string
	StoryID   int64
	EventID   int64
	Payload   []byte
	At        time.Time
}

// ClaimWebhookDeliveryParams asks for the head of a subscriber's queue.
type ClaimWebhookDeliveryParams struct {
	WebhookID int64
	Now       time.Time
	// Lease is how long the claim holds; past it, a claim whose holder
	// died is handed out again. It must outlast one attempt.
	Lease time.Duration
}

// WebhookClaim is the outcome of ClaimWebhookDelivery.
type WebhookClaim struct {
	// Delivery is the claimed head; nil when none was handed out.
	Delivery *WebhookDelivery
	// RetryAt, when Delivery is nil and the queue is not empty, is when the
	// head becomes due or its claim ends.
	RetryAt *time.Time
	// Held is set when the head is being sent by someone else now: it may
	// be done long before RetryAt, the end of the claim.
	Held bool
}

// RecordWebhookAttemptParams is the outcome of one attempt.
type RecordWebhookAttemptParams struct {
	DeliveryID int64
	Attempt    WebhookAttempt
	// State is the delivery's state after the attempt.
	State string
	// NextAttemptAt is when a still pending delivery is tried again.
	NextAttemptAt time.Time
}

// ListWebhookDeliveriesParams pages through a subscriber's delivery log.
type ListWebhookDeliveriesParams struct {
	WebhookID int64
	// Limit defaults to 50, at most 500.
	Limit int
}
