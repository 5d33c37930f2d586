package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// The editors' story actions. Each runs in one transaction with its audit
// row, so an action is never done without its record, nor recorded without
// being done.

// EventUnpublished: an editor took the story off the outputs without a
// kill notice. Subscribers drop it as they drop a killed one.
const EventUnpublished EventKind = "unpublished"

// Audit actions of the story actions.
const (
	AuditKill      = "story.kill"
	AuditUnpublish = "story.unpublish"
	AuditRestore   = "story.restore"
)

// ErrStateUnchanged: the story is already in the state the action would
// put it in, or the action does not apply to its state.
var ErrStateUnchanged = errors.New("story is not in a state this action applies to")

// KillParams is an editor's kill.
type KillParams struct {
	StoryID int64
	// Reason is shown on the story's 410 page; required.
	Reason string
	// By is the editor's account name; required.
	By string
}

// Kill takes a story down from every output, as an agency kill does
// (DESIGN §4 rule 4): its pages answer 410 Gone with the reason, a killed
// event goes out, and no agency version brings it back; only a restore
// does.
func (a *Applier) Kill(ctx context.Context, p *KillParams) (*Result, error) {
	reason := strings.TrimSpace(p.Reason)
	if reason == "" || p.By == "" {
		return nil, fmt.Errorf("kill story %d: a reason and who kills it are required", p.StoryID)
	}
	return a.deskAction(ctx, &deskAction{
		storyID: p.StoryID, by: p.By, audit: AuditKill, note: reason,
		change: func(st *story.Story) (story.State, EventKind, error) {
			if st.State == story.Killed {
				return "", "", fmt.Errorf("story %d is already killed: %w", st.ID, ErrStateUnchanged)
			}
			return story.Killed, EventKilled, nil
		},
		reason: reason,
	})
}

// UnpublishParams is an editor's unpublish.
type UnpublishParams struct {
	StoryID int64
	// Reason is kept for the record (audit log, story state reason); it is
	// never shown to readers. Optional.
	Reason string
	By     string
}

// Unpublish hides a story from every output without a kill notice: its
// pages answer 404 as if it had never been published. A killed story stays
// killed (its notice is a legal statement); restore brings either back.
func (a *Applier) Unpublish(ctx context.Context, p *UnpublishParams) (*Result, error) {
	if p.By == "" {
		return nil, fmt.Errorf("unpublish story %d: who unpublishes it is required", p.StoryID)
	}
	reason := strings.TrimSpace(p.Reason)
	return a.deskAction(ctx, &deskAction{
		storyID: p.StoryID, by: p.By, audit: AuditUnpublish, note: reason,
		change: func(st *story.Story) (story.State, EventKind, error) {
			if st.State == story.Killed || st.State == story.Unpublished {
				return "", "", fmt.Errorf("story %d is %s: %w", st.ID, st.State, ErrStateUnchanged)
			}
			return story.Unpublished, EventUnpublished, nil
		},
		reason: "unpublished by " + p.By,
	})
}

// RestoreParams is an editor's restore.
type RestoreParams struct {
	StoryID int64
	By      string
	// Note is kept in the audit log.
	Note string
}

// RestoreAudited is Restore with its audit row in the same transaction.
// Only a killed, withheld or unpublished story can be restored.
func (a *Applier) RestoreAudited(ctx context.Context, p *RestoreParams) (*Result, error) {
	if p.By == "" {
		return nil, fmt.Errorf("restore story %d: who restores it must be named", p.StoryID)
	}
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		before, err := tx.LockStoryByID(ctx, p.StoryID)
		if err != nil {
			return err
		}
		switch before.State {
		case story.Killed, story.WithheldState, story.Unpublished:
		default:
			return fmt.Errorf("story %d is %s: %w", p.StoryID, before.State, ErrStateUnchanged)
		}
		res, err = a.restoreTx(ctx, tx, p.StoryID, p.By, now)
		if err != nil {
			return err
		}
		return appendStoryAudit(ctx, tx, &storyAudit{
			at: now, by: p.By, action: AuditRestore, storyID: p.StoryID, note: strings.TrimSpace(p.Note),
			before: auditState{State: before.State, Reason: before.StateReason, Version: before.CurrentVersionKey},
			after:  auditState{State: res.State, Reason: "restored by " + p.By, Version: res.VersionKey},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("restore story %d: %w", p.StoryID, err)
	}
	return res, nil
}

// deskAction is a state change an editor makes to one story.
type deskAction struct {
	storyID int64
	by      string
	audit   string
	note    string
	reason  string
	// change decides the new state and event from the locked story, or
	// refuses.
	change func(st *story.Story) (story.State, EventKind, error)
}

func (a *Applier) deskAction(ctx context.Context, d *deskAction) (*Result, error) {
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, err := tx.LockStoryByID(ctx, d.storyID)
		if err != nil {
			return err
		}
		state, event, err := d.change(st)
		if err != nil {
			return err
		}
		if err := tx.SetState(ctx, &store.SetStateParams{StoryID: st.ID, State: state, Reason: d.reason, At: now}); err != nil {
			return err
		}
		res = &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Updated, State: state, Reason: d.reason, Event: event}
		if a.events != nil {
			if err := a.events.StoryEventsTx(ctx, tx, &StoryEvent{Kind: event, StoryID: st.ID, VersionKey: st.CurrentVersionKey, At: now}); err != nil {
				return err
			}
		}
		if state == story.Killed {
			// The desk's live view hears of an editor's kill as of an
			// agency's.
			if err := deskEvent(ctx, tx, store.DeskEventKilled, st.ID, d.by, now); err != nil {
				return err
			}
		}
		return appendStoryAudit(ctx, tx, &storyAudit{
			at: now, by: d.by, action: d.audit, storyID: st.ID, note: d.note,
			before: auditState{State: st.State, Reason: st.StateReason, Version: st.CurrentVersionKey},
			after:  auditState{State: state, Reason: d.reason, Version: st.CurrentVersionKey},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s story %d: %w", d.audit, d.storyID, err)
	}
	return res, nil
}

// auditState is what the audit log keeps of a story before and after an
// action.
type auditState struct {
	State   story.State `json:"state"`
	Reason  string      `json:"reason,omitempty"`
	Version string      `json:"version,omitempty"`
}

type storyAudit struct {
	at            time.Time
	by, action    string
	storyID       int64
	note          string
	before, after auditState
}

func appendStoryAudit(ctx context.Context, tx store.Tx, s *storyAudit) error {
	before, err := json.Marshal(s.before)
	if err != nil {
		return err
	}
	after, err := json.Marshal(s.after)
	if err != nil {
		return err
	}
	_, err = tx.AppendAudit(ctx, &store.AppendAuditParams{
		At: s.at, Actor: s.by, Action: s.action, ObjectType: store.AuditStory,
		ObjectID: strconv.FormatInt(s.storyID, 10), Before: before, After: after, Note: s.note,
	})
	return err
}
