// Package store defines the storage seam of wiredesk: the Store interface, its
// parameter and result types and sentinel errors. Backends live in sqlite/ and
// postgres/; storetest/ is the conformance suite both must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
)

// Sentinel errors callers act on.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrSchemaOutdated: the database has migrations this binary has not
	// applied; run `wiredesk migrate`.
	ErrSchemaOutdated = errors.New("database schema is not up to date: run `wiredesk migrate`")
	// ErrSchemaNewer: the database was migrated by a newer wiredesk.
	ErrSchemaNewer = errors.New("database schema is newer than this wiredesk binary")
)

// Store is everything wiredesk keeps. Every method is safe for concurrent use.
type Store interface {
	// Migrate applies the embedded migrations not yet applied, in order.
	Migrate(ctx context.Context) error
	// CheckSchema returns ErrSchemaOutdated or ErrSchemaNewer unless the
	// database is exactly at this binary's schema version.
	CheckSchema(ctx context.Context) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error

	// InTx runs fn in one write transaction, committed when fn returns nil
	// and rolled back otherwise. apply runs each item in its own InTx. fn
	// may run more than once: a backend retries a transaction the database
	// aborted to break a deadlock, so fn must not keep effects outside tx.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// UpsertSource creates a source or updates its configuration by name,
	// keeping its health and conditional-GET state.
	UpsertSource(ctx context.Context, p *UpsertSourceParams) (*Source, error)
	GetSource(ctx context.Context, name string) (*Source, error)
	GetSourceByID(ctx context.Context, id int64) (*Source, error)
	ListSources(ctx context.Context) ([]*Source, error)
	// RecordPoll stores the outcome of one fetch of a source: its health and
	// its conditional-GET validators.
	RecordPoll(ctx context.Context, p *RecordPollParams) (*Source, error)

	// InsertDelivery archives one raw payload byte for byte with its SHA-256.
	// The same bytes from the same source are archived once: a repeat returns
	// the first delivery with Repeat set.
	InsertDelivery(ctx context.Context, p *InsertDeliveryParams) (*Delivery, error)
	GetDelivery(ctx context.Context, id int64) (*Delivery, error)
	// FinishDelivery records what decoding and applying a delivery gave.
	FinishDelivery(ctx context.Context, p *FinishDeliveryParams) error

	// GetStory returns a story with its current version.
	GetStory(ctx context.Context, id int64) (*story.Story, error)
	// ListStories returns visible stories, newest publication first.
	ListStories(ctx context.Context, p *ListStoriesParams) ([]*story.Story, error)
	// CountStories counts stories in every state; for tests and health.
	CountStories(ctx context.Context) (int, error)
	// ListVersions returns every stored version of a story, oldest first.
	ListVersions(ctx context.Context, storyID int64) ([]*Version, error)

	SourceStore
	ChangeStore
	OutputStore
	ReadingStore
	DeskStore
	WebSubStore
	RulesStore
}

// Tx is the write side of one transaction: the primitives apply composes.
// Backends keep the SQL; apply keeps the decisions.
type Tx interface {
	SourceTx
	OutputTx
	DeskTx
	RulesTx
	// InsertDelivery and FinishDelivery are the Store's, inside the
	// transaction: a group commit archives several deliveries and applies
	// their items in one transaction (ingest.GroupCommit).
	InsertDelivery(ctx context.Context, p *InsertDeliveryParams) (*Delivery, error)
	FinishDelivery(ctx context.Context, p *FinishDeliveryParams) error
	// LockStory finds the story keyed by (agency, uri), creating it in
	// state p.State when absent, and locks it for the rest of the
	// transaction so two nodes cannot apply to one story at once.
	LockStory(ctx context.Context, p *LockStoryParams) (s *story.Story, created bool, err error)
	// LockStoryByID locks a known story, as LockStory does, and returns it
	// as committed; ErrNotFound when there is none. Desk actions and jobs
	// know stories by id.
	LockStoryByID(ctx context.Context, id int64) (*story.Story, error)
	// VersionExists reports whether the story already has this version key.
	VersionExists(ctx context.Context, storyID int64, versionKey string) (bool, error)
	// InsertVersion stores one immutable version row. The Version returned
	// carries p.Item itself, not the stored copy read back.
	InsertVersion(ctx context.Context, p *InsertVersionParams) (*Version, error)
	// SetCurrent makes a version the one on show and sets the story's state.
	SetCurrent(ctx context.Context, p *SetCurrentParams) error
	// SetState changes a story's state without changing the version on show
	// (a kill arriving older than what is shown, an embargo released, an
	// editor's restore). A first move to a visible state sets PublishedAt.
	SetState(ctx context.Context, p *SetStateParams) error
	// MarkPending records a newer agency version that waits for an editor.
	MarkPending(ctx context.Context, p *MarkPendingParams) error
	// SetEditedBy marks the story as edited by an editor (protected), or
	// clears the mark with an empty name.
	SetEditedBy(ctx context.Context, storyID int64, editor string) error
	// SetSection files the story under a section ("" for none).
	SetSection(ctx context.Context, storyID int64, section string) error
	// StoryVersions returns every version row of a story, oldest first,
	// inside the transaction.
	StoryVersions(ctx context.Context, storyID int64) ([]*Version, error)
	// SetFingerprint stores the duplicate-detection fingerprint of one
	// version's text.
	SetFingerprint(ctx context.Context, p *SetFingerprintParams) error
	// FindSimilar returns other stories with a version whose text is
	// identical (same TextSHA256) or whose MinHash similarity is at least
	// MinSimilarity (found through shared Bands); one row per story, its
	// closest version.
	FindSimilar(ctx context.Context, p *FindSimilarParams) ([]*SimilarStory, error)
	// MergeClusters puts the given stories, and every story already in a
	// cluster with any of them, into one cluster identified by the smallest
	// story id among them all. It returns that cluster id.
	MergeClusters(ctx context.Context, storyIDs []int64) (int64, error)
}

// SetStateParams changes a story's state.
type SetStateParams struct {
	StoryID int64
	State   story.State
	Reason  string
	At      time.Time
}

// MarkPendingParams names the version that waits.
type MarkPendingParams struct {
	StoryID   int64
	VersionID int64
}

// SetFingerprintParams is the duplicate-detection fingerprint of one
// version of a story. Every version with text is fingerprinted, applied or
// not, so which stories are similar does not depend on the order versions
// arrive in.
type SetFingerprintParams struct {
	StoryID   int64
	VersionID int64
	// TextSHA256 is the SHA-256 of the normalized body text: equal for
	// identical copy.
	TextSHA256 string
	// MinHash is the MinHash signature of the text's word shingles
	// (dedup.Signature); near-identical copy agrees in most positions.
	MinHash []uint32
	// Bands are the locality-sensitive hashing keys of MinHash
	// (dedup.Bands): two signatures likely to be similar share at least
	// one key, which is what the store indexes.
	Bands []uint64
}

// FindSimilarParams asks for the stories similar to one.
type FindSimilarParams struct {
	// StoryID is excluded from the result.
	StoryID    int64
	TextSHA256 string
	MinHash    []uint32
	Bands      []uint64
	// MinSimilarity is the lowest estimated Jaccard similarity (the share
	// of equal MinHash positions) that counts as similar.
	MinSimilarity float64
	// MaxCandidates bounds how many candidate versions, the most recent
	// first, are compared. Default 500. Templated copy (a day of earnings
	// stories from one template) can share band keys with thousands of
	// versions, and a duplicate arrives close in time to what it copies.
	MaxCandidates int
}

// DefaultMaxCandidates is FindSimilarParams.MaxCandidates when unset.
const DefaultMaxCandidates = 500

// SimilarStory is a candidate duplicate.
type SimilarStory struct {
	ID        int64
	ClusterID int64 // 0 when alone
	Identical bool  // same TextSHA256
	// Similarity is the estimated Jaccard similarity of its closest
	// version, 1 for identical text.
	Similarity float64
}

// SourceState is a source's health as readers of `source list` see it,
// set by RecordPoll from the outcome of each poll.
type SourceState string

// Source health states. A failing source is never dropped: it is retried
// with capped backoff and stays listed with its last error.
const (
	// SourceNew: never polled.
	SourceNew SourceState = "new"
	// SourceHealthy: the last poll succeeded.
	SourceHealthy SourceState = "healthy"
	// SourceDegraded: the last poll failed, but fewer than FailingAfter
	// polls in a row did.
	SourceDegraded SourceState = "degraded"
	// SourceFailing: FailingAfter or more polls in a row failed.
	SourceFailing SourceState = "failing"
)

// FailingAfter is how many consecutive failed polls make a source failing.
const FailingAfter = 3

// Source is one configured feed with its health.
type Source struct {
	ID       int64
	Name     string
	URL      string
	Format   string // "" means detect from content
	Agency   string
	Interval time.Duration
	// AllowPrivate lets the source's URL resolve to loopback or private
	// addresses (the demo and tests; off for real sources).
	AllowPrivate bool
	Paused       bool

	ETag         string
	LastModified string

	State               SourceState
	ConsecutiveFailures int
	LastAttemptAt       *time.Time
	LastSuccessAt       *time.Time
	LastError           string
	LastErrorAt         *time.Time
	NextAttemptAt       *time.Time
	// IDsDerived is set when the last delivery had items without ids, whose
	// ids were derived from their links (DESIGN §4 rule 1).
	IDsDerived bool
	CreatedAt  time.Time

	// Auth is the source's credentials; the zero value for none.
	Auth SourceAuth
	// CurrentInterval is the adaptive interval the scheduler uses now,
	// between Interval and a few times it; 0 until the first poll, which
	// means Interval.
	CurrentInterval time.Duration
	// FeedTTL is the minimum refresh the feed itself asks for (RSS <ttl>),
	// as of its last full response; 0 for none.
	FeedTTL time.Duration
	// Cursor is where the next poll of a cursor feed starts (AP Media API
	// next_page); empty to poll URL.
	Cursor string
	// PushActiveUntil is when the source's WebSub lease ends; while it has
	// not, the source is polled only as a slow safety net.
	PushActiveUntil *time.Time
}

// UpsertSourceParams configures a source.
type UpsertSourceParams struct {
	Name         string
	URL          string
	Format       string
	Agency       string
	Interval     time.Duration
	AllowPrivate bool
	Paused       bool
	// Auth replaces the source's credentials.
	Auth SourceAuth
	// FirstAttemptAt is when a new source is first due; zero for at once.
	// Callers spread it so that many sources added at once do not all
	// poll in the same second. An existing source keeps its schedule.
	FirstAttemptAt time.Time
}

// RecordPollParams is the outcome of one fetch.
type RecordPollParams struct {
	SourceID      int64
	At            time.Time
	Err           string // empty on success
	NotModified   bool
	ETag          string
	LastModified  string
	IDsDerived    bool
	NextAttemptAt time.Time
	// CurrentInterval is the adaptive interval the next attempt was
	// computed from; 0 keeps the stored one.
	CurrentInterval time.Duration
	// FeedTTL is what the body said of its refresh (RSS <ttl>); kept as
	// stored on NotModified and on failure.
	FeedTTL time.Duration
}

// Delivery is one raw payload received from a source, archived as received.
type Delivery struct {
	ID          int64
	SourceID    *int64 // nil for files pushed by `wiredesk ingest`
	Origin      string // URL fetched or file path
	ContentType string
	SHA256      string
	Size        int64
	Body        []byte
	ReceivedAt  time.Time
	// Repeat is set when these exact bytes were archived before from the
	// same source; the returned delivery is the earlier one.
	Repeat bool

	Format string
	Items  int
	Err    string
}

// InsertDeliveryParams is one raw payload to archive.
type InsertDeliveryParams struct {
	SourceID    *int64
	Origin      string
	ContentType string
	Body        []byte
	ReceivedAt  time.Time
}

// FinishDeliveryParams records the result of decoding a delivery.
type FinishDeliveryParams struct {
	DeliveryID int64
	Format     string
	Items      int
	Err        string
}

// LockStoryParams keys a story and gives what a new one starts with.
type LockStoryParams struct {
	Agency string
	URI    string
	Slug   string
	State  story.State
	At     time.Time
}

// Version is one stored version row of a story.
type Version struct {
	ID             int64
	StoryID        int64
	Key            string
	Item           *story.Item
	DeliveryID     *int64
	DeliverySHA256 string
	SourceName     string
	ReceivedAt     time.Time
	// Applied is false for versions recorded but never shown (an older
	// version arriving late, DESIGN §4 rule 3).
	Applied bool
}

// InsertVersionParams is one version to store.
type InsertVersionParams struct {
	StoryID    int64
	Key        string
	Item       *story.Item
	DeliveryID *int64
	SourceName string
	ReceivedAt time.Time
	Applied    bool
}

// SetCurrentParams puts a version on show.
type SetCurrentParams struct {
	StoryID   int64
	VersionID int64
	State     story.State
	// Reason is stored as the story's StateReason (e.g. a kill notice).
	Reason string
	Slug   string
	// PublishedAt is set when the story first becomes visible; later
	// updates keep the first publication time.
	PublishedAt *time.Time
	At          time.Time
}

// ListStoriesParams pages through visible stories, newest first.
type ListStoriesParams struct {
	Limit int
	// Before, when set, returns stories published before this cursor.
	Before *StoryCursor
	// Filters; the zero value of each means no filter.
	//
	// Section keeps the stories filed under it (story.Story.Section).
	Section string
	// Agency keeps one agency's stories.
	Agency string
	// Tag keeps the stories carrying a tag (a subject, place, person or
	// organisation of their current version).
	Tag *TagRef
	// Since keeps stories published at or after it.
	Since *time.Time
}

// Tag kinds: what a tag page lists stories by.
const (
	TagSubject      = "subject"
	TagPlace        = "place"
	TagPerson       = "person"
	TagOrganisation = "organisation"
)

// TagRef names one tag: its kind and the slug of its name (story.Slug).
type TagRef struct {
	Kind string
	Slug string
}

// StoryCursor is a position in the newest-first story list.
type StoryCursor struct {
	PublishedAt time.Time
	ID          int64
}
