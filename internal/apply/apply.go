// Package apply is the heart of wiredesk: it turns one decoded item into
// story state, in one transaction per item (identity, version, lifecycle).
package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	// Recorded: a new version stored but not put on show.
	Recorded Outcome = "recorded"
	// Unchanged: this exact version was already stored; nothing written.
	Unchanged Outcome = "unchanged"
)

// Applier applies items to a store.
type Applier struct {
	store store.Store
	now   func() time.Time
}

// New returns an Applier on s. now defaults to time.Now.
func New(s store.Store, now func() time.Time) *Applier {
	if now == nil {
		now = time.Now
	}
	return &Applier{store: s, now: now}
}

// Params is one item to apply and where it came from.
type Params struct {
	Item       *story.Item
	DeliveryID *int64
	SourceName string
}

// Result says what Apply did.
type Result struct {
	StoryID    int64
	VersionKey string
	Outcome    Outcome
	State      story.State
}

// Apply applies one item in one transaction. Applying the same version
// twice is a no-op that returns Unchanged.
func (a *Applier) Apply(ctx context.Context, p *Params) (*Result, error) {
	it := p.Item
	agency := strings.TrimSpace(it.Source.Agency)
	uri := strings.TrimSpace(it.URI)
	if agency == "" || uri == "" {
		return nil, fmt.Errorf("apply %q from %q: %w", uri, agency, ErrNoIdentity)
	}
	key := story.VersionKey(it)
	now := a.now().UTC()
	decision := story.Decide(it, now)
	slug := story.Slug(it.Headline)

	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		s, created, err := tx.LockStory(ctx, &store.LockStoryParams{
			Agency: agency, URI: uri, Slug: slug, State: decision.State, At: now,
		})
		if err != nil {
			return err
		}
		res = &Result{StoryID: s.ID, VersionKey: key, State: s.State}
		if !created {
			exists, err := tx.VersionExists(ctx, s.ID, key)
			if err != nil {
				return err
			}
			if exists {
				res.Outcome = Unchanged
				return nil
			}
		}
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
			StoryID: s.ID, Key: key, Item: it, DeliveryID: p.DeliveryID,
			SourceName: p.SourceName, ReceivedAt: now, Applied: decision.Apply,
		})
		if err != nil {
			return err
		}
		if !decision.Apply {
			res.Outcome = Recorded
			return nil
		}
		// The URL stays the same across versions (DESIGN §4 rule 6): the
		// slug is only taken from a new headline when the story had none.
		if s.Slug != "" {
			slug = s.Slug
		}
		var publishedAt *time.Time
		if decision.State.Visible() && s.PublishedAt.IsZero() {
			publishedAt = &now
		}
		if err := tx.SetCurrent(ctx, &store.SetCurrentParams{
			StoryID: s.ID, VersionID: v.ID, State: decision.State, Slug: slug,
			PublishedAt: publishedAt, At: now,
		}); err != nil {
			return err
		}
		res.State = decision.State
		if created {
			res.Outcome = Created
		} else {
			res.Outcome = Updated
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s %s from %s: %w", uri, key, agency, err)
	}
	return res, nil
}
