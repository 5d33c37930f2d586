package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// ErrNothingToRestore: the story has no version that could be shown again.
var ErrNothingToRestore = errors.New("no usable version to restore")

// Restore brings a killed or withheld story back (DESIGN §4 rule 4: only an
// editor can): the newest version that is not a kill goes on show, and the
// story takes the state that version calls for. by names who restored it.
func (a *Applier) Restore(ctx context.Context, storyID int64, by string) (*Result, error) {
	if by == "" {
		return nil, fmt.Errorf("restore story %d: who restores it must be named", storyID)
	}
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		res, err = a.restoreTx(ctx, tx, storyID, by, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("restore story %d: %w", storyID, err)
	}
	return res, nil
}

// restoreTx is Restore inside tx, so that the desk can record the action
// in the same transaction.
func (a *Applier) restoreTx(ctx context.Context, tx store.Tx, storyID int64, by string, now time.Time) (*Result, error) {
	st, err := tx.LockStoryByID(ctx, storyID)
	if err != nil {
		return nil, err
	}
	versions, err := tx.StoryVersions(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	var best *store.Version
	for _, v := range versions {
		if v.Item == nil || v.Item.PubStatus == story.Canceled {
			continue
		}
		// Later rows win ties: arrival order when versions cannot be told apart.
		if best == nil {
			best = v
			continue
		}
		if order, known := story.Compare(v.Item, best.Item); !known || order >= 0 {
			best = v
		}
	}
	if best == nil {
		return nil, ErrNothingToRestore
	}
	state := story.Decide(nil, best.Item, now).State
	if err := tx.SetCurrent(ctx, &store.SetCurrentParams{
		StoryID: st.ID, VersionID: best.ID, State: state, Reason: "restored by " + by, At: now,
	}); err != nil {
		return nil, err
	}
	res := &Result{StoryID: st.ID, VersionKey: best.Key, Outcome: Updated, State: state, Event: EventRestored}
	if a.events != nil {
		if err := a.events.StoryEventsTx(ctx, tx, &StoryEvent{Kind: EventRestored, StoryID: st.ID, VersionKey: best.Key, At: now}); err != nil {
			return nil, err
		}
		if state == story.Embargoed {
			if err := a.events.ScheduleEmbargoReleaseTx(ctx, tx, st.ID, *best.Item.Embargoed); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// ReleaseEmbargo publishes an embargoed story whose embargo time has come
// (DESIGN §4 rule 7). It is the work of the scheduled release job, so it is
// safe to run twice or early: a story no longer embargoed is left alone, and
// one whose (possibly newer) embargo is still ahead is rescheduled.
func (a *Applier) ReleaseEmbargo(ctx context.Context, storyID int64) (*Result, error) {
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, err := tx.LockStoryByID(ctx, storyID)
		if err != nil {
			return err
		}
		res = &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Unchanged, State: st.State}
		if st.State != story.Embargoed || st.Current == nil {
			return nil
		}
		if emb := st.Current.Embargoed; emb != nil && emb.After(now) {
			if a.events != nil {
				return a.events.ScheduleEmbargoReleaseTx(ctx, tx, st.ID, *emb)
			}
			return nil
		}
		if err := tx.SetState(ctx, &store.SetStateParams{StoryID: st.ID, State: story.Published, At: now}); err != nil {
			return err
		}
		res.Outcome, res.State, res.Event = Updated, story.Published, EventPublished
		if a.events != nil {
			return a.events.StoryEventsTx(ctx, tx, &StoryEvent{Kind: EventPublished, StoryID: st.ID, VersionKey: st.CurrentVersionKey, At: now})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release embargo of story %d: %w", storyID, err)
	}
	return res, nil
}
