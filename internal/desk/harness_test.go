package desk_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/desk"
	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/site"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/story"
)

// updateScreenshots rewrites docs/screenshots/desk-*.png; without it a
// screenshot is only written when its file is missing, so that running the
// tests does not churn the repository.
var updateScreenshots = flag.Bool("update-screenshots", false, "rewrite docs/screenshots/desk-*.png")

// testPassword is every test account's password.
const testPassword = "correct horse battery staple"

// cheapHash keeps sign-ins fast in tests.
var cheapHash = auth.HashParams{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// harness is a whole wiredesk server for tests: the public site and the
// desk on one handler (with the server's middleware), on a temporary SQLite
// store, with an applier that has no job runner (events are not needed to
// change what pages show).
type harness struct {
	URL     string
	Store   *sqlite.Store
	Auth    *auth.Auth
	Applier *apply.Applier
	Desk    *desk.Desk
}

// newHarness starts the server; it stops when the test ends.
func newHarness(t *testing.T) *harness {
	t.Helper()
	s := dbtest.SQLite(t)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := auth.New(auth.Config{Store: s, Logger: logger, Hash: cheapHash})
	if err != nil {
		t.Fatal(err)
	}
	applier := apply.New(s, nil, nil)
	d, err := desk.New(desk.Config{Store: s, Auth: a, Applier: applier, Logger: logger, SiteName: "Test Wire"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := site.New(site.Config{Store: s, Logger: logger, SiteName: "Test Wire"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	st.Register(mux)
	d.Register(mux)
	srv := httptest.NewServer(server.New(server.Config{Handler: mux, Logger: logger}).Handler())
	t.Cleanup(srv.Close)
	return &harness{URL: srv.URL, Store: s, Auth: a, Applier: applier, Desk: d}
}

// user creates an account with testPassword.
func (h *harness) user(t *testing.T, name string, role store.Role) {
	t.Helper()
	if _, err := h.Auth.CreateUser(t.Context(), &auth.CreateUserParams{Name: name, Role: role, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
}

// apply puts one item through apply as a polled feed would, and returns
// its story id.
func (h *harness) apply(t *testing.T, it *story.Item) int64 {
	t.Helper()
	res, err := h.Applier.Apply(t.Context(), &apply.Params{Item: it, SourceName: "test-feed"})
	if err != nil {
		t.Fatal(err)
	}
	return res.StoryID
}

// newsItem is a usable text item from "Test Agency".
func newsItem(uri, headline, bodyHTML string) *story.Item {
	now := time.Now().UTC().Truncate(time.Second)
	return &story.Item{
		URI: uri, Version: "1", PubStatus: story.Usable, Type: "text", Headline: headline,
		BodyHTML: bodyHTML, BodyText: htmlTagRE.ReplaceAllString(bodyHTML, ""), Language: "en",
		FirstCreated: &now, VersionCreated: &now,
		Source: story.ItemSource{Format: "rss", Agency: "Test Agency", SHA256: strings.Repeat("0", 64)},
	}
}

var htmlTagRE = regexp.MustCompile(`<[^>]*>`)

// client is an HTTP client with its own cookie jar that does not follow
// redirects, for checking status codes.
func (h *harness) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// except with CI=true, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found, and CI=true requires the browser tests: run scripts/ensure-chromium")
	}
	t.Skip("skipping browser test: chromium not found (scripts/ensure-chromium installs it; CI=true makes this a failure)")
	return ""
}

// browser is one headless chromium with a fresh profile, closed when the
// test ends.
type browser struct {
	root context.Context
	// dialogs counts JavaScript dialogs (alert, confirm, prompt) opened in
	// any tab: a script payload that ran would open one.
	dialogs atomic.Int32
}

func (h *harness) browser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers give /dev/shm little room; chromium then crashes tabs.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	// The first context starts the browser; tabs are its children.
	root, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{root: root}
}

// tab opens a tab in a browser context of its own (cookies not shared with
// other tabs), with two minutes to do its work. A JavaScript dialog is
// counted and dismissed, so a test can assert none ever opened.
func (b *browser) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open a chromium tab: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return // the tab is closing
			}
			b.dialogs.Add(1)
			// An open dialog blocks the page; dismiss it so the test goes
			// on to report it.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return ctx
}

// signIn creates an account with role and signs a new tab in through the
// sign-in form, as an editor would.
func (h *harness) signIn(t *testing.T, b *browser, name string, role store.Role) context.Context {
	t.Helper()
	h.user(t, name, role)
	ctx := b.tab(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/desk/"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", name, err)
	}
	path := eval[string](t, ctx, `location.pathname`)
	if !strings.HasPrefix(path, "/desk/") || path == "/desk/login" {
		t.Fatalf("after signing in as %s the browser is at %s", name, path)
	}
	return ctx
}

// do runs actions in the tab and fails the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// open navigates to path and returns the main document's HTTP status.
func (h *harness) open(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	return status(t, ctx, chromedp.Navigate(h.URL+path))
}

// status runs steps that load a page (a navigation, a click on a submit
// button) and returns the HTTP status of the page loaded.
func status(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) int {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("load a page: %v", err)
	}
	return int(resp.Status)
}

// text is the text of the first element matching the CSS selector sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// count is how many elements match the CSS selector sel.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// screenshotDir is where the README's screenshots live.
const screenshotDir = "../../docs/screenshots"

// screenshot saves the full page as docs/screenshots/<name>.png when the
// file is missing or -update-screenshots is given.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	path := filepath.Join(screenshotDir, name+".png")
	if _, err := os.Stat(path); err == nil && !*updateScreenshots {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// login signs an HTTP client in with the form, and returns the session's
// CSRF token as the desk pages carry it.
func (h *harness) login(t *testing.T, c *http.Client, name string) string {
	t.Helper()
	resp, err := c.Get(h.URL + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	token := csrfOf(t, body)
	resp, err = c.PostForm(h.URL+"/desk/login", url.Values{"name": {name}, "password": {testPassword}, "csrf_token": {token}, "next": {"/desk/stories"}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d, want 303", name, resp.StatusCode)
	}
	resp, err = c.Get(h.URL + "/desk/stories")
	if err != nil {
		t.Fatal(err)
	}
	return csrfOf(t, readBody(t, resp))
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf_token field in the page:\n%s", body)
	}
	return m[1]
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// state is a story's state in the store.
func (h *harness) state(t *testing.T, id int64) story.State {
	t.Helper()
	st, err := h.Store.GetStory(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st.State
}

// publicStatus is the status of the story's public URL, redirects
// followed.
func (h *harness) publicStatus(t *testing.T, id int64) int {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/story/%d", h.URL, id))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	return resp.StatusCode
}

// seedSources adds a healthy source whose URL carries a key, and a failing
// one.
func (h *harness) seedSources(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	now := time.Now()
	good, err := h.Store.UpsertSource(ctx, &store.UpsertSourceParams{Name: "agency-top", URL: "https://agency.example/top.xml?key=s3cr3t", Agency: "Example Agency", Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.RecordPoll(ctx, &store.RecordPollParams{SourceID: good.ID, At: now.Add(-2 * time.Hour), NextAttemptAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	bad, err := h.Store.UpsertSource(ctx, &store.UpsertSourceParams{Name: "broken-feed", URL: "https://broken.example/rss", Format: "rss", Agency: "Broken Agency", Interval: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range store.FailingAfter {
		if _, err := h.Store.RecordPoll(ctx, &store.RecordPollParams{SourceID: bad.ID, At: now.Add(time.Duration(i-3) * time.Minute), Err: "HTTP 503 Service Unavailable", NextAttemptAt: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
}
