package desk_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// post sends a desk form with the session's CSRF token and returns the
// status and body.
func post(t *testing.T, c *http.Client, h *harness, path, token string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", token)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readBody(t, resp)
}

func get(t *testing.T, c *http.Client, h *harness, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(h.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readBody(t, resp)
}

// courtRule is the form of a rule holding court reports.
func courtRule() url.Values {
	return url.Values{"name": {"court reports"}, "action": {"hold"}, "headline_regex": {"(?i)court"}, "items": {"50"}}
}

func TestRulesPages(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	h.user(t, "vi", store.RoleViewer)
	ed, vi := h.client(t), h.client(t)
	edToken, viToken := h.login(t, ed, "ed"), h.login(t, vi, "vi")
	h.apply(t, newsItem("n1", "Court hears harbour case", "<p>The court sat.</p>"))
	h.apply(t, newsItem("n2", "Ferries resume", "<p>Ferries run.</p>"))

	// Preview: the dry run shows the rule's effect on recent items and
	// saves nothing.
	form := courtRule()
	form.Set("op", "preview")
	status, body := post(t, ed, h, "/desk/rules", edToken, form)
	if status != http.StatusOK || !strings.Contains(body, "Dry run: 1 of the last 2 items would be routed differently") {
		t.Fatalf("preview: status %d, want 200 with a dry run changing 1 of 2 items:\n%s", status, body)
	}
	if set, err := h.Store.GetRuleSet(t.Context()); err != nil || len(set.Rules) != 0 {
		t.Fatalf("preview saved something: %v rules, %v", len(set.Rules), err)
	}

	// A broken pattern is refused with the reason.
	bad := courtRule()
	bad.Set("headline_regex", "(")
	if status, body := post(t, ed, h, "/desk/rules", edToken, bad); status != http.StatusBadRequest || !strings.Contains(body, "headline pattern") {
		t.Errorf("broken pattern: status %d, want 400 naming the headline pattern", status)
	}

	// A viewer sees the rules but cannot change them.
	if status, _ := post(t, vi, h, "/desk/rules", viToken, courtRule()); status != http.StatusForbidden {
		t.Errorf("viewer saving a rule: status %d, want 403", status)
	}

	// Save, then the next new story is held by it.
	if status, _ := post(t, ed, h, "/desk/rules", edToken, courtRule()); status != http.StatusSeeOther {
		t.Fatalf("save rule: status %d, want 303", status)
	}
	if status, _ := get(t, ed, h, "/desk/rules/new"); status != http.StatusOK {
		t.Errorf("new rule form: status %d", status)
	}
	if status, _ := get(t, vi, h, "/desk/rules/new"); status != http.StatusForbidden {
		t.Errorf("new rule form for a viewer: status %d, want 403", status)
	}
	if status, body := get(t, vi, h, "/desk/rules"); status != http.StatusOK || !strings.Contains(body, "court reports") {
		t.Errorf("rules page for a viewer: status %d, rule listed %v", status, strings.Contains(body, "court reports"))
	}
	id := h.apply(t, newsItem("n3", "Court adjourns", "<p>Adjourned.</p>"))
	if got := h.state(t, id); got != story.Held {
		t.Errorf("story after saving the rule: %s, want held", got)
	}

	// Second rule, reorder, default, delete: all audited.
	second := url.Values{"name": {"sport"}, "action": {""}, "section": {"sport"}, "keywords": {"football"}}
	if status, body := post(t, ed, h, "/desk/rules", edToken, second); status != http.StatusSeeOther {
		t.Fatalf("save section rule: status %d:\n%s", status, body)
	}
	set, err := h.Store.GetRuleSet(t.Context())
	if err != nil || len(set.Rules) != 2 {
		t.Fatalf("rules: %d, %v; want 2", len(set.Rules), err)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/rules/%d/move", set.Rules[1].ID), edToken, url.Values{"dir": {"up"}}); status != http.StatusSeeOther {
		t.Errorf("move up: status %d", status)
	}
	if status, _ := post(t, ed, h, "/desk/rules/defaults", edToken, url.Values{"source": {"test-feed"}, "action": {"spike"}}); status != http.StatusSeeOther {
		t.Errorf("set default: status %d", status)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/rules/%d/delete", set.Rules[0].ID), edToken, nil); status != http.StatusBadRequest {
		t.Errorf("delete without confirming: status %d, want 400", status)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/rules/%d/delete", set.Rules[0].ID), edToken, url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Errorf("delete: status %d", status)
	}
	after, err := h.Store.GetRuleSet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Rules) != 1 || after.Rules[0].Name != "sport" || after.Defaults["test-feed"] != "spike" {
		t.Errorf("after move, default and delete: rules %d (first %q), defaults %v; want only sport, test-feed spiked", len(after.Rules), after.Rules[0].Name, after.Defaults)
	}
	audit, err := h.Store.ListAudit(t.Context(), &store.ListAuditParams{ObjectType: store.AuditRule})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Actor+" "+a.Action)
	}
	want := "ed rule.delete,ed rule.default,ed rule.reorder,ed rule.create,ed rule.create"
	if got := strings.Join(actions, ","); got != want {
		t.Errorf("rule audit, newest first:\n got %s\nwant %s", got, want)
	}
}

func TestReviewQueuePages(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	h.user(t, "vi", store.RoleViewer)
	ed, vi := h.client(t), h.client(t)
	edToken, viToken := h.login(t, ed, "ed"), h.login(t, vi, "vi")
	if status, _ := post(t, ed, h, "/desk/rules", edToken, courtRule()); status != http.StatusSeeOther {
		t.Fatalf("save rule: status %d", status)
	}
	held := h.apply(t, newsItem("q1", "Court names <b>defendant</b>", "<p>Named.</p><script>alert(1)</script>"))
	other := h.apply(t, newsItem("q2", "Court rejects appeal", "<p>Rejected.</p>"))

	status, body := get(t, vi, h, "/desk/review")
	if status != http.StatusOK || !strings.Contains(body, "court reports") || !strings.Contains(body, "Court names &lt;b&gt;defendant&lt;/b&gt;") {
		t.Fatalf("review queue: status %d, want the held stories with their rule, headline escaped:\n%s", status, body)
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("the preview carries the agency's script")
	}
	if strings.Contains(body, "/approve") {
		t.Error("a viewer is shown the approve button")
	}
	if status, _ := post(t, vi, h, fmt.Sprintf("/desk/review/%d/approve", held), viToken, nil); status != http.StatusForbidden {
		t.Errorf("viewer approving: status %d, want 403", status)
	}
	if h.publicStatus(t, held) != http.StatusNotFound {
		t.Error("a held story is on the public site")
	}

	status, body = get(t, ed, h, fmt.Sprintf("/desk/review/%d", held))
	for _, want := range []string{"Preview as readers would see it", `action="/desk/review/` + fmt.Sprint(held) + `/schedule"`, `name="headline"`, "Named."} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("one story's review page: status %d, missing %q", status, want)
		}
	}
	if !strings.Contains(body, `<input type="hidden" name="seen_version" value="v:1">`) {
		t.Error("one story's review page: its forms do not name the version on show, v:1")
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/approve", held), edToken, url.Values{"seen_version": {"v:1"}}); status != http.StatusSeeOther {
		t.Fatalf("approve: status %d", status)
	}
	if got := h.publicStatus(t, held); got != http.StatusOK {
		t.Errorf("approved story on the public site: %d, want 200", got)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/approve", held), edToken, url.Values{"seen_version": {"v:1"}}); status != http.StatusConflict {
		t.Errorf("approving twice: status %d, want 409", status)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/reject", other), edToken, url.Values{"seen_version": {"v:1"}}); status != http.StatusSeeOther {
		t.Fatalf("reject: status %d", status)
	}
	if got := h.state(t, other); got != story.Spiked {
		t.Errorf("rejected story: %s, want spiked", got)
	}

	// Edit the published story: a new version, the story marked edited.
	edit := url.Values{"headline": {"Court names the defendant"}, "body": {"Named in court.\n\nMore to follow."}, "seen_version": {"v:1"}}
	if status, body := post(t, ed, h, fmt.Sprintf("/desk/review/%d/edit", held), edToken, edit); status != http.StatusSeeOther {
		t.Fatalf("edit: status %d:\n%s", status, body)
	}
	st, err := h.Store.GetStory(t.Context(), held)
	if err != nil {
		t.Fatal(err)
	}
	if st.EditedBy != "ed" || st.Current.Headline != "Court names the defendant" || st.SourceName != "editor:ed" {
		t.Errorf("edited story: by %q, headline %q, source %q", st.EditedBy, st.Current.Headline, st.SourceName)
	}
	edit.Set("seen_version", "e:1")
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/edit", held), edToken, edit); status != http.StatusBadRequest {
		t.Errorf("an edit changing nothing: status %d, want 400", status)
	}
	// The harness has no job runner, so scheduling is refused as
	// unavailable (503) rather than accepted and never carried out.
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/schedule", other), edToken, url.Values{"at": {"2099-01-01T10:00"}}); status != http.StatusServiceUnavailable {
		t.Errorf("scheduling without a job runner: status %d, want 503", status)
	}
	if status, _ := post(t, ed, h, fmt.Sprintf("/desk/review/%d/schedule", other), edToken, url.Values{"at": {"tomorrow"}}); status != http.StatusBadRequest {
		t.Errorf("scheduling at no time: status %d, want 400", status)
	}
}

var editSeenRE = regexp.MustCompile(`(?s)<form[^>]*action="/desk/review/\d+/edit">.*?name="seen_version" value="([^"]*)".*?</form>`)

// An edit made on a form loaded before another editor's edit (or one that
// names no version, from a page older than the check) is refused: 409,
// the review page again with what is on show now, the editor's words kept
// in the form, nothing stored and nothing audited.
func TestReviewStaleEdit(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ann", store.RoleEditor)
	h.user(t, "bob", store.RoleEditor)
	ann, bob := h.client(t), h.client(t)
	annToken, bobToken := h.login(t, ann, "ann"), h.login(t, bob, "bob")
	id := h.apply(t, newsItem("stale1", "Bridge closes", "<p>The bridge closed.</p>"))
	path := fmt.Sprintf("/desk/review/%d", id)

	// Both load the edit form; ann saves first.
	var seen [2]string
	for i, c := range []*http.Client{ann, bob} {
		status, body := get(t, c, h, path)
		m := editSeenRE.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Fatalf("review page: status %d, want 200 with an edit form naming the version on show:\n%s", status, body)
		}
		seen[i] = m[1]
	}
	if seen[0] != "v:1" || seen[1] != "v:1" {
		t.Fatalf("edit forms name %q, want v:1 for both", seen)
	}
	annEdit := url.Values{"headline": {"Bridge closes for repairs"}, "body": {"The bridge closed."}, "seen_version": {seen[0]}}
	if status, body := post(t, ann, h, path+"/edit", annToken, annEdit); status != http.StatusSeeOther {
		t.Fatalf("ann's edit: status %d, want 303:\n%s", status, body)
	}
	versions := func() int {
		t.Helper()
		vs, err := h.Store.ListVersions(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	stored := versions()

	tests := []struct {
		name string
		seen string
	}{
		{"a form loaded before ann's edit", seen[1]},
		{"a form naming no version", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bobEdit := url.Values{"headline": {"Bridge shut after crash"}, "body": {"Bob's words."}, "seen_version": {tt.seen}}
			status, body := post(t, bob, h, path+"/edit", bobToken, bobEdit)
			if status != http.StatusConflict {
				t.Fatalf("bob's stale edit: status %d, want 409:\n%s", status, body)
			}
			for _, want := range []string{
				"This story changed while you were editing: version e:1 is now on show",
				"your text is kept below",
				`value="Bridge shut after crash"`,    // bob's headline, kept
				"Bob&#39;s words.",                   // bob's body, kept
				"<h1>Bridge closes for repairs</h1>", // what is on show now
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the 409 page lacks %q", want)
				}
			}
			// Saving from this page is a decision made on e:1.
			if m := editSeenRE.FindStringSubmatch(body); m == nil || m[1] != "e:1" {
				t.Errorf("the 409 page's edit form names %v, want e:1, the version now on show", m)
			}
			if got := versions(); got != stored {
				t.Errorf("%d versions stored after the refused edit, want %d", got, stored)
			}
			st, err := h.Store.GetStory(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if st.CurrentVersionKey != "e:1" || st.EditedBy != "ann" {
				t.Errorf("story after the refused edit shows %s edited by %q, want ann's e:1", st.CurrentVersionKey, st.EditedBy)
			}
			audit, err := h.Store.ListAudit(t.Context(), &store.ListAuditParams{Actor: "bob", ObjectType: store.AuditStory})
			if err != nil || len(audit) != 0 {
				t.Errorf("bob's audit rows: %d (%v), want none for a refused edit", len(audit), err)
			}
		})
	}
}

// The event stream sends what happens after the id it is given, with ids
// a reconnecting browser can resume from.
func TestReviewEventStream(t *testing.T) {
	h := newHarness(t)
	h.user(t, "vi", store.RoleViewer)
	c := h.client(t)
	h.login(t, c, "vi")
	if err := h.Store.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreateRule(ctx, &store.CreateRuleParams{Name: "hold all", Action: "hold"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	first := h.apply(t, newsItem("ev1", "First", "<p>One.</p>"))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/desk/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Last-Event-ID", "0")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		var b strings.Builder
		for lines.Scan() {
			if lines.Text() == "" {
				if strings.Contains(b.String(), "event: ") {
					return b.String()
				}
				b.Reset()
				continue
			}
			b.WriteString(lines.Text() + "\n")
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return ""
	}
	ev := next()
	if !strings.Contains(ev, "event: held\n") || !strings.Contains(ev, fmt.Sprintf(`"story_id":%d`, first)) || !strings.HasPrefix(ev, "id: ") {
		t.Errorf("first event:\n%s\nwant the held story %d with an id", ev, first)
	}
	second := h.apply(t, newsItem("ev2", "Second", "<p>Two.</p>"))
	ev = next()
	if !strings.Contains(ev, "event: held\n") || !strings.Contains(ev, fmt.Sprintf(`"story_id":%d`, second)) {
		t.Errorf("event after a new held story:\n%s\nwant story %d", ev, second)
	}
	if status, body := get(t, c, h, "/desk/events?last=x"); status != http.StatusBadRequest {
		t.Errorf("a bad event id: status %d, want 400:\n%s", status, body)
	}
}
