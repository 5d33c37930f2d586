// Package apply is the heart of wiredesk: it turns one decoded item into
// story state, in one transaction per item (identity, version order,
// lifecycle, duplicates), and enqueues the side effects in that same
// transaction.
package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/rules"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// ErrNoIdentity: the item has no agency or no story id, so it cannot be
// matched to a story (DESIGN §4 rule 1: never match on an empty key).
var ErrNoIdentity = errors.New("item has no story identity")

// Outcome says what applying an item did.
type Outcome string

// Outcomes of Apply.
const (
	// Created: a new story, with this item as its first version.
	Created Outcome = "created"
	// Updated: a new version of a known story, now on show.
	Updated Outcome = "updated"
	// Recorded: a new version stored but not put on show (older than the
	// version on show, waiting for an editor, or the story is killed).
	Recorded Outcome = "recorded"
	// Unchanged: this exact version was already stored; nothing written.
	Unchanged Outcome = "unchanged"
)

// EventKind names a change readers and subscribers hear about.
type EventKind string

// Story events, enqueued as jobs in the transaction that causes them.
const (
	EventPublished EventKind = "published"
	EventUpdated   EventKind = "updated"
	EventCorrected EventKind = "corrected"
	EventKilled    EventKind = "killed"
	EventWithheld  EventKind = "withheld"
	EventRestored  EventKind = "restored"
)

// StoryEvent is one change of one story.
type StoryEvent struct {
	Kind       EventKind
	StoryID    int64
	VersionKey string
	At         time.Time
}

// Events enqueues the side effects of a state change inside the transaction
// that makes the change, so a crash can neither lose nor invent one
// (DESIGN §3). The job runner implements it.
type Events interface {
	// StoryEventsTx enqueues events in order; apply enqueues a whole
	// transaction's events in one call.
	StoryEventsTx(ctx context.Context, tx store.Tx, evs ...*StoryEvent) error
	ScheduleEmbargoReleaseTx(ctx context.Context, tx store.Tx, storyID int64, at time.Time) error
}

// Applier applies items to a store.
type Applier struct {
	store  store.Store
	events Events
	now    func() time.Time
	// rules caches the compiled routing rules (routing.go).
	rules ruleCache
}

// New returns an Applier on s. events may be nil only where nothing
// downstream listens (a dry run); now defaults to time.Now.
func New(s store.Store, events Events, now func() time.Time) *Applier {
	if now == nil {
		now = time.Now
	}
	return &Applier{store: s, events: events, now: now}
}

// Params is one item to apply and where it came from.
type Params struct {
	Item       *story.Item
	DeliveryID *int64
	SourceName string

	// print is the item's duplicate fingerprint when Prepare computed it
	// ahead of the transaction.
	print *fingerprint
}

// fingerprint is dedup.Fingerprint's result for one item's text.
type fingerprint struct {
	sha   string
	sig   []uint32
	bands []uint64
	ok    bool
}

// Prepare computes what applying the item needs that depends on the item
// alone, its duplicate fingerprint, so that it can be done by the caller's
// goroutine, in parallel with other callers, instead of inside the
// transaction, whose writer is the one thing ingest cannot run twice at
// once. Applying an unprepared item computes it there.
func (p *Params) Prepare() {
	if p.print != nil || p.Item.PubStatus == story.Canceled {
		return
	}
	f := &fingerprint{}
	f.sha, f.sig, f.bands, f.ok = dedup.Fingerprint(p.Item.BodyText)
	p.print = f
}

// Result says what Apply did.
type Result struct {
	StoryID    int64
	VersionKey string
	Outcome    Outcome
	State      story.State
	Reason     string
	Event      EventKind // "" when no event was raised
}

// Apply applies one item in one transaction. Applying the same version
// twice is a no-op that returns Unchanged.
func (a *Applier) Apply(ctx context.Context, p *Params) (*Result, error) {
	if err := checkIdentity(p.Item); err != nil {
		return nil, err
	}
	var res []*Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		res, err = a.ApplyTx(ctx, tx, []*Params{p})
		return err
	})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// ApplyAllParams is a batch of items applied together.
type ApplyAllParams struct {
	Items []*Params
	// After runs last, in the same transaction: a cursor feed stores the
	// position of its next page there, so the page's items and the cursor
	// are committed together or not at all.
	After func(ctx context.Context, tx store.Tx) error
}

// ApplyAll applies every item in one transaction, then runs After in it.
// An item without identity fails the whole batch before anything is
// written; callers check items first when one bad item must not hold back
// the rest (CheckIdentity).
func (a *Applier) ApplyAll(ctx context.Context, p *ApplyAllParams) ([]*Result, error) {
	for _, it := range p.Items {
		if err := checkIdentity(it.Item); err != nil {
			return nil, err
		}
	}
	var results []*Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if results, err = a.ApplyTx(ctx, tx, p.Items); err != nil {
			return err
		}
		if p.After != nil {
			return p.After(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply %d items: %w", len(p.Items), err)
	}
	return results, nil
}

// ApplyTx applies items in order inside tx, a transaction the caller owns
// and commits, and enqueues the story events they raise together at the
// end, in order. The caller checks identities first (CheckIdentity); an
// item without one fails here. Like applyTx it keeps no effects outside tx.
func (a *Applier) ApplyTx(ctx context.Context, tx store.Tx, items []*Params) ([]*Result, error) {
	var events TxEvents
	results, err := a.ApplyGathering(ctx, tx, items, &events)
	if err != nil {
		return nil, err
	}
	return results, a.EnqueueTx(ctx, tx, &events)
}

// TxEvents gathers the story events of one transaction, to be enqueued in
// one go before it commits (EnqueueTx).
type TxEvents struct {
	events []*StoryEvent
}

// ApplyGathering is ApplyTx that adds the events to events instead of
// enqueueing them: a group commit applies several deliveries in one
// transaction and enqueues all their events at once, which costs River one
// statement instead of one per event.
func (a *Applier) ApplyGathering(ctx context.Context, tx store.Tx, items []*Params, events *TxEvents) ([]*Result, error) {
	results := make([]*Result, 0, len(items))
	for _, p := range items {
		if err := checkIdentity(p.Item); err != nil {
			return nil, err
		}
		res, ev, err := a.applyTx(ctx, tx, p)
		if err != nil {
			return nil, a.applyError(p.Item, err)
		}
		if ev != nil {
			events.events = append(events.events, ev)
		}
		results = append(results, res)
	}
	return results, nil
}

// EnqueueTx enqueues the gathered events in tx, in the order they were
// raised, and forgets them.
func (a *Applier) EnqueueTx(ctx context.Context, tx store.Tx, events *TxEvents) error {
	if len(events.events) == 0 || a.events == nil {
		events.events = events.events[:0]
		return nil
	}
	err := a.events.StoryEventsTx(ctx, tx, events.events...)
	events.events = events.events[:0]
	return err
}

// CheckIdentity returns ErrNoIdentity (wrapped) for an item that cannot be
// applied because it has no agency or no URI.
func CheckIdentity(it *story.Item) error { return checkIdentity(it) }

func checkIdentity(it *story.Item) error {
	agency, uri := strings.TrimSpace(it.Source.Agency), strings.TrimSpace(it.URI)
	if agency == "" || uri == "" {
		return fmt.Errorf("apply %q from %q: %w", uri, agency, ErrNoIdentity)
	}
	return nil
}

func (a *Applier) applyError(it *story.Item, err error) error {
	return fmt.Errorf("apply %s %s from %s: %w", strings.TrimSpace(it.URI), story.VersionKey(it), strings.TrimSpace(it.Source.Agency), err)
}

// applyTx applies one item inside tx and returns the story event it raises,
// for the caller to enqueue (nil for none). It may run more than once for
// one item (InTx retries), so it keeps no effects outside tx.
func (a *Applier) applyTx(ctx context.Context, tx store.Tx, p *Params) (*Result, *StoryEvent, error) {
	it := p.Item
	agency := strings.TrimSpace(it.Source.Agency)
	uri := strings.TrimSpace(it.URI)
	key := story.VersionKey(it)
	now := a.now().UTC()

	first := story.Decide(nil, it, now)
	s, created, err := tx.LockStory(ctx, &store.LockStoryParams{
		Agency: agency, URI: uri, Slug: story.Slug(it.Headline), State: first.State, At: now,
	})
	if err != nil {
		return nil, nil, err
	}
	res := &Result{StoryID: s.ID, VersionKey: key, State: s.State}
	if !created {
		exists, err := tx.VersionExists(ctx, s.ID, key)
		if err != nil {
			return nil, nil, err
		}
		if exists {
			res.Outcome = Unchanged
			return res, nil, nil
		}
	}
	var cur *story.Current
	if !created {
		cur = &story.Current{State: s.State, Item: s.Current, Protected: s.EditedBy != ""}
	}
	d := story.Decide(cur, it, now)
	// The routing rules decide on a story's first version; held and
	// spiked stories stay so while newer versions arrive (routing.go).
	var routed *rules.Outcome
	if created {
		if routed, err = a.routeFirst(ctx, tx, it, p.SourceName, &d); err != nil {
			return nil, nil, err
		}
	} else {
		d = keepGate(s.State, d)
	}
	res.Reason = d.Reason
	v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
		StoryID: s.ID, Key: key, Item: it, DeliveryID: p.DeliveryID,
		SourceName: p.SourceName, ReceivedAt: now, Applied: d.Apply,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := a.fingerprint(ctx, tx, s.ID, v.ID, p); err != nil {
		return nil, nil, err
	}
	// A story is filed once, from its first version with subjects; a
	// routing rule or an editor may refile it later.
	if s.Section == "" && it.PubStatus != story.Canceled {
		if err := tx.SetSection(ctx, s.ID, story.SectionFor(it)); err != nil {
			return nil, nil, err
		}
	}
	if err := recordRouting(ctx, tx, s.ID, routed, now); err != nil {
		return nil, nil, err
	}
	reason := stateReason(d.State, it)
	if routed != nil && (d.State == story.Held || d.State == story.Spiked) {
		reason = d.Reason
	}
	switch {
	case d.Apply:
		if err := tx.SetCurrent(ctx, &store.SetCurrentParams{
			StoryID: s.ID, VersionID: v.ID, State: d.State, Reason: reason, At: now,
		}); err != nil {
			return nil, nil, err
		}
	case d.Pending:
		newer, err := newestReceived(ctx, tx, s.ID, v.ID, it)
		if err != nil {
			return nil, nil, err
		}
		// A version older than one already received (waiting, or ignored
		// by an editor) is recorded only: the desk is offered the newest.
		if newer {
			if err := tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: s.ID, VersionID: v.ID}); err != nil {
				return nil, nil, err
			}
		}
	case d.State != s.State:
		if err := tx.SetState(ctx, &store.SetStateParams{StoryID: s.ID, State: d.State, Reason: reason, At: now}); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case created:
		res.Outcome = Created
	case d.Apply:
		res.Outcome = Updated
	default:
		res.Outcome = Recorded
	}
	before := s.State
	if created {
		before = ""
	}
	res.State = d.State
	res.Event = eventFor(before, d, it)
	var ev *StoryEvent
	if res.Event != "" {
		ev = &StoryEvent{Kind: res.Event, StoryID: s.ID, VersionKey: key, At: now}
	}
	if kind := deskEventOf(before, d); kind != "" {
		if _, err := tx.AppendDeskEvent(ctx, &store.AppendDeskEventParams{Kind: kind, StoryID: s.ID, At: now}); err != nil {
			return nil, nil, err
		}
	}
	if d.Apply && d.State == story.Embargoed && a.events != nil {
		if err := a.events.ScheduleEmbargoReleaseTx(ctx, tx, s.ID, *it.Embargoed); err != nil {
			return nil, nil, err
		}
	}
	return res, ev, nil
}

// newestReceived reports whether it, stored as version newID, is newer
// than every other agency version received for the story: only then is it offered
// to an editor (DESIGN §4 rule 3: newest wins, whatever the order of
// arrival). Comparing with the pending update alone is not enough: once an
// editor has ignored an update nothing is pending, and a version older than
// the ignored one, arriving late, would be offered in its place. A version
// whose order against another is unknown arrived later, so it is the newer.
func newestReceived(ctx context.Context, tx store.Tx, storyID, newID int64, it *story.Item) (bool, error) {
	versions, err := tx.StoryVersions(ctx, storyID)
	if err != nil {
		return false, err
	}
	for _, v := range versions {
		if v.ID == newID || v.Item == nil || strings.HasPrefix(v.SourceName, EditorSourcePrefix) {
			continue
		}
		if order, known := story.Compare(it, v.Item); known && order < 0 {
			return false, nil
		}
	}
	return true, nil
}

// stateReason is what the story records as the reason for its state: for a
// kill or a withhold, the agency's note when it gives one.
func stateReason(s story.State, it *story.Item) string {
	if s != story.Killed && s != story.WithheldState {
		return ""
	}
	if n := strings.TrimSpace(it.EdNote); n != "" {
		return n
	}
	return strings.TrimSpace(it.Description)
}

// eventFor names the event a decision raises, from the state before ("" for
// a new story) to the state after.
func eventFor(before story.State, d story.Decision, it *story.Item) EventKind {
	switch {
	case d.State == story.Killed && before != story.Killed:
		return EventKilled
	case d.State == story.WithheldState && before != story.WithheldState:
		return EventWithheld
	case d.State == story.Published && before != story.Published && (d.Apply || before != ""):
		return EventPublished
	case d.State == story.Published && d.Apply:
		if slices.Contains(it.Signals, "correction") {
			return EventCorrected
		}
		return EventUpdated
	}
	return ""
}

// fingerprint stores the duplicate fingerprint of a version's text and
// folds the story into the cluster of every story it duplicates (DESIGN §4
// rule 9). Every version is fingerprinted, shown or not, and clusters only
// ever merge, so the clusters are the connected parts of the "has a similar
// version" graph: the same whatever order the versions arrive in.
//
// A body without words (a picture, a body of only a dateline or
// punctuation) is not fingerprinted: its hash would be the empty text's,
// equal to that of every other story without words. Nor is a kill: its
// body is the agency's withdrawal notice, worded alike for unrelated
// stories, so it says nothing about which story it is.
func (a *Applier) fingerprint(ctx context.Context, tx store.Tx, storyID, versionID int64, p *Params) error {
	if p.Item.PubStatus == story.Canceled {
		return nil
	}
	p.Prepare()
	sha, sig, bands, ok := p.print.sha, p.print.sig, p.print.bands, p.print.ok
	if !ok {
		return nil
	}
	if err := tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: storyID, VersionID: versionID, TextSHA256: sha, MinHash: sig, Bands: bands}); err != nil {
		return err
	}
	similar, err := tx.FindSimilar(ctx, &store.FindSimilarParams{StoryID: storyID, TextSHA256: sha, MinHash: sig, Bands: bands, MinSimilarity: dedup.MinSimilarity})
	if err != nil || len(similar) == 0 {
		return err
	}
	ids := []int64{storyID}
	for _, s := range similar {
		ids = append(ids, s.ID)
	}
	_, err = tx.MergeClusters(ctx, ids)
	return err
}
