package desk_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// The browser tests drive Debian's chromium through the desk as an editor
// would: forms, buttons and redirects, no JavaScript of the desk's own.

func TestBrowserSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	h.apply(t, newsItem("s1", "Harbour reopens after storm", "<p>The harbour reopened on Monday.</p>"))

	// A stranger is sent to the sign-in page, and back after signing in.
	ctx := b.tab(t)
	do(t, ctx, chromedp.Navigate(h.URL+"/desk/audit"), chromedp.WaitVisible(chromedp.ID("name")))
	if path := eval[string](t, ctx, `location.pathname + location.search`); path != "/desk/login?next=%2Fdesk%2Faudit" {
		t.Errorf("stranger at /desk/audit was sent to %s, want the sign-in page coming back to /desk/audit", path)
	}
	screenshot(t, ctx, "desk-login")

	h.user(t, "ed", store.RoleEditor)
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("name"), "ed"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(".error")),
	)
	if got := text(t, ctx, `.error`); !strings.Contains(got, "Wrong account name or password") {
		t.Errorf("wrong password: page says %q", got)
	}
	// The form keeps the name, not the password.
	if got := eval[string](t, ctx, `document.getElementById('name').value + '|' + document.getElementById('password').value`); got != "ed|" {
		t.Errorf("after a failed sign-in the form holds %q, want the name only", got)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
	if got := text(t, ctx, `h1`); got != "Audit log" {
		t.Errorf("after sign-in the page is %q, want the audit log asked for first", got)
	}
	if got := text(t, ctx, `.who`); !strings.Contains(got, "ed") || !strings.Contains(got, "editor") {
		t.Errorf("signed-in header says %q, want the name and role", got)
	}
	h.open(t, ctx, "/desk/stories")
	if got := text(t, ctx, `table tbody tr a`); got != "Harbour reopens after storm" {
		t.Errorf("stories page lists %q, want the story", got)
	}
	screenshot(t, ctx, "desk-stories")

	// Sign out ends the session: the desk asks to sign in again.
	do(t, ctx, chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.ID("name")))
	if got := text(t, ctx, `.flash`); got != "You are signed out." {
		t.Errorf("after sign-out the page says %q", got)
	}
	do(t, ctx, chromedp.Navigate(h.URL+"/desk/stories"), chromedp.WaitVisible(chromedp.ID("name")))
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}

func TestBrowserKillStory(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	id := h.apply(t, newsItem("k1", "Minister resigns over harbour contract", "<p>The minister resigned on Tuesday.</p><p>She denied wrongdoing.</p>"))
	h.apply(t, newsItem("k2", "Ferry timetable changes", "<p>Ferries run hourly.</p>"))
	if got := h.publicStatus(t, id); got != http.StatusOK {
		t.Fatalf("public page before the kill: %d, want 200", got)
	}
	ctx := h.signIn(t, b, "ed", store.RoleEditor)

	h.open(t, ctx, "/desk/stories?q=minister")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`table tbody tr a`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)),
	)
	if got := text(t, ctx, `h1`); got != "Minister resigns over harbour contract" {
		t.Fatalf("story page is %q", got)
	}
	screenshot(t, ctx, "desk-story")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`a[href$="/kill"]`)),
		chromedp.WaitVisible(chromedp.ID("reason")),
	)
	screenshot(t, ctx, "desk-confirm-kill")

	// Without ticking the box nothing happens. The browser's own check of
	// the required box is turned off, so the server's is what is tested.
	eval[bool](t, ctx, `document.querySelector('form[action$="/kill"]').noValidate = true`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("reason"), "Legal: a court order bars publication."))
	if got := status(t, ctx, chromedp.Click(chromedp.CSS(`button.danger`))); got != http.StatusBadRequest {
		t.Errorf("kill without confirming: status %d, want 400", got)
	}
	if got := text(t, ctx, `.error`); !strings.Contains(got, "Tick the box") {
		t.Errorf("kill without confirming: page says %q", got)
	}
	if got := h.state(t, id); got != story.Published {
		t.Fatalf("story is %s after an unconfirmed kill, want published", got)
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name="confirm"]`)),
		chromedp.Click(chromedp.CSS(`button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := text(t, ctx, `.flash`); got != fmt.Sprintf("Story %d killed.", id) {
		t.Errorf("after the kill the page says %q", got)
	}
	if got := h.state(t, id); got != story.Killed {
		t.Errorf("story is %s after the kill, want killed", got)
	}

	// 410 at its public URLs, in the browser, with the reason.
	for _, path := range []string{fmt.Sprintf("/story/%d", id), fmt.Sprintf("/story/%d/minister-resigns-over-harbour-contract", id)} {
		if got := h.open(t, ctx, path); got != http.StatusGone {
			t.Errorf("GET %s after the kill: %d, want 410", path, got)
		}
	}
	if got := text(t, ctx, `main`); !strings.Contains(got, "Legal: a court order bars publication.") || strings.Contains(got, "Minister resigns") {
		t.Errorf("410 page says %q: want the reason and not the headline", got)
	}
	h.open(t, ctx, "/")
	if strings.Contains(text(t, ctx, `main`), "Minister resigns") {
		t.Error("the home page still lists the killed story")
	}

	// The audit log has it, filterable by action.
	h.open(t, ctx, "/desk/audit?action=story.kill")
	row := text(t, ctx, `table tbody tr`)
	for _, want := range []string{"ed", "story.kill", fmt.Sprint(id), "Legal: a court order", `"state": "published"`, `"state": "killed"`} {
		if !strings.Contains(row, want) {
			t.Errorf("audit row %q lacks %q", row, want)
		}
	}
	if n := count(t, ctx, `table tbody tr`); n != 1 {
		t.Errorf("audit filtered by story.kill has %d rows, want 1", n)
	}
	h.open(t, ctx, "/desk/audit")
	screenshot(t, ctx, "desk-audit")
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}

// A feed item whose headline and body carry script payloads is shown as
// text on the desk and on the site, and no script ever runs.
func TestBrowserScriptPayloadShownAsText(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	const headline = `Storm <script>alert(1)</script> hits <img src=x onerror=alert(2)> coast`
	it := newsItem("x1", headline, `<p>Winds <img src="x" onerror="alert(3)"> rose.</p><script>alert(4)</script><p onclick="alert(5)">Trees fell.</p>`)
	it.Slugline = `<svg onload=alert(6)>`
	it.Byline = `"><script>alert(7)</script>`
	id := h.apply(t, it)
	ctx := h.signIn(t, b, "ed", store.RoleEditor)

	pages := []struct {
		path, headlineSel string
	}{
		{"/desk/stories", `table tbody tr a`},
		{"/desk/stories?q=storm", `table tbody tr a`},
		{fmt.Sprintf("/desk/stories/%d", id), `h1`},
		{fmt.Sprintf("/desk/stories/%d/kill", id), `.preview strong`},
		{"/", `main h2 a`},
		{fmt.Sprintf("/story/%d", id), `h1`},
	}
	for _, p := range pages {
		if got := h.open(t, ctx, p.path); got != http.StatusOK {
			t.Errorf("%s: status %d", p.path, got)
			continue
		}
		if got := text(t, ctx, p.headlineSel); got != headline {
			t.Errorf("%s: headline shown as %q, want the literal text %q", p.path, got, headline)
		}
		// Shown as text means no element was made of it. The site's
		// structured data is a script element the browser never runs.
		for _, sel := range []string{`script:not([type="application/ld+json"])`, "[onerror]", "[onload]", "[onclick]", "svg", `img[src="x"]`} {
			if n := count(t, ctx, sel); n != 0 {
				t.Errorf("%s: %d %s elements in the page", p.path, n, sel)
			}
		}
		if p.path == fmt.Sprintf("/desk/stories/%d", id) {
			screenshot(t, ctx, "desk-story-script-payload")
		}
	}
	// Give a late handler (an image error) its chance to fire.
	time.Sleep(300 * time.Millisecond)
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: a payload ran", n)
	}
}

// A form posted without its CSRF token is refused with 403, and nothing
// happens.
func TestBrowserFormWithoutCSRFRefused(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	id := h.apply(t, newsItem("c1", "Bridge reopens", "<p>The bridge reopened.</p>"))
	ctx := h.signIn(t, b, "ed", store.RoleEditor)
	h.open(t, ctx, fmt.Sprintf("/desk/stories/%d/kill", id))
	eval[bool](t, ctx, `(document.querySelector('form[action$="/kill"] input[name=csrf_token]').remove(), true)`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("reason"), "test"),
		chromedp.Click(chromedp.CSS(`input[name="confirm"]`)),
	)
	if got := status(t, ctx, chromedp.Click(chromedp.CSS(`button.danger`))); got != http.StatusForbidden {
		t.Errorf("kill posted without its CSRF token: status %d, want 403", got)
	}
	if got := text(t, ctx, `h1`); got != "Forbidden" {
		t.Errorf("page after the tokenless post: %q, want Forbidden", got)
	}
	if got := h.state(t, id); got != story.Published {
		t.Errorf("story is %s after a refused post, want published", got)
	}
}

// A viewer sees no kill button, and the desk refuses a viewer's kill
// however it is sent.
func TestBrowserViewerCannotKill(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	id := h.apply(t, newsItem("v1", "Council approves budget", "<p>The council approved the budget.</p>"))
	ctx := h.signIn(t, b, "vic", store.RoleViewer)

	h.open(t, ctx, fmt.Sprintf("/desk/stories/%d", id))
	if got := text(t, ctx, `h1`); got != "Council approves budget" {
		t.Fatalf("viewer's story page is %q", got)
	}
	if n := count(t, ctx, `a[href$="/kill"], form[action$="/kill"], a[href$="/unpublish"]`); n != 0 {
		t.Errorf("a viewer's story page has %d kill or unpublish controls, want none", n)
	}
	if got := h.open(t, ctx, fmt.Sprintf("/desk/stories/%d/kill", id)); got != http.StatusForbidden {
		t.Errorf("viewer opening the kill page: %d, want 403", got)
	}
	// A forged form with the viewer's own valid token.
	h.open(t, ctx, "/desk/stories")
	forge := fmt.Sprintf(`(() => {
		const f = document.createElement('form');
		f.method = 'post'; f.action = '/desk/stories/%d/kill';
		for (const [k, v] of [['csrf_token', document.querySelector('input[name=csrf_token]').value], ['reason', 'x'], ['confirm', 'yes']]) {
			const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		f.id = 'forged';
		document.body.appendChild(f);
		return true;
	})()`, id)
	eval[bool](t, ctx, forge)
	if got := status(t, ctx, chromedp.Submit(chromedp.ID("forged"))); got != http.StatusForbidden {
		t.Errorf("viewer posting a kill: %d, want 403", got)
	}
	if got := h.state(t, id); got != story.Published {
		t.Errorf("story is %s after a viewer's kill, want published", got)
	}
}

// The sources page shows each source's health, readable on a phone; an
// admin adds a source with the form.
func TestBrowserSources(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	h.seedSources(t)
	ctx := h.signIn(t, b, "ada", store.RoleAdmin)
	h.open(t, ctx, "/desk/sources")
	page := text(t, ctx, `main`)
	for _, want := range []string{"agency-top", "healthy", "broken-feed", "failing", "HTTP 503", "top.xml?redacted"} {
		if !strings.Contains(page, want) {
			t.Errorf("sources page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "s3cr3t") {
		t.Error("the sources page shows a feed's key")
	}
	screenshot(t, ctx, "desk-sources")

	// A phone: the table becomes one card per source, nothing scrolls
	// sideways.
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	h.open(t, ctx, "/desk/sources")
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("on a 390px phone the sources page scrolls sideways")
	}
	screenshot(t, ctx, "desk-sources-phone")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))

	do(t, ctx,
		chromedp.Navigate(h.URL+"/desk/sources/new"),
		chromedp.SendKeys(chromedp.ID("name"), "harbour-wire"),
		chromedp.SendKeys(chromedp.ID("url"), "https://wire.example/feed.xml"),
		chromedp.SendKeys(chromedp.ID("agency"), "Harbour Wire"),
	)
	screenshot(t, ctx, "desk-source-new")
	do(t, ctx, chromedp.Submit(chromedp.ID("name")), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	src, err := h.Store.GetSource(t.Context(), "harbour-wire")
	if err != nil {
		t.Fatalf("source added in the desk is not stored: %v", err)
	}
	if src.URL != "https://wire.example/feed.xml" || src.Agency != "Harbour Wire" || src.Interval != time.Minute {
		t.Errorf("stored source = %s %s %s, want the form's values and 60s", src.URL, src.Agency, src.Interval)
	}
}
