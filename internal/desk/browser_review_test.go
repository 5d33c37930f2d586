package desk_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// An editor writes a rule holding court reports, previews it on what came
// in before, saves it; the next court report waits in the review queue,
// invisible to readers, until the editor approves it, and then it is on the
// public site.
func TestBrowserHoldRuleAndApprove(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	earlier := h.apply(t, newsItem("c0", "Court adjourns harbour fraud trial", "<p>The trial resumes next week.</p>"))
	h.apply(t, newsItem("f0", "Ferry timetable changes", "<p>Ferries run hourly.</p>"))
	ctx := h.signIn(t, b, "ed", store.RoleEditor)

	h.open(t, ctx, "/desk/rules/new")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("name"), "Court reports"),
		chromedp.SendKeys(chromedp.ID("headline_regex"), "(?i)court"),
		chromedp.SetValue(chromedp.ID("action"), "hold"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)),
		chromedp.WaitVisible(chromedp.ID("dry-run")),
	)
	if got := text(t, ctx, "#dry-run"); !strings.HasPrefix(got, "Dry run: 1 of the last") {
		t.Errorf("dry run heading %q, want one item routed differently (the earlier court story)", got)
	}
	if got := text(t, ctx, "tr.changed td a"); got != "Court adjourns harbour fraud trial" {
		t.Errorf("dry run marks %q as changed, want the earlier court story", got)
	}
	screenshot(t, ctx, "desk-rule-dry-run")
	if rs, err := h.Store.GetRuleSet(t.Context()); err != nil || len(rs.Rules) != 0 {
		t.Fatalf("after a preview the store holds %d rules (err %v), want none: a dry run saves nothing", len(rs.Rules), err)
	}
	// Saving redirects to the rules page. Waiting for an element would
	// find it on the form's own page before the redirect arrives, and the
	// next navigation would then abort the save; the response is what says
	// the save is done.
	if got := status(t, ctx, chromedp.Click(chromedp.CSS(`button[value="save"]`))); got != http.StatusOK {
		t.Fatalf("saving the rule answered %d, want the rules page (200 after the redirect)", got)
	}
	if got := text(t, ctx, ".flash"); !strings.Contains(got, `"Court reports" saved`) {
		t.Errorf("after saving the page says %q, want the rule named as saved", got)
	}
	h.open(t, ctx, "/desk/rules")
	if got := text(t, ctx, "main"); !strings.Contains(got, "Court reports") {
		t.Fatalf("rules page does not list the saved rule:\n%s", got)
	}
	screenshot(t, ctx, "desk-rules")
	// The rule routes what comes next; it does not touch what is out.
	if got := h.state(t, earlier); got != story.Published {
		t.Errorf("earlier court story is %s after the rule was saved, want still published", got)
	}

	held := h.apply(t, newsItem("c1", "Court jails harbour official", "<p>The official was jailed for five years.</p>"))
	if got := h.state(t, held); got != story.Held {
		t.Fatalf("new court story is %s, want held by the rule", got)
	}
	if got := h.publicStatus(t, held); got == http.StatusOK {
		t.Fatalf("held story's public page answers %d; readers must not see it", got)
	}

	h.open(t, ctx, "/desk/review")
	if got := text(t, ctx, ".review-entry h2"); got != "Court jails harbour official" {
		t.Errorf("review queue shows %q first, want the held story", got)
	}
	if got := text(t, ctx, ".review-entry"); !strings.Contains(got, "Court reports") {
		t.Errorf("review entry does not name the rule that held it:\n%s", got)
	}
	screenshot(t, ctx, "desk-review")
	approve := fmt.Sprintf(`form[action="/desk/review/%d/approve"] button`, held)
	if got := status(t, ctx, chromedp.Click(chromedp.CSS(approve))); got != http.StatusOK {
		t.Errorf("approving answered %d, want the queue again (200 after the redirect)", got)
	}
	if got := h.state(t, held); got != story.Published {
		t.Fatalf("approved story is %s, want published", got)
	}
	if got := h.publicStatus(t, held); got != http.StatusOK {
		t.Errorf("approved story's public page answers %d, want 200", got)
	}
	resp, err := http.Get(h.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if home := readBody(t, resp); !strings.Contains(home, "Court jails harbour official") {
		t.Error("approved story is not on the public home page")
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}
