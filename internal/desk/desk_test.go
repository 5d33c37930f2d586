package desk_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/desk"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// These tests speak HTTP to the desk without a browser: statuses, headers,
// cookies and the checks behind every form.

func TestStrangersAreSentToSignIn(t *testing.T) {
	h := newHarness(t)
	c := h.client(t)
	for _, tc := range []struct{ path, want string }{
		{"/desk/", "/desk/login"},
		{"/desk/stories?q=x", "/desk/login?next=%2Fdesk%2Fstories%3Fq%3Dx"},
		{"/desk/audit", "/desk/login?next=%2Fdesk%2Faudit"},
	} {
		resp, err := c.Get(h.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("stranger GET %s: %d to %q, want 303 to %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	// A stranger's POST is refused outright.
	resp, err := c.PostForm(h.URL+"/desk/stories/1/kill", url.Values{"reason": {"x"}, "confirm": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("stranger POST kill: %d, want 403", resp.StatusCode)
	}
}

func TestSignInForm(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	c := h.client(t)
	resp, err := c.Get(h.URL + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	token := csrfOf(t, readBody(t, resp))
	post := func(form url.Values, hdr map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, h.URL+"/desk/login", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp
	}
	good := url.Values{"name": {"ed"}, "password": {testPassword}, "csrf_token": {token}, "next": {"/desk/audit"}}
	for _, tc := range []struct {
		name string
		form url.Values
		hdr  map[string]string
		want int
	}{
		{"no token", url.Values{"name": {"ed"}, "password": {testPassword}}, nil, http.StatusForbidden},
		{"wrong token", url.Values{"name": {"ed"}, "password": {testPassword}, "csrf_token": {"x" + token}}, nil, http.StatusForbidden},
		{"cross-site origin", good, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", good, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"wrong password", url.Values{"name": {"ed"}, "password": {"nope nope nope"}, "csrf_token": {token}}, nil, http.StatusUnauthorized},
	} {
		if resp := post(tc.form, tc.hdr); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	// The failed attempt re-rendered the form with a fresh token.
	resp, err = c.Get(h.URL + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	good.Set("csrf_token", csrfOf(t, readBody(t, resp)))
	resp = post(good, map[string]string{"Origin": h.URL, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/desk/audit" {
		t.Fatalf("sign in: %d to %q, want 303 to /desk/audit", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "wiredesk_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after sign-in")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/desk/" || len(session.Value) != 43 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/desk/, a 32-byte id", session)
	}
	if _, err := h.Store.GetSession(t.Context(), session.Value); err == nil {
		t.Error("the store knows the session by its id itself; it must keep only a hash")
	}
	if _, err := h.Store.GetSession(t.Context(), auth.HashToken(session.Value)); err != nil {
		t.Errorf("the store does not know the session by the SHA-256 of its id: %v", err)
	}
}

func TestNextIsAlwaysADeskPath(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	for _, next := range []string{"//evil.example/", "https://evil.example/desk/", "/story/1", "/desk/login", "/desk\\@evil.example"} {
		c := h.client(t)
		resp, err := c.Get(h.URL + "/desk/login")
		if err != nil {
			t.Fatal(err)
		}
		token := csrfOf(t, readBody(t, resp))
		resp, err = c.PostForm(h.URL+"/desk/login", url.Values{"name": {"ed"}, "password": {testPassword}, "csrf_token": {token}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if got := resp.Header.Get("Location"); got != "/desk/" {
			t.Errorf("sign in with next=%q went to %q, want /desk/", next, got)
		}
	}
}

func TestRoles(t *testing.T) {
	h := newHarness(t)
	id := h.apply(t, newsItem("r1", "Council approves budget", "<p>Approved.</p>"))
	clients := map[store.Role]*http.Client{}
	tokens := map[store.Role]string{}
	for _, role := range []store.Role{store.RoleViewer, store.RoleEditor, store.RoleAdmin} {
		h.user(t, string(role)+"-user", role)
		clients[role] = h.client(t)
		tokens[role] = h.login(t, clients[role], string(role)+"-user")
	}
	if _, err := h.Store.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: "src", URL: "https://example.org/feed", Interval: 60e9}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role   store.Role
		method string
		path   string
		want   int
	}{
		{store.RoleViewer, "GET", "/desk/stories", 200},
		{store.RoleViewer, "GET", fmt.Sprintf("/desk/stories/%d", id), 200},
		{store.RoleViewer, "GET", "/desk/sources", 200},
		{store.RoleViewer, "GET", "/desk/audit", 200},
		{store.RoleViewer, "GET", fmt.Sprintf("/desk/stories/%d/kill", id), 403},
		{store.RoleViewer, "POST", fmt.Sprintf("/desk/stories/%d/unpublish", id), 403},
		{store.RoleViewer, "POST", "/desk/sources/src/pause", 403},
		{store.RoleEditor, "GET", fmt.Sprintf("/desk/stories/%d/kill", id), 200},
		{store.RoleEditor, "GET", "/desk/sources/new", 403},
		{store.RoleEditor, "POST", "/desk/sources/src/pause", 403},
		{store.RoleEditor, "GET", fmt.Sprintf("/desk/stories/%d/restore", id), 409},
		{store.RoleEditor, "GET", fmt.Sprintf("/desk/stories/%d/explode", id), 404},
		{store.RoleEditor, "GET", "/desk/stories/x", 400},
		{store.RoleEditor, "GET", "/desk/stories/999", 404},
		{store.RoleEditor, "GET", "/desk/nowhere", 404},
		{store.RoleAdmin, "GET", "/desk/sources/new", 200},
		{store.RoleAdmin, "POST", "/desk/sources/src/pause", 303},
		{store.RoleAdmin, "POST", "/desk/sources/nosuch/pause", 404},
		{store.RoleEditor, "POST", fmt.Sprintf("/desk/stories/%d/unpublish", id), 303},
	} {
		c := clients[tc.role]
		var resp *http.Response
		var err error
		if tc.method == "GET" {
			resp, err = c.Get(h.URL + tc.path)
		} else {
			resp, err = c.PostForm(h.URL+tc.path, url.Values{"csrf_token": {tokens[tc.role]}, "confirm": {"yes"}, "reason": {"test"}})
		}
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s %s: %d, want %d", tc.role, tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	if got := h.state(t, id); got != story.Unpublished {
		t.Errorf("after the editor's unpublish the story is %s", got)
	}
	if got := h.publicStatus(t, id); got != http.StatusNotFound {
		t.Errorf("public page of an unpublished story: %d, want 404", got)
	}
	src, err := h.Store.GetSource(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	if !src.Paused {
		t.Error("the admin's pause did not pause the source")
	}
}

func TestCSRFRequiredOnEveryPost(t *testing.T) {
	h := newHarness(t)
	id := h.apply(t, newsItem("c1", "Bridge reopens", "<p>Reopened.</p>"))
	h.user(t, "ada", store.RoleAdmin)
	c := h.client(t)
	token := h.login(t, c, "ada")
	if _, err := h.Store.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: "src", URL: "https://example.org/feed", Interval: 60e9}); err != nil {
		t.Fatal(err)
	}
	// The wrong token differs from the right one in its last character,
	// whatever that character is (a fixed "A" was the right one once in
	// sixteen logins: a 32-byte token's last base64 character is one of 16).
	wrong := token[:len(token)-1] + "A"
	if strings.HasSuffix(token, "A") {
		wrong = token[:len(token)-1] + "B"
	}
	posts := []string{
		fmt.Sprintf("/desk/stories/%d/kill", id),
		fmt.Sprintf("/desk/stories/%d/unpublish", id),
		"/desk/sources",
		"/desk/sources/src/pause",
		"/desk/sources/src/test",
		"/desk/logout",
	}
	for _, path := range posts {
		for name, form := range map[string]url.Values{
			"no token":    {"confirm": {"yes"}, "reason": {"x"}, "name": {"n"}, "url": {"https://e.example/"}, "interval": {"60s"}},
			"wrong token": {"csrf_token": {wrong}, "confirm": {"yes"}, "reason": {"x"}},
		} {
			resp, err := c.PostForm(h.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", path, name, resp.StatusCode)
			}
		}
	}
	if got := h.state(t, id); got != story.Published {
		t.Errorf("story is %s after refused posts", got)
	}
	if audit, _ := h.Store.ListAudit(t.Context(), &store.ListAuditParams{Action: "source.pause"}); len(audit) != 0 {
		t.Error("a refused post was audited as done")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	c := h.client(t)
	resp, err := c.Get(h.URL + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("desk CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("desk CSP %q allows inline code", csp)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("desk page Cache-Control %q, want no-store", got)
	}
	resp, err = c.Get(h.URL + "/desk/static/desk.css")
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "table.cards") {
		t.Errorf("desk.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/desk/static/nope.css", "/desk/static/..%2fdesk.go"} {
		resp, err = c.Get(h.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	s := dbtest.SQLite(t)
	a, err := auth.New(auth.Config{Store: s, Hash: cheapHash})
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Config{Store: s, Auth: a, Applier: apply.New(s, nil, nil), SecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/desk/login", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatal("the sign-in page set no cookie")
	}
	for _, ck := range cookies {
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure with SecureCookies set", ck.Name)
		}
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	c := h.client(t)
	token := h.login(t, c, "ed")
	u, _ := url.Parse(h.URL + "/desk/")
	var session string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "wiredesk_session" {
			session = ck.Value
		}
	}
	resp, err := c.PostForm(h.URL+"/desk/logout", url.Values{"csrf_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if _, err := h.Store.GetSession(t.Context(), auth.HashToken(session)); err == nil {
		t.Error("the session row outlived sign-out")
	}
	// The old cookie, replayed, is a stranger's.
	replay := h.client(t)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "wiredesk_session", Value: session, Path: "/desk/"}})
	resp, err = replay.Get(h.URL + "/desk/stories")
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("replayed cookie after sign-out: %d, want 303 to sign in", resp.StatusCode)
	}
}

func TestSignInRateLimited(t *testing.T) {
	h := newHarness(t)
	h.user(t, "ed", store.RoleEditor)
	c := h.client(t)
	var last int
	for range 6 {
		resp, err := c.Get(h.URL + "/desk/login")
		if err != nil {
			t.Fatal(err)
		}
		token := csrfOf(t, readBody(t, resp))
		resp, err = c.PostForm(h.URL+"/desk/login", url.Values{"name": {"ed"}, "password": {"wrong wrong wrong"}, "csrf_token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("sixth failed sign-in: %d, want 429", last)
	}
}

// Testing a source fetches it once and shows its items, storing nothing.
func TestSourceTestPreviewsWithoutStoring(t *testing.T) {
	feed, err := os.ReadFile("../demo/testdata/initial.rss")
	if err != nil {
		t.Fatal(err)
	}
	agency := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(feed)
	}))
	t.Cleanup(agency.Close)
	h := newHarness(t)
	if _, err := h.Store.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: "harbour", URL: agency.URL + "/feed.rss", Agency: "Harbour Wire Service", Interval: 60e9, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	h.user(t, "ed", store.RoleEditor)
	c := h.client(t)
	token := h.login(t, c, "ed")
	resp, err := c.PostForm(h.URL+"/desk/sources/harbour/test", url.Values{"csrf_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("source test: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"format rss", "items", `class="preview"`} {
		if !strings.Contains(body, want) {
			t.Errorf("source test page lacks %q", want)
		}
	}
	if n, err := h.Store.CountStories(t.Context()); err != nil || n != 0 {
		t.Errorf("after a source test the store has %d stories (%v), want none", n, err)
	}
	audit, err := h.Store.ListAudit(t.Context(), &store.ListAuditParams{Action: "source.test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Actor != "ed" || audit[0].ObjectID != "harbour" {
		t.Errorf("source test audit = %+v, want one row by ed for harbour", audit)
	}
}
