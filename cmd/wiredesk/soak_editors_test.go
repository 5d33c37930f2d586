package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/story"
)

var editorRounds = flag.Int("soak-editor-rounds", 40, "actions each editor takes in TestConcurrentEditors (make soak raises it)")

// The editors' test runs with four editors on six stories: few enough
// stories that the editors and the agency meet on the same ones all the
// time.
const (
	edEditors       = 4
	edStoriesPerSrc = 3
	edPassword      = "soak editor password 1234"
	edPushSecret    = "soak-editors-push-secret"
	edAgency        = "Soak Editors Wire"
)

// edSources are the two push sources: stories from the first are
// published at once, those from the second are held for review (an
// editor sets that default through the desk at the start).
var edSources = []string{"wire", "review-wire"}

// edStory is one story of the test, known by its agency id.
type edStory struct {
	source string
	uri    string
	id     int64
	// next is the next agency version number to push.
	next atomic.Int64
}

// soakG2 is a NewsML-G2 newsMessage carrying version n of story k of an
// agency, usable or (status "canceled") a kill. Each version has a
// headline of its own, so a headline tells which version an editor saw.
func soakG2(agency, uri string, k, n int, status string) []byte {
	at := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute).Format(time.RFC3339)
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header><sent>%s</sent></header><itemSet>
<newsItem guid="%s" version="%d" standard="NewsML-G2" standardversion="2.29">
<itemMeta><itemClass qcode="ninat:text"/><provider literal="%s"/><versionCreated>%s</versionCreated><pubStatus qcode="stat:%s"/></itemMeta>
<contentMeta><headline>Soak story %d, agency version %d</headline></contentMeta>
<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body><p>%s.</p><p>Agency text of version %d.</p></body></html></inlineXML></contentSet>
</newsItem></itemSet></newsMessage>`, at, uri, n, agency, at, status, k, n, storyWords(k), n)
}

// pushSigned pushes body to POST /ingest/{source}, signed as an agency
// signs, and returns the status and the answer.
func pushSigned(ctx context.Context, c *http.Client, base, source, secret string, body []byte, msgID string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/ingest/"+source, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", ingest.Sign(secret, msgID, ts, body))
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// edEditor is one editor: an account and the session of one browser.
type edEditor struct {
	name string
	c    *http.Client
}

// newDeskClient is a browser-like client for the desk: its own cookie jar,
// and redirects not followed so that a POST's 303 is seen.
func newDeskClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// deskSignIn signs c in through the desk's sign-in form.
func deskSignIn(c *http.Client, base, name, password string) error {
	code, page, err := deskGet(c, base+"/desk/login")
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("sign-in page: %d %v", code, err)
	}
	f, ok := parseForms(page)["/desk/login"]
	if !ok {
		return errors.New("sign-in page has no form")
	}
	f.Set("name", name)
	f.Set("password", password)
	code, body, _, err := deskPost(c, base+"/desk/login", f)
	if err != nil || code != http.StatusSeeOther {
		return fmt.Errorf("sign in as %s: status %d, %v\n%s", name, code, err, body)
	}
	return nil
}

func deskGet(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// deskPost posts a form as a browser does from a page of the same site.
func deskPost(c *http.Client, u string, form url.Values) (int, string, string, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location"), err
}

var (
	formRE     = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	actionRE   = regexp.MustCompile(`\baction="([^"]*)"`)
	inputRE    = regexp.MustCompile(`<input\b[^>]*>`)
	nameRE     = regexp.MustCompile(`\bname="([^"]*)"`)
	valueRE    = regexp.MustCompile(`\bvalue="([^"]*)"`)
	typeRE     = regexp.MustCompile(`\btype="([^"]*)"`)
	textareaRE = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	h1RE       = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// parseForms reads a page's forms by their action: every field a browser
// would send as the page stands (inputs with their values, textareas with
// their text; checkboxes are left for the caller to tick). Sending every
// field, hidden ones included, is what keeps the test true to the forms
// as they change.
func parseForms(page string) map[string]url.Values {
	forms := map[string]url.Values{}
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		a := actionRE.FindStringSubmatch(m[1])
		if a == nil {
			continue
		}
		fields := url.Values{}
		for _, in := range inputRE.FindAllString(m[2], -1) {
			n := nameRE.FindStringSubmatch(in)
			if n == nil {
				continue
			}
			if t := typeRE.FindStringSubmatch(in); t != nil && (t[1] == "checkbox" || t[1] == "radio" || t[1] == "submit") {
				continue
			}
			v := ""
			if vm := valueRE.FindStringSubmatch(in); vm != nil {
				v = html.UnescapeString(vm[1])
			}
			fields.Add(html.UnescapeString(n[1]), v)
		}
		for _, ta := range textareaRE.FindAllStringSubmatch(m[2], -1) {
			if n := nameRE.FindStringSubmatch(ta[1]); n != nil {
				fields.Add(html.UnescapeString(n[1]), html.UnescapeString(ta[2]))
			}
		}
		forms[html.UnescapeString(a[1])] = fields
	}
	return forms
}

// edOp is one action an editor tried: what, on which story, and what the
// server answered.
type edOp struct {
	editor string
	story  *edStory
	action string // kill, unpublish, restore, approve, reject, accept, ignore, edit
	// token is the note or reason the form carried, unique to the op, so
	// that its audit row can be found; "" for forms without such a field.
	token string
	// sawHeadline is the headline in the edit form the editor loaded;
	// newHeadline the one the editor wrote.
	sawHeadline, newHeadline string
	status                   int
	body                     string
	err                      error
	start, end               time.Time
}

func (o *edOp) acked() bool { return o.err == nil && o.status == http.StatusSeeOther }

func (o *edOp) refused() bool { return o.err == nil && o.status == http.StatusConflict }

func (o *edOp) String() string {
	return fmt.Sprintf("%s %s story %d (%s) → %d", o.editor, o.action, o.story.id, o.token, o.status)
}

// edRun is one run of the editors' test on one backend.
type edRun struct {
	t       *testing.T
	base    string
	store   store.Store
	stories []*edStory
	editors []*edEditor
	push    *http.Client

	mu  sync.Mutex
	ops []*edOp
	// pushed is every agency version the server acknowledged (202), by
	// story.
	pushed map[*edStory][]int
	// unexpected collects answers that are neither an acknowledgement
	// nor a refusal; the test fails on any.
	unexpected []string
	// getRefusals counts confirmation pages refused (409) because the
	// story had moved on: not actions, but a sign the rounds overlap.
	getRefusals int
}

func (r *edRun) record(op *edOp) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
	if !op.acked() && !op.refused() {
		r.unexpected = append(r.unexpected, fmt.Sprintf("%v after %s: %v\n%s", op, op.end.Sub(op.start).Round(time.Millisecond), op.err, excerpt(op.body)))
	}
}

func (r *edRun) unexpectedf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unexpected = append(r.unexpected, fmt.Sprintf(format, args...))
}

// excerpt is the text of an error page, shortened, for failure messages.
func excerpt(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	page = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " ")
	page = strings.Join(strings.Fields(html.UnescapeString(page)), " ")
	if len(page) > 300 {
		page = page[:300] + "…"
	}
	return page
}

// pushVersion pushes version n of st and records it when acknowledged.
func (r *edRun) pushVersion(ctx context.Context, st *edStory, k, n int) {
	body := soakG2(edAgency, st.uri, k, n, "usable")
	start := time.Now()
	code, answer, err := pushSigned(ctx, r.push, r.base, st.source, edPushSecret, body, fmt.Sprintf("msg_%s_%d_%d", st.uri, n, rand.Int64()))
	if err != nil || code != http.StatusAccepted {
		r.unexpectedf("push of %s version %d: status %d after %s, %v: %s", st.uri, n, code, time.Since(start).Round(time.Millisecond), err, answer)
		return
	}
	r.mu.Lock()
	r.pushed[st] = append(r.pushed[st], n)
	r.mu.Unlock()
}

// storyIndex is st's number, which picks its words.
func (r *edRun) storyIndex(st *edStory) int { return slices.Index(r.stories, st) }

// act is one round of one editor: open a story's page in the desk, pick
// one of the actions it offers, pause as a person reading would, and send
// the form. It returns the op, or nil when the page offered nothing to do.
func (r *edRun) act(e *edEditor, rnd *rand.Rand, n int) *edOp {
	st := r.stories[rnd.IntN(len(r.stories))]
	token := fmt.Sprintf("op-%s-%d", e.name, n)
	think := func() { time.Sleep(time.Duration(rnd.IntN(20)) * time.Millisecond) }
	if rnd.IntN(10) < 4 {
		// The story page and a confirmation: kill, unpublish, restore.
		code, page, err := deskGet(e.c, fmt.Sprintf("%s/desk/stories/%d", r.base, st.id))
		if err != nil || code != http.StatusOK {
			r.unexpectedf("%s: story page %d: %d %v", e.name, st.id, code, err)
			return nil
		}
		links := regexp.MustCompile(fmt.Sprintf(`href="/desk/stories/%d/(kill|unpublish|restore)"`, st.id)).FindAllStringSubmatch(page, -1)
		if len(links) == 0 {
			return nil
		}
		action := links[rnd.IntN(len(links))][1]
		path := fmt.Sprintf("/desk/stories/%d/%s", st.id, action)
		code, page, err = deskGet(e.c, r.base+path)
		if code == http.StatusConflict {
			r.mu.Lock()
			r.getRefusals++
			r.mu.Unlock()
			return nil
		}
		if err != nil || code != http.StatusOK {
			r.unexpectedf("%s: confirmation page %s: %d %v", e.name, path, code, err)
			return nil
		}
		form, ok := parseForms(page)[path]
		if !ok {
			r.unexpectedf("%s: confirmation page %s has no form", e.name, path)
			return nil
		}
		form.Set("reason", token)
		form.Set("confirm", "yes")
		think()
		op := &edOp{editor: e.name, story: st, action: action, token: token, start: time.Now()}
		op.status, op.body, _, op.err = deskPost(e.c, r.base+path, form)
		op.end = time.Now()
		return op
	}
	// The review page: approve, reject, accept, ignore, edit.
	code, page, err := deskGet(e.c, fmt.Sprintf("%s/desk/review/%d", r.base, st.id))
	if err != nil || code != http.StatusOK {
		r.unexpectedf("%s: review page %d: %d %v", e.name, st.id, code, err)
		return nil
	}
	forms := parseForms(page)
	var offered []string
	for _, a := range []string{"approve", "reject", "accept", "ignore", "edit"} {
		if _, ok := forms[fmt.Sprintf("/desk/review/%d/%s", st.id, a)]; ok {
			offered = append(offered, a)
		}
	}
	if len(offered) == 0 {
		return nil
	}
	action := offered[rnd.IntN(len(offered))]
	path := fmt.Sprintf("/desk/review/%d/%s", st.id, action)
	form := forms[path]
	op := &edOp{editor: e.name, story: st, action: action}
	if h := h1RE.FindStringSubmatch(page); h != nil {
		op.sawHeadline = html.UnescapeString(h[1])
	}
	if action == "edit" {
		op.token = token
		op.sawHeadline = form.Get("headline")
		op.newHeadline = fmt.Sprintf("Soak story %d, edited by %s in round %d", r.storyIndex(st), e.name, n)
		form.Set("headline", op.newHeadline)
		if rnd.IntN(3) == 0 {
			form.Set("body", form.Get("body")+"\n\nA line "+e.name+" added in round "+strconv.Itoa(n)+".")
		}
		form.Set("note", token)
	}
	think()
	op.start = time.Now()
	op.status, op.body, _, op.err = deskPost(e.c, r.base+path, form)
	op.end = time.Now()
	return op
}

// TestConcurrentEditors runs `wiredesk serve` with agency pushes of new
// versions of a few stories while several editors, each signed in with
// their own account and session, act on the same stories through the
// desk's forms at once: edit, kill, unpublish, restore, approve, reject,
// accept and ignore agency updates. On SQLite and on PostgreSQL it checks
// that nothing the server acknowledged was lost or recorded twice, that
// every refusal was a clear conflict, that no action took effect on a
// state it did not see, and that agency versions stayed in order.
func TestConcurrentEditors(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("soak test skipped in -short mode")
	}
	// Each backend gives the server's environment, and a way to open the
	// same database from the test once the server has migrated it.
	backends := []struct {
		name string
		open func(t *testing.T) (map[string]string, func() store.Store)
	}{
		{"sqlite", func(t *testing.T) (map[string]string, func() store.Store) {
			data := t.TempDir()
			return map[string]string{"WIREDESK_DATA": data}, func() store.Store {
				s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(data, "wiredesk.db")})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		}},
		{"postgres", func(t *testing.T) (map[string]string, func() store.Store) {
			pg := dbtest.Postgres(t)
			return map[string]string{"WIREDESK_DATABASE_URL": dbtest.PostgresURL() + "&search_path=" + pg.Schema()},
				func() store.Store { return pg }
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			env, open := be.open(t)
			testConcurrentEditors(t, env, open)
		})
	}
}

func testConcurrentEditors(t *testing.T, env map[string]string, open func() store.Store) {
	ctx := t.Context()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d editors × %d rounds", seed, edEditors, *editorRounds)

	var sources []map[string]any
	for _, name := range edSources {
		sources = append(sources, map[string]any{
			"name": name, "url": "https://" + name + ".example/feed.xml", "agency": edAgency,
			"paused": true, "push_secret": edPushSecret,
		})
	}
	cfg, _ := json.Marshal(map[string]any{"sources": sources})
	cfgFile := filepath.Join(t.TempDir(), "wiredesk.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	env["WIREDESK_CONFIG"] = cfgFile
	env["WIREDESK_LOG_LEVEL"] = "warn"
	// The test talks plain HTTP to 127.0.0.1.
	env["WIREDESK_DESK_SECURE_COOKIES"] = "false"
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate"}, nil, &out, &out, envFunc(env)); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	r := &edRun{t: t, pushed: map[*edStory][]int{}, push: &http.Client{Timeout: 30 * time.Second}}
	for i := range edEditors {
		name := fmt.Sprintf("editor-%d", i+1)
		out.Reset()
		if err := run(ctx, []string{"user", "add", name, "--role", "editor"}, strings.NewReader(edPassword+"\n"), &out, &out, envFunc(env)); err != nil {
			t.Fatalf("user add %s: %v\n%s", name, err, out.String())
		}
		r.editors = append(r.editors, &edEditor{name: name, c: newDeskClient()})
	}
	addr := freeAddr(t)
	log := startCommand(t, envFunc(env), "serve", "--addr", addr)
	r.base = "http://" + addr
	waitServing(t, r.base, log)
	r.store = open()

	for _, e := range r.editors {
		if err := deskSignIn(e.c, r.base, e.name, edPassword); err != nil {
			t.Fatal(err)
		}
	}
	// Stories from review-wire wait for an editor: set through the desk,
	// as an editor would.
	first := r.editors[0]
	_, page, err := deskGet(first.c, r.base+"/desk/rules")
	if err != nil {
		t.Fatal(err)
	}
	form, ok := parseForms(page)["/desk/rules/defaults"]
	if !ok {
		t.Fatalf("the rules page has no form for a source's default:\n%s", excerpt(page))
	}
	form.Set("source", "review-wire")
	form.Set("action", "hold")
	if code, body, _, err := deskPost(first.c, r.base+"/desk/rules/defaults", form); err != nil || code != http.StatusSeeOther {
		t.Fatalf("set review-wire's default to hold: %d %v\n%s", code, err, excerpt(body))
	}

	for _, src := range edSources {
		for range edStoriesPerSrc {
			st := &edStory{source: src, uri: fmt.Sprintf("urn:newsml:soak.example:2026:%s-%d", src, len(r.stories))}
			st.next.Store(2)
			r.stories = append(r.stories, st)
			r.pushVersion(ctx, st, len(r.stories)-1, 1)
		}
	}
	initial := map[*edStory]story.State{}
	for _, st := range r.stories {
		s, err := r.lookup(ctx, st.uri)
		if err != nil {
			t.Fatalf("story %s after its first push: %v (unexpected: %v)", st.uri, err, r.unexpected)
		}
		st.id = s.ID
		initial[st] = s.State
		want := story.Published
		if st.source == "review-wire" {
			want = story.Held
		}
		if s.State != want {
			t.Fatalf("story %s from %s starts %s, want %s", st.uri, st.source, s.State, want)
		}
	}

	r.staleEditProbe()

	// The rounds: every editor at once, and the agency pushing new
	// versions of the same stories meanwhile, two pushes at a time so
	// that versions of one story also arrive out of order. Pushes in
	// flight when the rounds end are let finish: one cut off might be
	// stored without the test knowing it was.
	var stopPushing atomic.Bool
	var pushers sync.WaitGroup
	for p := range 2 {
		pushers.Add(1)
		go func() {
			defer pushers.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(100+p)))
			for !stopPushing.Load() {
				k := rnd.IntN(len(r.stories))
				st := r.stories[k]
				switch roll := rnd.IntN(8); {
				case roll == 0:
					// Two versions out of order: the newer first, as
					// when an agency's deliveries overtake each other.
					n := int(st.next.Add(2) - 2)
					r.pushVersion(ctx, st, k, n+1)
					r.pushVersion(ctx, st, k, n)
				case roll == 1 && st.next.Load() > 2:
					// A re-delivery of a version already sent.
					r.pushVersion(ctx, st, k, 1+rnd.IntN(int(st.next.Load())-2))
				default:
					r.pushVersion(ctx, st, k, int(st.next.Add(1)-1))
				}
				time.Sleep(time.Duration(rnd.IntN(15)) * time.Millisecond)
			}
		}()
	}
	var editing sync.WaitGroup
	for i, e := range r.editors {
		editing.Add(1)
		go func() {
			defer editing.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(i)))
			for n := range *editorRounds {
				if op := r.act(e, rnd, n); op != nil {
					r.record(op)
				}
			}
		}()
	}
	editing.Wait()
	stopPushing.Store(true)
	pushers.Wait()

	for _, u := range r.unexpected {
		t.Errorf("neither acknowledged nor refused as a conflict: %s", u)
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", tail(log.String(), 40))
	}
	acked, refused := 0, 0
	for _, op := range r.ops {
		switch {
		case op.acked():
			acked++
		case op.refused():
			refused++
		}
	}
	t.Logf("%d actions: %d acknowledged, %d refused as conflicts, %d confirmation pages refused; %d agency versions pushed",
		len(r.ops), acked, refused, r.getRefusals, r.pushedCount())
	if acked == 0 || refused == 0 {
		t.Errorf("the rounds did not both act and collide (%d acknowledged, %d refused): the test proved little", acked, refused)
	}

	audit := r.auditLog(ctx)
	r.checkAudit(audit)
	r.checkChains(ctx, audit, initial)
	r.checkVersions(ctx, audit)
	r.checkNewestWins(ctx)
	r.checkStaleEdits(ctx, audit)

	// A last version of every story, with nobody else acting: it shows
	// on a story nobody protects, waits on an edited one, and changes
	// nothing on a killed one.
	final := map[*edStory]int{}
	for k, st := range r.stories {
		final[st] = int(st.next.Add(1) - 1)
		r.pushVersion(ctx, st, k, final[st])
	}
	r.checkFinalPush(ctx, final)
	r.checkSite(ctx)
}

// waitServing waits for /healthz to answer 200.
func waitServing(t *testing.T, base string, log *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get(t, base+"/healthz"); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy within 30s\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *edRun) pushedCount() int {
	n := 0
	for _, vs := range r.pushed {
		n += len(vs)
	}
	return n
}

// lookup finds a story by its agency id through the store.
func (r *edRun) lookup(ctx context.Context, uri string) (*story.Story, error) {
	list, err := r.store.ListDeskStories(ctx, &store.ListDeskStoriesParams{Limit: 500})
	if err != nil {
		return nil, err
	}
	var found *story.Story
	for _, s := range list {
		if s.URI == uri {
			if found != nil {
				return nil, fmt.Errorf("two stories for %s: %d and %d", uri, found.ID, s.ID)
			}
			found = s
		}
	}
	if found == nil {
		return nil, store.ErrNotFound
	}
	return r.store.GetStory(ctx, found.ID)
}

// staleEditProbe is the lost update every desk meets sooner or later, made
// to happen once for sure: two editors open the same story's edit form,
// the first saves, then the second saves the form it loaded before the
// first edit. The second must be refused as a conflict, or it silently
// replaces the first editor's words (checkStaleEdits finds it).
func (r *edRun) staleEditProbe() {
	st := r.stories[0]
	path := fmt.Sprintf("/desk/review/%d/edit", st.id)
	var forms [2]url.Values
	for i := range forms {
		_, page, err := deskGet(r.editors[i].c, fmt.Sprintf("%s/desk/review/%d", r.base, st.id))
		if err != nil {
			r.t.Fatal(err)
		}
		f, ok := parseForms(page)[path]
		if !ok {
			r.t.Fatalf("story %d's review page has no edit form:\n%s", st.id, excerpt(page))
		}
		forms[i] = f
	}
	for i, f := range forms {
		e := r.editors[i]
		op := &edOp{editor: e.name, story: st, action: "edit", token: fmt.Sprintf("probe-%s", e.name),
			sawHeadline: f.Get("headline"), newHeadline: fmt.Sprintf("Soak story 0, edited by %s in the probe", e.name)}
		f.Set("headline", op.newHeadline)
		f.Set("note", op.token)
		op.start = time.Now()
		op.status, op.body, _, op.err = deskPost(e.c, r.base+path, f)
		op.end = time.Now()
		r.record(op)
	}
}

// auditLog reads the whole audit log, oldest first.
func (r *edRun) auditLog(ctx context.Context) []*store.AuditEntry {
	var all []*store.AuditEntry
	p := &store.ListAuditParams{Limit: 1000}
	for {
		page, err := r.store.ListAudit(ctx, p)
		if err != nil {
			r.t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < p.Limit {
			break
		}
		p.BeforeID = page[len(page)-1].ID
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// auditAction is the audit log's name of a desk action.
var auditAction = map[string]string{
	"kill": "story.kill", "unpublish": "story.unpublish", "restore": "story.restore",
	"approve": "story.approve", "reject": "story.reject", "edit": "story.edit",
	"accept": "story.accept_update", "ignore": "story.ignore_update",
}

// checkAudit: every acknowledged action is in the audit log exactly once,
// under its editor, action and story; no refused one is; nothing else
// acted on a story.
func (r *edRun) checkAudit(audit []*store.AuditEntry) {
	t := r.t
	key := func(actor, action, object string) string { return actor + " " + action + " " + object }
	want := map[string]int{}
	for _, op := range r.ops {
		if op.acked() {
			want[key(op.editor, auditAction[op.action], strconv.FormatInt(op.story.id, 10))]++
		}
	}
	got := map[string]int{}
	byNote := map[string][]*store.AuditEntry{}
	for _, e := range audit {
		if e.ObjectType != store.AuditStory {
			continue
		}
		got[key(e.Actor, e.Action, e.ObjectID)]++
		if e.Note != "" {
			byNote[e.Note] = append(byNote[e.Note], e)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("story actions in the audit log (editor action story: count) differ from those acknowledged (-acknowledged +logged):\n%s", diff)
	}
	for _, op := range r.ops {
		if op.token == "" {
			continue
		}
		rows := byNote[op.token]
		switch {
		case op.acked() && len(rows) != 1:
			t.Errorf("%v: acknowledged, and in the audit log %d times", op, len(rows))
		case op.acked() && (rows[0].Actor != op.editor || rows[0].Action != auditAction[op.action] || rows[0].ObjectID != strconv.FormatInt(op.story.id, 10)):
			t.Errorf("%v: its audit row says %s %s %s", op, rows[0].Actor, rows[0].Action, rows[0].ObjectID)
		case op.refused() && len(rows) != 0:
			t.Errorf("%v: refused, yet in the audit log %d times", op, len(rows))
		}
	}
}

// auditSide is what the audit log keeps of a story before or after an
// action, whichever of the shapes the action writes.
type auditSide struct {
	State      story.State `json:"state"`
	Version    string      `json:"version"`
	Headline   string      `json:"headline"`
	BodySHA256 string      `json:"body_sha256"`
}

func sidesOf(t *testing.T, e *store.AuditEntry) (before, after auditSide) {
	t.Helper()
	if len(e.Before) > 0 {
		if err := json.Unmarshal(e.Before, &before); err != nil {
			t.Fatalf("audit row %d before: %v", e.ID, err)
		}
	}
	if len(e.After) > 0 {
		if err := json.Unmarshal(e.After, &after); err != nil {
			t.Fatalf("audit row %d after: %v", e.ID, err)
		}
	}
	return before, after
}

// stateActions are the audited actions that change a story's state. In
// this test nothing else does: the agency sends only usable versions, so
// ingest leaves a state as it is once a story exists.
var stateActions = map[string]bool{
	"story.kill": true, "story.unpublish": true, "story.restore": true,
	"story.approve": true, "story.reject": true, "story.accept_update": true,
}

// checkChains walks each story's audit rows in order: every state change
// must start from the state the previous one left (else a change was lost,
// or made on a state its editor never saw), a kill must be undone only by
// a restore, no edit may land on a killed story, every row must name the
// version that was on show, and the story must end in the state the last
// row left.
func (r *edRun) checkChains(ctx context.Context, audit []*store.AuditEntry, initial map[*edStory]story.State) {
	t := r.t
	var noVersion []string
	for _, st := range r.stories {
		state := initial[st]
		id := strconv.FormatInt(st.id, 10)
		for _, e := range audit {
			if e.ObjectType != store.AuditStory || e.ObjectID != id {
				continue
			}
			before, after := sidesOf(t, e)
			what := fmt.Sprintf("story %d, audit row %d (%s by %s)", st.id, e.ID, e.Action, e.Actor)
			if before.Version == "" && e.Action != "story.ignore_update" {
				noVersion = append(noVersion, fmt.Sprintf("%s: before %s", what, e.Before))
			}
			switch {
			case e.Action == "story.edit" && state == story.Killed:
				t.Errorf("%s: an edit of a killed story was accepted", what)
			case !stateActions[e.Action]:
				continue
			case state == story.Killed && e.Action != "story.restore":
				t.Errorf("%s: the story was killed, and %s undid it without a restore", what, e.Action)
			case before.State != state:
				t.Errorf("%s: starts from %s, but the previous change left the story %s: a change was lost or made on a state its editor never saw", what, before.State, state)
			}
			state = after.State
		}
		s, err := r.store.GetStory(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		if s.State != state {
			t.Errorf("story %d ends %s, but the last change in the audit log left it %s", st.id, s.State, state)
		}
	}
	if len(noVersion) > 0 {
		t.Errorf("%d audited actions name no version on show before them, though every story has had one since its first push (the action read the story without its version); the first:\n  %s",
			len(noVersion), strings.Join(noVersion[:min(len(noVersion), 5)], "\n  "))
	}
}

// versionNumber is the agency version number of a "v:<n>" key; 0 for an
// editor's version.
func versionNumber(key string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(key, "v:"))
	if err != nil || !strings.HasPrefix(key, "v:") {
		return 0
	}
	return n
}

// checkVersions: every agency version acknowledged is stored exactly once,
// and nothing else; every acknowledged edit is one editor version, "e:1"
// upwards without gaps; one story per agency id.
func (r *edRun) checkVersions(ctx context.Context, audit []*store.AuditEntry) {
	t := r.t
	list, err := r.store.ListDeskStories(ctx, &store.ListDeskStoriesParams{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(r.stories) {
		t.Errorf("%d stories stored, want %d (one per agency id)", len(list), len(r.stories))
	}
	edits := map[int64]map[string]bool{}
	for _, e := range audit {
		if e.Action == "story.edit" {
			id, _ := strconv.ParseInt(e.ObjectID, 10, 64)
			_, after := sidesOf(t, e)
			if edits[id] == nil {
				edits[id] = map[string]bool{}
			}
			if edits[id][after.Version] {
				t.Errorf("story %d: two edits in the audit log made version %s", id, after.Version)
			}
			edits[id][after.Version] = true
		}
	}
	for _, st := range r.stories {
		versions, err := r.store.ListVersions(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		var agency []int
		editor := map[string]bool{}
		for _, v := range versions {
			seen[v.Key]++
			if n := versionNumber(v.Key); n > 0 {
				agency = append(agency, n)
			} else {
				editor[v.Key] = true
			}
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("story %d: version %s stored %d times", st.id, k, n)
			}
		}
		want := slices.Clone(r.pushed[st])
		slices.Sort(want)
		want = slices.Compact(want)
		slices.Sort(agency)
		if diff := cmp.Diff(want, agency); diff != "" {
			t.Errorf("story %d: agency versions stored differ from those acknowledged (-pushed +stored):\n%s", st.id, diff)
		}
		wantEditor := map[string]bool{}
		for i := range len(editor) {
			wantEditor["e:"+strconv.Itoa(i+1)] = true
		}
		if diff := cmp.Diff(wantEditor, editor); diff != "" {
			t.Errorf("story %d: editor versions are not e:1 upwards without gaps (-want +stored):\n%s", st.id, diff)
		}
		audited := edits[st.id]
		if audited == nil {
			audited = map[string]bool{}
		}
		if diff := cmp.Diff(audited, editor); diff != "" {
			t.Errorf("story %d: editor versions differ from the edits in the audit log (-audit +stored):\n%s", st.id, diff)
		}
	}
}

// checkNewestWins checks DESIGN §4 rules 3 and 8 once the rounds are
// over: an agency version was only ever applied when newer than the one
// applied before it; a story nobody protects shows the newest agency
// version received, unless it is killed; and the update waiting on an
// edited story, when there is one, is the newest received.
func (r *edRun) checkNewestWins(ctx context.Context) {
	t := r.t
	for _, st := range r.stories {
		s, err := r.store.GetStory(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		versions, err := r.store.ListVersions(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(versions, func(i, j int) bool { return versions[i].ID < versions[j].ID })
		newest, lastApplied := 0, 0
		var lastAppliedRow int64
		byID := map[int64]*store.Version{}
		for _, v := range versions {
			byID[v.ID] = v
			n := versionNumber(v.Key)
			if n == 0 {
				continue
			}
			newest = max(newest, n)
			if v.Applied {
				if n <= lastApplied {
					t.Errorf("story %d: agency version %d (row %d, received %s) was put on show (on arrival, or by an accept), though version %d (row %d) had come before it: rule 3, an older version arriving late never overwrites",
						st.id, n, v.ID, v.ReceivedAt.Format("15:04:05.000"), lastApplied, lastAppliedRow)
				}
				if n > lastApplied {
					lastApplied, lastAppliedRow = n, v.ID
				}
			}
		}
		switch {
		case s.State == story.Killed:
		case s.EditedBy == "":
			if got := versionNumber(s.CurrentVersionKey); got != newest {
				t.Errorf("story %d (%s, not edited) shows %s, but agency version %d was received", st.id, s.State, s.CurrentVersionKey, newest)
			}
		case s.PendingVersionID != 0:
			p := byID[s.PendingVersionID]
			if p == nil || versionNumber(p.Key) != newest {
				key := "none"
				if p != nil {
					key = p.Key
				}
				t.Errorf("story %d (edited by %s) offers agency update %s, but version %d had been received: an older version arriving late replaced the pending one", st.id, s.EditedBy, key, newest)
			}
		}
	}
}

// auditRowsOf pairs each acknowledged op with its audit row. An editor
// acts one op at a time, so its acknowledged ops and its audit rows come
// in the same order; checkAudit has checked there are as many of each.
func (r *edRun) auditRowsOf(audit []*store.AuditEntry) map[*edOp]*store.AuditEntry {
	rows := map[string][]*store.AuditEntry{}
	for _, e := range audit {
		if e.ObjectType == store.AuditStory {
			rows[e.Actor] = append(rows[e.Actor], e)
		}
	}
	// An op that timed out may or may not have been done: its editor's
	// ops cannot be paired.
	unsure := map[string]bool{}
	for _, op := range r.ops {
		if !op.acked() && !op.refused() {
			unsure[op.editor] = true
		}
	}
	out := map[*edOp]*store.AuditEntry{}
	next := map[string]int{}
	for _, op := range r.ops {
		if !op.acked() || unsure[op.editor] {
			continue
		}
		if i := next[op.editor]; i < len(rows[op.editor]) {
			out[op] = rows[op.editor][i]
		}
		next[op.editor]++
	}
	return out
}

// checkStaleEdits: an edit the server acknowledged must have been made on
// the text its editor saw. One made on an older text replaced words its
// editor never read: a lost update. Approvals of a text other than the
// one reviewed are counted too: the same missing check, with the agency's
// update published unseen instead of a colleague's edit overwritten.
func (r *edRun) checkStaleEdits(ctx context.Context, audit []*store.AuditEntry) {
	t := r.t
	headlines := map[int64]map[string]string{}
	for _, st := range r.stories {
		versions, err := r.store.ListVersions(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		headlines[st.id] = map[string]string{}
		for _, v := range versions {
			headlines[st.id][v.Key] = v.Item.Headline
		}
	}
	var lost, unseen []string
	for op, e := range r.auditRowsOf(audit) {
		before, _ := sidesOf(t, e)
		switch {
		case e.Action != auditAction[op.action]:
			t.Errorf("%v: paired with audit row %d, %s: the audit log is out of order", op, e.ID, e.Action)
		case op.action == "edit" && before.Headline != op.sawHeadline:
			lost = append(lost, fmt.Sprintf("%s edited story %d from a form showing %q; the story then showed %q (version %s), which the edit replaced unseen",
				op.editor, op.story.id, op.sawHeadline, before.Headline, before.Version))
		case op.action == "approve" && headlines[op.story.id][before.Version] != op.sawHeadline:
			unseen = append(unseen, fmt.Sprintf("%s approved story %d after reviewing %q; version %s, %q, was published",
				op.editor, op.story.id, op.sawHeadline, before.Version, headlines[op.story.id][before.Version]))
		}
	}
	sort.Strings(lost)
	sort.Strings(unseen)
	if len(unseen) > 0 {
		t.Logf("%d approvals published a text other than the one reviewed (not a failure of this test; the same missing check as for edits); the first:\n  %s",
			len(unseen), strings.Join(unseen[:min(len(unseen), 3)], "\n  "))
	}
	if len(lost) > 0 {
		t.Errorf("%d edits were acknowledged though made on text that had changed since their form was loaded (no optimistic concurrency: lost updates); the first:\n  %s",
			len(lost), strings.Join(lost[:min(len(lost), 5)], "\n  "))
	}
}

// checkFinalPush: the last agency version shows on a story nobody
// protects, waits on an edited one, and leaves a killed one as it was.
func (r *edRun) checkFinalPush(ctx context.Context, final map[*edStory]int) {
	t := r.t
	for _, st := range r.stories {
		s, err := r.store.GetStory(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		versions, err := r.store.ListVersions(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		var last *store.Version
		for _, v := range versions {
			if versionNumber(v.Key) == final[st] {
				last = v
			}
		}
		if last == nil {
			t.Errorf("story %d: final version %d not stored", st.id, final[st])
			continue
		}
		switch {
		case s.State == story.Killed:
			if last.Applied || s.CurrentVersionKey == last.Key {
				t.Errorf("story %d is killed, yet the agency's version %d was applied", st.id, final[st])
			}
		case s.EditedBy != "":
			if s.PendingVersionID != last.ID {
				t.Errorf("story %d is edited by %s: version %d should wait as its pending update; pending is version id %d, on show %s", st.id, s.EditedBy, final[st], s.PendingVersionID, s.CurrentVersionKey)
			}
		default:
			if s.CurrentVersionKey != last.Key {
				t.Errorf("story %d (%s, not edited) shows %s after the agency's version %d", st.id, s.State, s.CurrentVersionKey, final[st])
			}
		}
	}
}

// checkSite: readers see what the store says: a killed story answers 410,
// a published one its current headline (once the cache has heard of the
// change).
func (r *edRun) checkSite(ctx context.Context) {
	t := r.t
	for _, st := range r.stories {
		s, err := r.store.GetStory(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		var wantCode int
		switch s.State {
		case story.Killed:
			wantCode = http.StatusGone
		case story.Published:
			wantCode = http.StatusOK
		default:
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, page := get(t, fmt.Sprintf("%s/story/%d", r.base, st.id))
			ok := code == wantCode && (wantCode != http.StatusOK || strings.Contains(page, html.EscapeString(s.Current.Headline)))
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("story %d is %s with headline %q; its page answers %d (want %d) and shows the headline: %v", st.id, s.State, s.Current.Headline, code, wantCode, strings.Contains(page, s.Current.Headline))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
