package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// The review queue's actions: approve, reject, edit, schedule a held story,
// and accept or ignore an agency update waiting on an edited one. Each runs
// in one transaction with its audit row and its desk event.

// Audit actions of the review queue.
const (
	AuditApprove          = "story.approve"
	AuditReject           = "story.reject"
	AuditEdit             = "story.edit"
	AuditSchedule         = "story.schedule"
	AuditPublishScheduled = "story.publish_scheduled"
	AuditAcceptUpdate     = "story.accept_update"
	AuditIgnoreUpdate     = "story.ignore_update"
)

// EditorSourcePrefix starts the source name of a version an editor wrote
// ("editor:<name>"); its version key is "e:<n>".
const EditorSourcePrefix = "editor:"

// Sentinel errors of the review actions.
var (
	// ErrNoChange: an edit that changes neither headline nor body.
	ErrNoChange = errors.New("the edit changes nothing")
	// ErrNoPendingUpdate: no agency update waits on the story.
	ErrNoPendingUpdate = errors.New("no agency update is pending")
	// ErrNotInFuture: a publication scheduled at a time already past.
	ErrNotInFuture = errors.New("the time is not in the future")
	// ErrNoScheduler: the Applier's events cannot schedule a publication.
	ErrNoScheduler = errors.New("scheduled publication is not configured")
	// ErrStale: the editor acted on a version of the story other than the
	// one now on show (or pending), or did not say which one; nothing was
	// done. Without this check an edit made on an older text silently
	// replaces the newer one, and an approval publishes words nobody
	// reviewed.
	ErrStale = errors.New("the story changed since the editor saw it")
)

// checkSeen refuses an action decided on a version other than the one now
// in place (what names it: "current" or "pending"). It runs after the
// story is locked, so no version can come between the check and the
// action. An empty seen version is refused too: a form that does not say
// what its editor saw cannot prove it was the text now in place.
func checkSeen(storyID int64, what, seen, now string) error {
	if seen == "" {
		return fmt.Errorf("story %d: the action names no %s version (now %q): %w", storyID, what, now, ErrStale)
	}
	if seen != now {
		return fmt.Errorf("story %d: the editor saw %s version %q, now %q: %w", storyID, what, seen, now, ErrStale)
	}
	return nil
}

// ReviewScheduler schedules the publication of a held story at a time, in
// the transaction that records the schedule. The job runner implements it,
// beside Events; the Applier finds it on its events.
type ReviewScheduler interface {
	SchedulePublishTx(ctx context.Context, tx store.Tx, storyID int64, at time.Time) error
}

// ReviewParams names a story and the editor acting on it.
type ReviewParams struct {
	StoryID int64
	// By is the editor's account name; required.
	By string
	// Note is kept in the audit log. Optional.
	Note string
	// SeenVersion is the key of the version the editor decided on:
	// the story's current version for Approve and Reject, the pending
	// agency update's for AcceptUpdate and IgnoreUpdate. Required; the
	// action is refused with ErrStale when that version is no longer the
	// one in place.
	SeenVersion string
}

func (p *ReviewParams) check(action string) error {
	if strings.TrimSpace(p.By) == "" {
		return fmt.Errorf("%s story %d: who acts must be named", action, p.StoryID)
	}
	return nil
}

// Approve publishes a held story now: it takes the state its current
// version calls for (published; embargoed until its time, with the release
// scheduled; withheld if the agency withheld it meanwhile).
func (a *Applier) Approve(ctx context.Context, p *ReviewParams) (*Result, error) {
	if err := p.check("approve"); err != nil {
		return nil, err
	}
	return a.reviewTx(ctx, p.StoryID, AuditApprove, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.State == story.Held {
			if err := checkSeen(st.ID, "current", p.SeenVersion, st.CurrentVersionKey); err != nil {
				return nil, err
			}
		}
		return a.approveTx(ctx, tx, st, &approval{by: p.By, note: p.Note, audit: AuditApprove, now: now})
	})
}

type approval struct {
	by, note, audit string
	now             time.Time
}

func (a *Applier) approveTx(ctx context.Context, tx store.Tx, st *story.Story, ap *approval) (*Result, error) {
	if st.State != story.Held {
		return nil, fmt.Errorf("story %d is %s, not held: %w", st.ID, st.State, ErrStateUnchanged)
	}
	if st.Current == nil {
		return nil, fmt.Errorf("story %d has no version to publish: %w", st.ID, ErrStateUnchanged)
	}
	state := story.Decide(nil, st.Current, ap.now).State
	reason := "approved by " + ap.by
	if state != story.Published {
		reason = stateReason(state, st.Current)
	}
	if err := tx.SetState(ctx, &store.SetStateParams{StoryID: st.ID, State: state, Reason: reason, At: ap.now}); err != nil {
		return nil, err
	}
	if err := clearSchedule(ctx, tx, st.ID); err != nil {
		return nil, err
	}
	res := &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Updated, State: state, Reason: reason}
	if state == story.Published {
		res.Event = EventPublished
		if err := a.storyEvent(ctx, tx, res, ap.now); err != nil {
			return nil, err
		}
	}
	if state == story.Embargoed && a.events != nil {
		if err := a.events.ScheduleEmbargoReleaseTx(ctx, tx, st.ID, *st.Current.Embargoed); err != nil {
			return nil, err
		}
	}
	if err := deskEvent(ctx, tx, store.DeskEventApproved, st.ID, ap.by, ap.now); err != nil {
		return nil, err
	}
	return res, appendAudit(ctx, tx, &reviewAudit{
		at: ap.now, by: ap.by, action: ap.audit, storyID: st.ID, note: ap.note,
		before: auditState{State: st.State, Reason: st.StateReason, Version: st.CurrentVersionKey},
		after:  auditState{State: state, Reason: reason, Version: st.CurrentVersionKey},
	})
}

// Reject spikes a held story: stored, never published.
func (a *Applier) Reject(ctx context.Context, p *ReviewParams) (*Result, error) {
	if err := p.check("reject"); err != nil {
		return nil, err
	}
	return a.reviewTx(ctx, p.StoryID, AuditReject, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.State != story.Held {
			return nil, fmt.Errorf("story %d is %s, not held: %w", st.ID, st.State, ErrStateUnchanged)
		}
		if err := checkSeen(st.ID, "current", p.SeenVersion, st.CurrentVersionKey); err != nil {
			return nil, err
		}
		reason := "rejected by " + p.By
		if err := tx.SetState(ctx, &store.SetStateParams{StoryID: st.ID, State: story.Spiked, Reason: reason, At: now}); err != nil {
			return nil, err
		}
		if err := clearSchedule(ctx, tx, st.ID); err != nil {
			return nil, err
		}
		if err := deskEvent(ctx, tx, store.DeskEventRejected, st.ID, p.By, now); err != nil {
			return nil, err
		}
		res := &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Updated, State: story.Spiked, Reason: reason}
		return res, appendAudit(ctx, tx, &reviewAudit{
			at: now, by: p.By, action: AuditReject, storyID: st.ID, note: p.Note,
			before: auditState{State: st.State, Reason: st.StateReason, Version: st.CurrentVersionKey},
			after:  auditState{State: story.Spiked, Reason: reason, Version: st.CurrentVersionKey},
		})
	})
}

// EditParams is an editor's change to a story's headline or body.
type EditParams struct {
	StoryID int64
	By      string
	// Headline replaces the headline; "" keeps it.
	Headline string
	// Body, when not nil, replaces the body with plain text: paragraphs
	// separated by blank lines. A body whose words equal the current
	// ones keeps the agency's markup.
	Body *string
	Note string
	// SeenVersion is the key of the version the editor's form was
	// loaded with (the story's current version then). Required; the edit
	// is refused with ErrStale when another version is on show now.
	SeenVersion string
}

// Edit stores the editor's text as a new version of the story, keyed
// "e:<n>" from source "editor:<name>", puts it on show in the story's
// present state, and marks the story edited: its provenance line names the
// editor, its history shows the diff, and agency updates wait for an editor
// from now on (DESIGN §4 rule 8). A pending agency update stays pending.
func (a *Applier) Edit(ctx context.Context, p *EditParams) (*Result, error) {
	if strings.TrimSpace(p.By) == "" {
		return nil, fmt.Errorf("edit story %d: who edits must be named", p.StoryID)
	}
	return a.reviewTx(ctx, p.StoryID, AuditEdit, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.State == story.Killed || st.Current == nil {
			return nil, fmt.Errorf("story %d is %s: %w", st.ID, st.State, ErrStateUnchanged)
		}
		if err := checkSeen(st.ID, "current", p.SeenVersion, st.CurrentVersionKey); err != nil {
			return nil, err
		}
		cur := st.Current
		ed := *cur
		headline := strings.TrimSpace(p.Headline)
		if headline != "" {
			ed.Headline = headline
		}
		if p.Body != nil && normalizeText(*p.Body) != normalizeText(cur.BodyText) {
			ed.BodyText, ed.BodyHTML = bodyFromText(*p.Body)
			ed.WordCount = nil
		}
		if ed.Headline == cur.Headline && ed.BodyText == cur.BodyText {
			return nil, fmt.Errorf("story %d: %w", st.ID, ErrNoChange)
		}
		// The editor's words come from no delivery.
		ed.Source.SHA256 = ""
		versions, err := tx.StoryVersions(ctx, st.ID)
		if err != nil {
			return nil, err
		}
		n := 1
		for _, v := range versions {
			if strings.HasPrefix(v.Key, "e:") {
				n++
			}
		}
		key := "e:" + strconv.Itoa(n)
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
			StoryID: st.ID, Key: key, Item: &ed, SourceName: EditorSourcePrefix + p.By, ReceivedAt: now, Applied: true,
		})
		if err != nil {
			return nil, err
		}
		if err := tx.SetCurrent(ctx, &store.SetCurrentParams{
			StoryID: st.ID, VersionID: v.ID, State: st.State, Reason: st.StateReason, At: now,
		}); err != nil {
			return nil, err
		}
		// SetCurrent settles a pending update; an edit does not: the
		// agency's newer text still waits for a decision.
		if st.PendingVersionID != 0 {
			if err := tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: st.ID, VersionID: st.PendingVersionID}); err != nil {
				return nil, err
			}
		}
		if err := tx.SetEditedBy(ctx, st.ID, p.By); err != nil {
			return nil, err
		}
		res := &Result{StoryID: st.ID, VersionKey: key, Outcome: Updated, State: st.State, Reason: "edited by " + p.By}
		if st.State == story.Published {
			res.Event = EventUpdated
			if err := a.storyEvent(ctx, tx, res, now); err != nil {
				return nil, err
			}
		}
		if err := deskEvent(ctx, tx, store.DeskEventEdited, st.ID, p.By, now); err != nil {
			return nil, err
		}
		return res, appendAudit(ctx, tx, &reviewAudit{
			at: now, by: p.By, action: AuditEdit, storyID: st.ID, note: p.Note,
			before: editState{Version: st.CurrentVersionKey, Headline: cur.Headline, BodySHA256: story.SHA256Hex([]byte(cur.BodyText)), EditedBy: st.EditedBy},
			after:  editState{Version: key, Headline: ed.Headline, BodySHA256: story.SHA256Hex([]byte(ed.BodyText)), EditedBy: p.By},
		})
	})
}

// editState is what the audit log keeps of an edit: the words' fingerprint,
// not the words; the versions themselves are in the story's history.
type editState struct {
	Version    string `json:"version"`
	Headline   string `json:"headline"`
	BodySHA256 string `json:"body_sha256"`
	EditedBy   string `json:"edited_by,omitempty"`
}

// normalizeText compares bodies by their words, so that a form's changed
// line endings or spacing do not count as an edit.
func normalizeText(s string) string { return strings.Join(strings.Fields(s), " ") }

// bodyFromText turns an editor's plain text into the body's text and HTML:
// a paragraph per block separated by a blank line, each escaped.
func bodyFromText(s string) (text, htmlBody string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var paras []string
	for _, block := range strings.Split(s, "\n\n") {
		if p := strings.Join(strings.Fields(block), " "); p != "" {
			paras = append(paras, p)
		}
	}
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>")
		b.WriteString(html.EscapeString(p))
		b.WriteString("</p>")
	}
	return strings.Join(paras, "\n\n"), b.String()
}

// ScheduleParams schedules a held story's publication.
type ScheduleParams struct {
	StoryID int64
	By      string
	At      time.Time
	Note    string
}

// Schedule publishes a held story at p.At, by a job: the story stays held
// (and can still be approved, rejected or rescheduled) until then. The
// latest schedule wins.
func (a *Applier) Schedule(ctx context.Context, p *ScheduleParams) (*Result, error) {
	if strings.TrimSpace(p.By) == "" {
		return nil, fmt.Errorf("schedule story %d: who schedules must be named", p.StoryID)
	}
	sched, ok := a.events.(ReviewScheduler)
	if !ok {
		return nil, fmt.Errorf("schedule story %d: %w", p.StoryID, ErrNoScheduler)
	}
	return a.reviewTx(ctx, p.StoryID, AuditSchedule, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.State != story.Held {
			return nil, fmt.Errorf("story %d is %s, not held: %w", st.ID, st.State, ErrStateUnchanged)
		}
		at := p.At.UTC().Truncate(time.Microsecond)
		if !at.After(now) {
			return nil, fmt.Errorf("schedule story %d at %s: %w", st.ID, at.Format(time.RFC3339), ErrNotInFuture)
		}
		r, err := tx.LoadRouting(ctx, st.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			r = &store.Routing{StoryID: st.ID, Action: "hold", DecidedAt: now}
		case err != nil:
			return nil, err
		}
		var before *time.Time
		if r.ScheduledAt != nil {
			before = r.ScheduledAt
		}
		if err := tx.SetRouting(ctx, &store.SetRoutingParams{
			StoryID: st.ID, Action: r.Action, RuleID: r.RuleID, RuleName: r.RuleName, DecidedAt: r.DecidedAt,
			ScheduledAt: &at, ScheduledBy: p.By,
		}); err != nil {
			return nil, err
		}
		if err := sched.SchedulePublishTx(ctx, tx, st.ID, at); err != nil {
			return nil, err
		}
		if err := deskEvent(ctx, tx, store.DeskEventScheduled, st.ID, p.By, now); err != nil {
			return nil, err
		}
		res := &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Unchanged, State: st.State, Reason: "scheduled by " + p.By}
		return res, appendAudit(ctx, tx, &reviewAudit{
			at: now, by: p.By, action: AuditSchedule, storyID: st.ID, note: p.Note,
			before: scheduleState{State: st.State, ScheduledAt: before},
			after:  scheduleState{State: st.State, ScheduledAt: &at},
		})
	})
}

type scheduleState struct {
	State       story.State `json:"state"`
	ScheduledAt *time.Time  `json:"scheduled_at,omitempty"`
}

// PublishScheduled is the work of the scheduled publication job. It is safe
// to run twice or early: a story no longer held, or no longer scheduled, is
// left alone; one scheduled later than now (rescheduled) is scheduled again.
func (a *Applier) PublishScheduled(ctx context.Context, storyID int64) (*Result, error) {
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, err := tx.LockStoryByID(ctx, storyID)
		if err != nil {
			return err
		}
		res = &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Unchanged, State: st.State}
		if st.State != story.Held {
			return nil
		}
		r, err := tx.LoadRouting(ctx, st.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case r.ScheduledAt == nil:
			return nil
		case r.ScheduledAt.After(now):
			if sched, ok := a.events.(ReviewScheduler); ok {
				return sched.SchedulePublishTx(ctx, tx, st.ID, *r.ScheduledAt)
			}
			return nil
		}
		by := r.ScheduledBy
		if by == "" {
			by = "system"
		}
		res, err = a.approveTx(ctx, tx, st, &approval{by: by, note: "scheduled publication", audit: AuditPublishScheduled, now: now})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publish scheduled story %d: %w", storyID, err)
	}
	return res, nil
}

// AcceptUpdate puts the agency update waiting on an edited story on show,
// in the state it calls for (a held or spiked story stays so). The story is
// the agency's verbatim text again, so it is no longer marked edited, and
// later agency updates apply as they arrive.
func (a *Applier) AcceptUpdate(ctx context.Context, p *ReviewParams) (*Result, error) {
	if err := p.check("accept update of"); err != nil {
		return nil, err
	}
	return a.reviewTx(ctx, p.StoryID, AuditAcceptUpdate, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.PendingVersionID == 0 {
			return nil, fmt.Errorf("story %d: %w", st.ID, ErrNoPendingUpdate)
		}
		if st.State == story.Killed {
			return nil, fmt.Errorf("story %d is killed: %w", st.ID, ErrStateUnchanged)
		}
		versions, err := tx.StoryVersions(ctx, st.ID)
		if err != nil {
			return nil, err
		}
		var pv *store.Version
		for _, v := range versions {
			if v.ID == st.PendingVersionID {
				pv = v
			}
		}
		if pv == nil || pv.Item == nil {
			return nil, fmt.Errorf("story %d: pending version %d: %w", st.ID, st.PendingVersionID, store.ErrNotFound)
		}
		if err := checkSeen(st.ID, "pending", p.SeenVersion, pv.Key); err != nil {
			return nil, err
		}
		d := keepGate(st.State, story.Decision{Apply: true, State: story.Decide(nil, pv.Item, now).State})
		reason := stateReason(d.State, pv.Item)
		if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: pv.ID, State: d.State, Reason: reason, At: now}); err != nil {
			return nil, err
		}
		if err := tx.SetEditedBy(ctx, st.ID, ""); err != nil {
			return nil, err
		}
		res := &Result{StoryID: st.ID, VersionKey: pv.Key, Outcome: Updated, State: d.State, Reason: "agency update accepted by " + p.By}
		res.Event = eventFor(st.State, d, pv.Item)
		if err := a.storyEvent(ctx, tx, res, now); err != nil {
			return nil, err
		}
		if d.State == story.Embargoed && a.events != nil {
			if err := a.events.ScheduleEmbargoReleaseTx(ctx, tx, st.ID, *pv.Item.Embargoed); err != nil {
				return nil, err
			}
		}
		if err := deskEvent(ctx, tx, store.DeskEventAccepted, st.ID, p.By, now); err != nil {
			return nil, err
		}
		return res, appendAudit(ctx, tx, &reviewAudit{
			at: now, by: p.By, action: AuditAcceptUpdate, storyID: st.ID, note: p.Note,
			before: auditState{State: st.State, Reason: st.StateReason, Version: st.CurrentVersionKey},
			after:  auditState{State: d.State, Reason: reason, Version: pv.Key},
		})
	})
}

// IgnoreUpdate dismisses the agency update waiting on an edited story: the
// editor's text stays on show; the update stays in the history.
func (a *Applier) IgnoreUpdate(ctx context.Context, p *ReviewParams) (*Result, error) {
	if err := p.check("ignore update of"); err != nil {
		return nil, err
	}
	return a.reviewTx(ctx, p.StoryID, AuditIgnoreUpdate, func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error) {
		if st.PendingVersionID == 0 {
			return nil, fmt.Errorf("story %d: %w", st.ID, ErrNoPendingUpdate)
		}
		pending, err := pendingKey(ctx, tx, st)
		if err != nil {
			return nil, err
		}
		if err := checkSeen(st.ID, "pending", p.SeenVersion, pending); err != nil {
			return nil, err
		}
		if err := tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: st.ID}); err != nil {
			return nil, err
		}
		if err := deskEvent(ctx, tx, store.DeskEventIgnored, st.ID, p.By, now); err != nil {
			return nil, err
		}
		res := &Result{StoryID: st.ID, VersionKey: st.CurrentVersionKey, Outcome: Unchanged, State: st.State, Reason: "agency update ignored by " + p.By}
		return res, appendAudit(ctx, tx, &reviewAudit{
			at: now, by: p.By, action: AuditIgnoreUpdate, storyID: st.ID, note: p.Note,
			before: pendingState{PendingVersionID: st.PendingVersionID},
			after:  pendingState{},
		})
	})
}

// pendingKey is the key of the agency update waiting on st.
func pendingKey(ctx context.Context, tx store.Tx, st *story.Story) (string, error) {
	versions, err := tx.StoryVersions(ctx, st.ID)
	if err != nil {
		return "", err
	}
	for _, v := range versions {
		if v.ID == st.PendingVersionID {
			return v.Key, nil
		}
	}
	return "", fmt.Errorf("story %d: pending version %d: %w", st.ID, st.PendingVersionID, store.ErrNotFound)
}

type pendingState struct {
	PendingVersionID int64 `json:"pending_version_id"`
}

// reviewTx locks the story and runs fn in one transaction.
func (a *Applier) reviewTx(ctx context.Context, storyID int64, action string,
	fn func(ctx context.Context, tx store.Tx, st *story.Story, now time.Time) (*Result, error)) (*Result, error) {
	now := a.now().UTC()
	var res *Result
	err := a.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, err := tx.LockStoryByID(ctx, storyID)
		if err != nil {
			return err
		}
		res, err = fn(ctx, tx, st, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s of story %d: %w", action, storyID, err)
	}
	return res, nil
}

// storyEvent enqueues res.Event, if any.
func (a *Applier) storyEvent(ctx context.Context, tx store.Tx, res *Result, now time.Time) error {
	if res.Event == "" || a.events == nil {
		return nil
	}
	return a.events.StoryEventsTx(ctx, tx, &StoryEvent{Kind: res.Event, StoryID: res.StoryID, VersionKey: res.VersionKey, At: now})
}

func deskEvent(ctx context.Context, tx store.Tx, kind string, storyID int64, by string, now time.Time) error {
	_, err := tx.AppendDeskEvent(ctx, &store.AppendDeskEventParams{Kind: kind, StoryID: storyID, Actor: by, At: now})
	return err
}

type reviewAudit struct {
	at            time.Time
	by, action    string
	storyID       int64
	note          string
	before, after any
}

func appendAudit(ctx context.Context, tx store.Tx, r *reviewAudit) error {
	before, err := json.Marshal(r.before)
	if err != nil {
		return fmt.Errorf("audit %s: %w", r.action, err)
	}
	after, err := json.Marshal(r.after)
	if err != nil {
		return fmt.Errorf("audit %s: %w", r.action, err)
	}
	_, err = tx.AppendAudit(ctx, &store.AppendAuditParams{
		At: r.at, Actor: r.by, Action: r.action, ObjectType: store.AuditStory,
		ObjectID: strconv.FormatInt(r.storyID, 10), Before: before, After: after, Note: strings.TrimSpace(r.note),
	})
	return err
}

// clearSchedule drops a held story's scheduled publication once it is
// decided; the job, if it still runs, finds nothing to do.
func clearSchedule(ctx context.Context, tx store.Tx, storyID int64) error {
	r, err := tx.LoadRouting(ctx, storyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || r.ScheduledAt == nil {
		return err
	}
	return tx.SetRouting(ctx, &store.SetRoutingParams{
		StoryID: storyID, Action: r.Action, RuleID: r.RuleID, RuleName: r.RuleName, DecidedAt: r.DecidedAt,
	})
}
