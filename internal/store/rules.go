package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
)

// RulesStore is the routing and review side of the store: the routing rules
// and per-source default actions, the routing decision recorded for each
// story (which rule held it), the review queue, the recent items a dry run
// replays, and the desk's event log that live updates are fed from.
type RulesStore interface {
	// GetRuleSet returns the rules in order, the per-source defaults and
	// the set's version.
	GetRuleSet(ctx context.Context) (*RuleSet, error)
	// GetRouting returns the routing decision recorded for a story, or
	// ErrNotFound when none was (no rule matched and it was published).
	GetRouting(ctx context.Context, storyID int64) (*Routing, error)
	// ListReview returns the review queue, newest story first: held
	// stories with the decision that held them, and stories with an
	// agency update pending (DESIGN §4 rule 8) with that version.
	ListReview(ctx context.Context, p *ListReviewParams) ([]*ReviewEntry, error)
	// ListRecentVersions returns the most recently received agency
	// versions, newest first (a rule's dry run replays them). Editors'
	// versions are left out.
	ListRecentVersions(ctx context.Context, p *ListRecentVersionsParams) ([]*Version, error)
	// ListDeskEvents returns desk events with an id above p.AfterID,
	// oldest first.
	ListDeskEvents(ctx context.Context, p *ListDeskEventsParams) ([]*DeskEvent, error)
	// LastDeskEventID is the id of the newest desk event, 0 when none.
	LastDeskEventID(ctx context.Context) (int64, error)
}

// RulesTx is the routing side of a write transaction. Every change to the
// rules or the defaults moves the set's version on, so a cached compiled
// set is known to be stale by one cheap read.
type RulesTx interface {
	// RuleSetVersion is the version of the rule set as the transaction
	// sees it.
	RuleSetVersion(ctx context.Context) (int64, error)
	// LoadRuleSet is GetRuleSet inside the transaction.
	LoadRuleSet(ctx context.Context) (*RuleSet, error)
	// CreateRule adds a rule at the end of the list.
	CreateRule(ctx context.Context, p *CreateRuleParams) (*Rule, error)
	// UpdateRule changes a rule, keeping its place; ErrNotFound when absent.
	UpdateRule(ctx context.Context, p *UpdateRuleParams) (*Rule, error)
	// DeleteRule removes a rule; ErrNotFound when absent. Routing records
	// keep the rule's name.
	DeleteRule(ctx context.Context, id int64) error
	// ReorderRules puts the rules in the order of ids, which must name
	// every rule exactly once.
	ReorderRules(ctx context.Context, ids []int64) error
	// SetSourceDefault sets the action for a source's items no rule
	// decides; an empty action removes it (publish).
	SetSourceDefault(ctx context.Context, p *SetSourceDefaultParams) error
	// SetRouting records (or replaces) the routing decision of a story.
	SetRouting(ctx context.Context, p *SetRoutingParams) error
	// LoadRouting is GetRouting inside the transaction.
	LoadRouting(ctx context.Context, storyID int64) (*Routing, error)
	// AppendDeskEvent adds one event to the desk's event log.
	AppendDeskEvent(ctx context.Context, p *AppendDeskEventParams) (*DeskEvent, error)
}

// Rule is one stored routing rule. The conditions are kept in their JSON
// form (rules.Conditions), which the store does not interpret.
type Rule struct {
	ID       int64
	Position int
	Name     string
	Disabled bool
	// When is the rule's conditions as JSON (rules.MarshalConditions).
	When     json.RawMessage
	Action   string
	Section  string
	Continue bool
	// UpdatedBy names who last changed the rule.
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RuleSet is every rule, in order, with the per-source defaults.
type RuleSet struct {
	// Version moves on with every change to the rules or the defaults.
	Version int64
	Rules   []*Rule
	// Defaults maps a source name to its default action.
	Defaults map[string]string
}

// CreateRuleParams is a new rule.
type CreateRuleParams struct {
	Name     string
	Disabled bool
	When     json.RawMessage
	Action   string
	Section  string
	Continue bool
	By       string
	At       time.Time
}

// UpdateRuleParams replaces a rule's definition.
type UpdateRuleParams struct {
	ID       int64
	Name     string
	Disabled bool
	When     json.RawMessage
	Action   string
	Section  string
	Continue bool
	By       string
	At       time.Time
}

// SetSourceDefaultParams sets one source's default action.
type SetSourceDefaultParams struct {
	Source string
	// Action is "publish", "hold" or "spike"; "" removes the default.
	Action string
	At     time.Time
}

// Routing is the routing decision made for a story's first version, and,
// for a held story, its review schedule.
type Routing struct {
	StoryID int64
	// Action is the action decided: "publish", "hold" or "spike".
	Action string
	// RuleID and RuleName name the deciding rule; 0 and "" when it was
	// the source's default. RuleName is kept when the rule is deleted.
	RuleID    int64
	RuleName  string
	DecidedAt time.Time
	// ScheduledAt is when an editor scheduled a held story to be
	// published; nil when not scheduled.
	ScheduledAt *time.Time
	ScheduledBy string
}

// SetRoutingParams records a story's routing decision.
type SetRoutingParams struct {
	StoryID     int64
	Action      string
	RuleID      int64
	RuleName    string
	DecidedAt   time.Time
	ScheduledAt *time.Time
	ScheduledBy string
}

// ListReviewParams bounds the review queue.
type ListReviewParams struct {
	// Limit defaults to 100, at most 500.
	Limit int
}

// ReviewEntry is one story waiting for an editor.
type ReviewEntry struct {
	Story *story.Story
	// Routing is the decision that held the story; nil when the story is
	// not held (only an agency update is pending) or was held without one.
	Routing *Routing
	// Pending is the agency version waiting on an edited story; nil when
	// none.
	Pending *Version
}

// ListRecentVersionsParams bounds the recent versions.
type ListRecentVersionsParams struct {
	// Limit defaults to 50, at most 1000.
	Limit int
}

// Desk event kinds: what the desk's live view hears about.
const (
	DeskEventHeld      = "held"
	DeskEventPending   = "pending"
	DeskEventApproved  = "approved"
	DeskEventRejected  = "rejected"
	DeskEventEdited    = "edited"
	DeskEventScheduled = "scheduled"
	DeskEventAccepted  = "accepted"
	DeskEventIgnored   = "ignored"
	DeskEventKilled    = "killed"
)

// DeskEvent is one entry of the desk's event log.
type DeskEvent struct {
	ID      int64
	Kind    string
	StoryID int64
	// Actor names the editor, "" for the agency or the system.
	Actor string
	At    time.Time
}

// AppendDeskEventParams is one event to log.
type AppendDeskEventParams struct {
	Kind    string
	StoryID int64
	Actor   string
	At      time.Time
}

// ListDeskEventsParams pages through the event log.
type ListDeskEventsParams struct {
	AfterID int64
	// Limit defaults to 100, at most 1000.
	Limit int
}

// SameIDs reports, as an error, how want (a new order of rules) differs
// from have (every rule there is): each must appear exactly once.
func SameIDs(have, want []int64) error {
	a, b := slices.Clone(have), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	if slices.Equal(a, b) {
		return nil
	}
	return fmt.Errorf("the new order names rules %v, but the rules are %v", b, a)
}
