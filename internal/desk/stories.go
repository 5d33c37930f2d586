package desk

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// storiesLimit is how many stories the desk's list shows.
const storiesLimit = 100

// storyStates are the states the list can be filtered by, in menu order.
var storyStates = []story.State{story.Published, story.Held, story.Killed, story.Unpublished, story.WithheldState, story.Embargoed, story.Spiked}

type storiesPage struct {
	Query   string
	State   string
	States  []story.State
	Stories []storyRow
}

// storyRow is one story in the desk's list.
type storyRow struct {
	ID        int64
	Headline  string
	Agency    string
	State     story.State
	Updated   time.Time
	PublicURL string
}

func rowOf(st *story.Story) storyRow {
	return storyRow{ID: st.ID, Headline: headline(st), Agency: st.Agency, State: st.State, Updated: st.UpdatedAt, PublicURL: publicURL(st)}
}

// headline is a story's current headline, or a placeholder saying it has
// none (a story killed before any version was shown).
func headline(st *story.Story) string {
	if st.Current != nil {
		if h := strings.TrimSpace(st.Current.Headline); h != "" {
			return h
		}
	}
	return fmt.Sprintf("(story %d has no headline)", st.ID)
}

// publicURL is where readers find the story; it redirects to the slugged
// page.
func publicURL(st *story.Story) string { return fmt.Sprintf("/story/%d", st.ID) }

func (d *Desk) serveStories(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sp := storiesPage{Query: strings.TrimSpace(q.Get("q")), State: q.Get("state"), States: storyStates}
	if sp.State != "" && !validState(sp.State) {
		return errBadRequest(fmt.Sprintf("%q is not a story state.", sp.State))
	}
	stories, err := d.store.ListDeskStories(r.Context(), &store.ListDeskStoriesParams{
		Query: sp.Query, State: story.State(sp.State), Limit: storiesLimit,
	})
	if err != nil {
		return err
	}
	for _, st := range stories {
		sp.Stories = append(sp.Stories, rowOf(st))
	}
	return d.render(w, r, http.StatusOK, "stories", "Stories", sp)
}

func validState(s string) bool {
	for _, st := range storyStates {
		if string(st) == s {
			return true
		}
	}
	return false
}

type storyPage struct {
	Story    *story.Story
	Headline string
	// Body is the sanitized body, as the site would show it.
	Body     template.HTML
	Versions []versionRow
	// Actions are the story actions its state allows.
	Actions   []storyAction
	PublicURL string
}

type versionRow struct {
	Key      string
	Headline string
	Received time.Time
	Applied  bool
	Current  bool
	Source   string
	Status   story.PubStatus
}

// storyAction is one action of the story page, with its confirmation.
type storyAction struct {
	Name    string // path element: kill, unpublish, restore
	Label   string
	Explain string
	// NeedsReason: a kill's reason is shown to readers, so it is required.
	NeedsReason bool
	Danger      bool
}

var (
	actionKill = storyAction{Name: "kill", Label: "Kill", Danger: true, NeedsReason: true,
		Explain: "The story disappears from the site, feeds, sitemaps, search and the API at once, and its page answers 410 Gone with your reason. Subscribers receive a kill event. No agency update brings it back; only a restore does."}
	actionUnpublish = storyAction{Name: "unpublish", Label: "Unpublish",
		Explain: "The story disappears from every output and its page answers 404, with no notice to readers. A restore brings it back."}
	actionRestore = storyAction{Name: "restore", Label: "Restore",
		Explain: "The newest version that is not a kill goes back on show, and the story takes the state that version calls for (published, or embargoed until its time)."}
)

// actionsFor are the actions a story's state allows.
func actionsFor(s story.State) []storyAction {
	switch s {
	case story.Killed:
		return []storyAction{actionRestore}
	case story.Unpublished, story.WithheldState:
		return []storyAction{actionKill, actionRestore}
	case story.Held, story.Spiked:
		// Never shown: the review queue approves or rejects them; a
		// kill keeps a later approval from publishing one.
		return []storyAction{actionKill}
	}
	return []storyAction{actionKill, actionUnpublish}
}

func actionNamed(s story.State, name string) (storyAction, bool) {
	for _, a := range actionsFor(s) {
		if a.Name == name {
			return a, true
		}
	}
	return storyAction{}, false
}

// storyOf loads the story named by the path's {id}.
func (d *Desk) storyOf(r *http.Request) (*story.Story, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, errBadRequest(fmt.Sprintf("%q is not a story id.", raw))
	}
	return d.store.GetStory(r.Context(), id)
}

func (d *Desk) serveStory(w http.ResponseWriter, r *http.Request) error {
	st, err := d.storyOf(r)
	if err != nil {
		return err
	}
	versions, err := d.store.ListVersions(r.Context(), st.ID)
	if err != nil {
		return err
	}
	sp := storyPage{Story: st, Headline: headline(st), Actions: actionsFor(st.State), PublicURL: publicURL(st)}
	if st.Current != nil {
		// Agency HTML is sanitized as the site does it, whatever the
		// store holds; a plain-text body is shown as text.
		if body := strings.TrimSpace(st.Current.BodyHTML); body != "" {
			sp.Body = template.HTML(d.policy.HTML(body))
		}
	}
	// Newest first: what an editor looks for.
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		row := versionRow{Key: v.Key, Received: v.ReceivedAt, Applied: v.Applied, Current: v.Key == st.CurrentVersionKey, Source: v.SourceName}
		if v.Item != nil {
			row.Headline, row.Status = v.Item.Headline, v.Item.PubStatus
		}
		sp.Versions = append(sp.Versions, row)
	}
	return d.render(w, r, http.StatusOK, "story", headline(st), sp)
}

type confirmPage struct {
	Story    *story.Story
	Headline string
	Action   storyAction
	Reason   string
	Error    string
}

// serveStoryConfirm is the confirmation step of a story action: a page of
// its own, so it works without JavaScript.
func (d *Desk) serveStoryConfirm(w http.ResponseWriter, r *http.Request) error {
	st, err := d.storyOf(r)
	if err != nil {
		return err
	}
	a, ok := actionNamed(st.State, r.PathValue("action"))
	if !ok {
		return d.actionNotAllowed(st, r.PathValue("action"))
	}
	cp := confirmPage{Story: st, Headline: headline(st), Action: a}
	return d.render(w, r, http.StatusOK, "confirm", a.Label+" story "+strconv.FormatInt(st.ID, 10), cp)
}

func (d *Desk) actionNotAllowed(st *story.Story, name string) error {
	switch name {
	case actionKill.Name, actionUnpublish.Name, actionRestore.Name:
		return &httpError{status: http.StatusConflict, message: fmt.Sprintf("Story %d is %s: it cannot be %s now.", st.ID, st.State, pastTense(name))}
	}
	return errNotFound("There is no such story action.")
}

func pastTense(action string) string {
	switch action {
	case "kill":
		return "killed"
	case "unpublish":
		return "unpublished"
	}
	return action + "d"
}

func (d *Desk) postStoryAction(w http.ResponseWriter, r *http.Request) error {
	st, err := d.storyOf(r)
	if err != nil {
		return err
	}
	a, ok := actionNamed(st.State, r.PathValue("action"))
	if !ok {
		return d.actionNotAllowed(st, r.PathValue("action"))
	}
	cp := confirmPage{Story: st, Headline: headline(st), Action: a, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	title := a.Label + " story " + strconv.FormatInt(st.ID, 10)
	switch {
	case r.PostFormValue("confirm") != "yes":
		cp.Error = "Tick the box to confirm."
	case a.NeedsReason && cp.Reason == "":
		cp.Error = "Give a reason: readers see it on the story's page."
	}
	if cp.Error != "" {
		return d.render(w, r, http.StatusBadRequest, "confirm", title, cp)
	}
	by := userOf(r).Name
	switch a.Name {
	case actionKill.Name:
		_, err = d.applier.Kill(r.Context(), &apply.KillParams{StoryID: st.ID, Reason: cp.Reason, By: by})
	case actionUnpublish.Name:
		_, err = d.applier.Unpublish(r.Context(), &apply.UnpublishParams{StoryID: st.ID, Reason: cp.Reason, By: by})
	case actionRestore.Name:
		_, err = d.applier.RestoreAudited(r.Context(), &apply.RestoreParams{StoryID: st.ID, By: by, Note: cp.Reason})
	}
	switch {
	case errors.Is(err, apply.ErrStateUnchanged):
		return &httpError{status: http.StatusConflict, message: fmt.Sprintf("Story %d changed meanwhile: it cannot be %s now. Reload it.", st.ID, pastTense(a.Name))}
	case errors.Is(err, apply.ErrNothingToRestore):
		return &httpError{status: http.StatusConflict, message: fmt.Sprintf("Story %d has no version that can be shown again.", st.ID)}
	case err != nil:
		return err
	}
	return d.redirect(w, r, fmt.Sprintf("/desk/stories/%d", st.ID), fmt.Sprintf("Story %d %s.", st.ID, pastTense(a.Name)))
}
