package desk

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// reviewLimit is how many stories the review queue shows at once.
const reviewLimit = 100

// scheduleLayout is how a <input type="datetime-local"> sends its value;
// the desk shows and reads every time in UTC.
const scheduleLayout = "2006-01-02T15:04"

type reviewPage struct {
	Entries []reviewEntry
	// LastEventID is the desk event log's newest id when the page was
	// read: live updates start after it.
	LastEventID int64
	// Single, when set, makes the page one story's review page.
	Single *reviewStoryPage
	// Now is the earliest time a schedule can take, for the inputs' min.
	Now string
}

// reviewEntry is one story waiting for an editor, with its preview.
type reviewEntry struct {
	Story    *story.Story
	Headline string
	// Held: the story is held for review (rather than only an agency
	// update pending on it).
	Held bool
	// Rule names what held it; "" when a source's default did.
	Rule     string
	HeldAt   time.Time
	Schedule *time.Time
	// Preview is the body as readers would see it: sanitized as the site
	// does, or the plain text as paragraphs.
	Preview    template.HTML
	Paragraphs []string
	// Pending is the agency update waiting on an edited story.
	Pending        *store.Version
	PendingPreview template.HTML
}

func (d *Desk) entryOf(e *store.ReviewEntry) reviewEntry {
	re := reviewEntry{Story: e.Story, Headline: headline(e.Story), Held: e.Story.State == story.Held, Pending: e.Pending}
	if e.Routing != nil {
		re.Rule, re.HeldAt, re.Schedule = e.Routing.RuleName, e.Routing.DecidedAt, e.Routing.ScheduledAt
	}
	if e.Story.Current != nil {
		re.Preview, re.Paragraphs = d.preview(e.Story.Current)
	}
	if e.Pending != nil && e.Pending.Item != nil {
		re.PendingPreview, _ = d.preview(e.Pending.Item)
	}
	return re
}

// preview renders an item's body as the site does: the HTML through the
// same sanitizing policy, else the text as paragraphs.
func (d *Desk) preview(it *story.Item) (template.HTML, []string) {
	if body := strings.TrimSpace(it.BodyHTML); body != "" {
		return template.HTML(d.policy.HTML(body)), nil // #nosec G203 -- sanitized just now
	}
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(it.BodyText, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return "", paras
}

func (d *Desk) serveReview(w http.ResponseWriter, r *http.Request) error {
	// The event id first: an event after it may already be in the list,
	// which is harmless; one before the list is read must not be missed.
	last, err := d.store.LastDeskEventID(r.Context())
	if err != nil {
		return err
	}
	entries, err := d.store.ListReview(r.Context(), &store.ListReviewParams{Limit: reviewLimit})
	if err != nil {
		return err
	}
	rp := reviewPage{Now: d.now().UTC().Format(scheduleLayout), LastEventID: last}
	for _, e := range entries {
		rp.Entries = append(rp.Entries, d.entryOf(e))
	}
	return d.render(w, r, http.StatusOK, "review", "Review queue", rp)
}

type reviewStoryPage struct {
	Entry reviewEntry
	// EditHeadline and EditBody fill the edit form.
	EditHeadline string
	EditBody     string
	ScheduleAt   string
	Now          string
	Error        string
}

func (d *Desk) reviewStoryPage(r *http.Request, st *story.Story) (*reviewStoryPage, error) {
	e := &store.ReviewEntry{Story: st}
	rt, err := d.store.GetRouting(r.Context(), st.ID)
	switch {
	case err == nil:
		e.Routing = rt
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if st.PendingVersionID != 0 {
		versions, err := d.store.ListVersions(r.Context(), st.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range versions {
			if v.ID == st.PendingVersionID {
				e.Pending = v
			}
		}
	}
	p := &reviewStoryPage{Entry: d.entryOf(e), Now: d.now().UTC().Format(scheduleLayout)}
	if st.Current != nil {
		p.EditHeadline = st.Current.Headline
		p.EditBody = st.Current.BodyText
		if strings.TrimSpace(p.EditBody) == "" {
			p.EditBody = d.policy.Text(st.Current.BodyHTML)
		}
	}
	if e.Routing != nil && e.Routing.ScheduledAt != nil {
		p.ScheduleAt = e.Routing.ScheduledAt.UTC().Format(scheduleLayout)
	}
	return p, nil
}

func (d *Desk) serveReviewStory(w http.ResponseWriter, r *http.Request) error {
	st, err := d.storyOf(r)
	if err != nil {
		return err
	}
	p, err := d.reviewStoryPage(r, st)
	if err != nil {
		return err
	}
	return d.render(w, r, http.StatusOK, "review", "Review: "+headline(st), &reviewPage{Single: p})
}

// postReviewAction carries out one review action on a story: approve,
// reject, accept or ignore (an agency update), schedule, edit.
func (d *Desk) postReviewAction(w http.ResponseWriter, r *http.Request) error {
	st, err := d.storyOf(r)
	if err != nil {
		return err
	}
	ctx, by, note := r.Context(), userOf(r).Name, strings.TrimSpace(r.PostFormValue("note"))
	// seen is the version the page showed the editor; apply refuses the
	// action when another is in place by the time it runs.
	seen := r.PostFormValue(seenVersionField)
	p := &apply.ReviewParams{StoryID: st.ID, By: by, Note: note, SeenVersion: seen}
	back := "/desk/review"
	var done string
	switch action := r.PathValue("action"); action {
	case "approve":
		done, err = d.approve(r, p)
	case "reject":
		_, err = d.applier.Reject(ctx, p)
		done = "rejected: it will never be published"
	case "accept":
		_, err = d.applier.AcceptUpdate(ctx, p)
		done = "now shows the agency's update"
	case "ignore":
		_, err = d.applier.IgnoreUpdate(ctx, p)
		done = "keeps the editor's text; the agency update was ignored"
	case "schedule":
		at, perr := time.ParseInLocation(scheduleLayout, strings.TrimSpace(r.PostFormValue("at")), time.UTC)
		if perr != nil {
			return d.reviewFormError(w, r, st, http.StatusBadRequest, "Give the date and time to publish at (UTC).")
		}
		_, err = d.applier.Schedule(ctx, &apply.ScheduleParams{StoryID: st.ID, By: by, At: at, Note: note})
		done = "will be published at " + at.Format("2006-01-02 15:04 UTC")
	case "edit":
		body := r.PostFormValue("body")
		_, err = d.applier.Edit(ctx, &apply.EditParams{StoryID: st.ID, By: by, Headline: r.PostFormValue("headline"), Body: &body, Note: note, SeenVersion: seen})
		done = "edited: agency updates will now wait for an editor"
		back = fmt.Sprintf("/desk/review/%d", st.ID)
	default:
		return errNotFound("There is no such review action.")
	}
	switch {
	case errors.Is(err, apply.ErrStale):
		return d.staleError(w, r, st.ID)
	case errors.Is(err, apply.ErrNoChange):
		return d.reviewFormError(w, r, st, http.StatusBadRequest, "The edit changes neither the headline nor the body.")
	case errors.Is(err, apply.ErrNotInFuture):
		return d.reviewFormError(w, r, st, http.StatusBadRequest, "The time to publish at must be in the future (UTC).")
	case errors.Is(err, apply.ErrStateUnchanged), errors.Is(err, apply.ErrNoPendingUpdate):
		return &httpError{status: http.StatusConflict, message: fmt.Sprintf("Story %d changed meanwhile (it is %s): reload the review queue.", st.ID, st.State)}
	case errors.Is(err, apply.ErrNoScheduler):
		return &httpError{status: http.StatusServiceUnavailable, message: "Scheduled publication is not available on this server."}
	case err != nil:
		return err
	}
	return d.redirect(w, r, back, fmt.Sprintf("Story %d %s.", st.ID, done))
}

// approve approves a held story and says what became of it.
func (d *Desk) approve(r *http.Request, p *apply.ReviewParams) (string, error) {
	res, err := d.applier.Approve(r.Context(), p)
	if err != nil {
		return "", err
	}
	switch res.State {
	case story.Published:
		return "approved and published", nil
	case story.Embargoed:
		return "approved: it is published when its embargo ends", nil
	}
	return "approved; the agency has it " + string(res.State), nil
}

// seenVersionField is the review forms' hidden field naming the version
// the editor saw: the story's current version, or for accepting or
// ignoring an agency update, that update's.
const seenVersionField = "seen_version"

// staleError answers an action refused because the story changed after
// its page was loaded (or the form did not say what its editor saw): 409,
// with the review page as the story stands now, and the editor's text
// kept in the edit form so that no words are lost.
func (d *Desk) staleError(w http.ResponseWriter, r *http.Request, id int64) error {
	st, err := d.store.GetStory(r.Context(), id)
	if err != nil {
		return err
	}
	onShow := st.CurrentVersionKey
	if onShow == "" {
		onShow = "(none)"
	}
	var msg string
	switch action := r.PathValue("action"); {
	case action == "edit" && st.State == story.Killed:
		msg = fmt.Sprintf("This story changed while you were editing: it has been killed (version %s is on show). Nothing was saved.", onShow)
	case action == "edit":
		msg = fmt.Sprintf("This story changed while you were editing: version %s is now on show, shown above. Nothing was saved; your text is kept below. Save it again only if it should replace that version.", onShow)
	case action == "accept" || action == "ignore":
		msg = "The agency update waiting on this story changed while you were reviewing it; nothing was done. Review the update now pending below and decide again."
	default:
		msg = fmt.Sprintf("This story changed while you were reviewing it: version %s is now on show, shown above. Nothing was done; review it again and decide.", onShow)
	}
	return d.reviewFormError(w, r, st, http.StatusConflict, msg)
}

// reviewFormError shows the story's review page again with what was wrong.
func (d *Desk) reviewFormError(w http.ResponseWriter, r *http.Request, st *story.Story, status int, msg string) error {
	p, err := d.reviewStoryPage(r, st)
	if err != nil {
		return err
	}
	p.Error = msg
	if r.PathValue("action") == "edit" {
		p.EditHeadline, p.EditBody = r.PostFormValue("headline"), r.PostFormValue("body")
	}
	if at := strings.TrimSpace(r.PostFormValue("at")); at != "" {
		p.ScheduleAt = at
	}
	return d.render(w, r, status, "review", "Review: "+headline(st), &reviewPage{Single: p})
}
