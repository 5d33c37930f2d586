package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// updating reports whether -update was given: the flag is wiretest's, the
// project's one golden-file flag.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// schema21 compiles the shared ninjs 2.1 schema with format assertions on.
func schema21(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(wiretest.FixtureDir(t, ""), "..", "..", "schemas", "ninjs-schema_2.1.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(ninjs.Schema21, doc); err != nil {
		t.Fatal(err)
	}
	// Tests never go to the network; the encoder never writes GeoJSON.
	if err := c.AddResource("https://geojson.org/schema/GeoJSON.json", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(ninjs.Schema21)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// server is an API on a fresh store, with tokens of each scope.
type server struct {
	s       store.Store
	url     string
	applier *apply.Applier
	reader  string // a read:all token
	admin   string // an admin token
}

func newServer(t *testing.T, s store.Store) *server {
	t.Helper()
	a, err := api.New(api.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	out := &server{s: s, url: srv.URL, applier: apply.New(s, nil, nil)}
	for _, tk := range []struct {
		name, scope string
		dst         *string
	}{{"reader", store.ScopeReadAll, &out.reader}, {"admin", store.ScopeAdmin, &out.admin}} {
		token, sum := api.NewToken()
		if _, err := s.CreateAPIToken(t.Context(), &store.CreateAPITokenParams{Name: tk.name, SHA256: sum, Scope: tk.scope}); err != nil {
			t.Fatal(err)
		}
		*tk.dst = token
	}
	return out
}

// do makes a request and decodes a JSON answer into out (when not nil).
func (sv *server) do(t *testing.T, method, path, token string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = sv.url + path
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); len(b) > 0 && ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp
}

func (sv *server) apply(t *testing.T, it *story.Item) *apply.Result {
	t.Helper()
	res, err := sv.applier.Apply(t.Context(), &apply.Params{Item: it})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// applyFixtures decodes every shared wire fixture that decodes and applies
// its items: a realistic mix of formats, updates, corrections and kills. It
// returns how many stories are published.
func (sv *server) applyFixtures(t *testing.T) int {
	t.Helper()
	dir := wiretest.FixtureDir(t, "")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		for _, path := range wiretest.Fixtures(t, e.Name()) {
			res, err := decode.Decode(wiretest.Read(t, path), &wire.Options{Agency: "Fixture Agency " + e.Name()})
			if err != nil {
				continue // broken on purpose
			}
			for i := range res.Items {
				if _, err := sv.applier.Apply(t.Context(), &apply.Params{Item: &res.Items[i]}); err == nil {
					applied++
				}
			}
		}
	}
	if applied < 20 {
		t.Fatalf("only %d fixture items applied; the fixtures are not where they should be", applied)
	}
	return applied
}

func newsItem(uri, version, headline string) *story.Item {
	vc := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	return &story.Item{
		URI: uri, Version: version, PubStatus: story.Usable, Type: "text", VersionCreated: &vc, Language: "en",
		Headline: headline, BodyText: headline + ". Ships were waiting outside.", BodyHTML: "<p>" + headline + ". Ships were waiting outside.</p>",
		Subjects: []story.Entity{{Code: "04000000", Name: "economy, business and finance", Scheme: "http://cv.iptc.org/newscodes/subjectcode/"}},
		Source:   story.ItemSource{Format: "ninjs", Agency: "Harbour Wire"},
	}
}

// Every item the API gives, over the fixtures decoded and applied plus
// stories in every state, validates against the ninjs 2.1 schema: the
// list walked page by page through next, each story, and each version.
func TestItemsValidateAgainstNinjs21(t *testing.T) {
	sch := schema21(t)
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		sv.applyFixtures(t)
		sv.apply(t, newsItem("valid-1", "1", "Port strike ends"))
		sv.apply(t, newsItem("valid-1", "2", "Port strike ends after talks"))
		kill := newsItem("valid-2", "1", "Withdrawn story")
		sv.apply(t, kill)
		kill = newsItem("valid-2", "2", "Withdrawn story")
		kill.PubStatus, kill.EdNote = story.Canceled, "Legal"
		killed := sv.apply(t, kill)

		validate := func(where string, raw json.RawMessage) {
			t.Helper()
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s is not valid ninjs 2.1: %v\n%s", where, err, raw)
			}
		}
		type page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next"`
		}
		var ids []int64
		next, pages := "/api/v1/stories?limit=7", 0
		for next != "" {
			var p page
			if resp := sv.do(t, "GET", next, "", nil, &p); resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", next, resp.StatusCode)
			}
			pages++
			for i, raw := range p.Items {
				validate("list item "+strconv.Itoa(i)+" of "+next, raw)
				var it api.Item
				if err := json.Unmarshal(raw, &it); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, storyID(t, &it))
			}
			if len(p.Items) > 7 {
				t.Errorf("page of %d items, limit 7", len(p.Items))
			}
			next = p.Next
		}
		visible, err := s.ListStories(t.Context(), &store.ListStoriesParams{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(visible) || pages < 2 {
			t.Errorf("walked %d stories in %d pages, the store lists %d", len(ids), pages, len(visible))
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("story %d listed twice across pages", id)
			}
			seen[id] = true
			var raw json.RawMessage
			sv.do(t, "GET", "/api/v1/stories/"+strconv.FormatInt(id, 10), "", nil, &raw)
			validate("story "+strconv.FormatInt(id, 10), raw)
			var vl struct {
				Items []struct {
					VersionKey     string          `json:"version_key"`
					DeliverySHA256 string          `json:"delivery_sha256"`
					Item           json.RawMessage `json:"item"`
				} `json:"items"`
			}
			sv.do(t, "GET", "/api/v1/stories/"+strconv.FormatInt(id, 10)+"/versions", sv.reader, nil, &vl)
			if len(vl.Items) == 0 {
				t.Errorf("story %d: no versions", id)
			}
			for _, v := range vl.Items {
				validate("version "+v.VersionKey+" of story "+strconv.FormatInt(id, 10), v.Item)
			}
		}
		// A killed story, seen with a read:all token, is valid ninjs too.
		var raw json.RawMessage
		if resp := sv.do(t, "GET", "/api/v1/stories/"+strconv.FormatInt(killed.StoryID, 10), sv.reader, nil, &raw); resp.StatusCode != 200 {
			t.Fatalf("killed story with read:all: %d", resp.StatusCode)
		}
		validate("killed story", raw)
	})
}

func storyID(t *testing.T, it *api.Item) int64 {
	t.Helper()
	for _, a := range it.AltIDs {
		if a.Role == api.RoleStoryID {
			id, err := strconv.ParseInt(a.Value, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
	}
	t.Fatalf("item %s has no %s altid", it.URI, api.RoleStoryID)
	return 0
}

func altID(it *api.Item, role string) string {
	for _, a := range it.AltIDs {
		if a.Role == role {
			return a.Value
		}
	}
	return ""
}

type errBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// A story answers by its state: published 200, killed 410 with the reason,
// withheld and unknown 404; a read:all token sees every state.
func TestStoryByState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		pub := sv.apply(t, newsItem("state-pub", "1", "Harbour reopens"))
		sv.apply(t, newsItem("state-kill", "1", "Wrong facts"))
		k := newsItem("state-kill", "2", "Wrong facts")
		k.PubStatus, k.EdNote = story.Canceled, "Kill: the story named the wrong ship."
		killed := sv.apply(t, k)
		sv.apply(t, newsItem("state-held", "1", "Held back"))
		h := newsItem("state-held", "2", "Held back")
		h.PubStatus = story.Withheld
		held := sv.apply(t, h)

		path := func(id int64) string { return "/api/v1/stories/" + strconv.FormatInt(id, 10) }
		tests := []struct {
			name, path, token string
			wantStatus        int
			wantError         string
			wantReason        string
		}{
			{name: "published", path: path(pub.StoryID), wantStatus: 200},
			{name: "killed", path: path(killed.StoryID), wantStatus: 410,
				wantError: "story " + strconv.FormatInt(killed.StoryID, 10) + " was killed by Harbour Wire", wantReason: "Kill: the story named the wrong ship."},
			{name: "withheld", path: path(held.StoryID), wantStatus: 404, wantError: "story " + strconv.FormatInt(held.StoryID, 10) + " not found"},
			{name: "unknown", path: path(99999), wantStatus: 404, wantError: "not found"},
			{name: "bad id", path: "/api/v1/stories/abc", wantStatus: 400, wantError: `story id "abc" is not a positive whole number`},
			{name: "killed with read:all", path: path(killed.StoryID), token: sv.reader, wantStatus: 200},
			{name: "withheld with admin", path: path(held.StoryID), token: sv.admin, wantStatus: 200},
			{name: "killed versions need a token", path: path(killed.StoryID) + "/versions", wantStatus: 401,
				wantError: "this endpoint needs a bearer token with scope read:all"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var raw json.RawMessage
				resp := sv.do(t, "GET", tt.path, tt.token, nil, &raw)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
				}
				if tt.wantStatus == 200 {
					var it api.Item
					if err := json.Unmarshal(raw, &it); err != nil {
						t.Fatal(err)
					}
					if it.Standard.Version != "2.1" {
						t.Errorf("standard %+v, want ninjs 2.1", it.Standard)
					}
					return
				}
				var e errBody
				if err := json.Unmarshal(raw, &e); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(errBody{Error: tt.wantError, Reason: tt.wantReason}, e); diff != "" {
					t.Errorf("error body (-want +got):\n%s", diff)
				}
			})
		}
		var it api.Item
		sv.do(t, "GET", path(killed.StoryID), sv.reader, nil, &it)
		if got := altID(&it, api.RoleState); got != "killed" {
			t.Errorf("killed story's state altid = %q, want killed", got)
		}
	})
}

// Bad parameters are 400 with a JSON error naming what was wrong.
func TestListErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		for i := range 3 {
			sv.apply(t, newsItem("err-"+strconv.Itoa(i), "1", "Story "+strconv.Itoa(i)))
		}
		var first struct{ Next string }
		sv.do(t, "GET", "/api/v1/stories?limit=1", "", nil, &first)
		u, err := url.Parse(first.Next)
		if err != nil || first.Next == "" {
			t.Fatalf("next = %q: %v", first.Next, err)
		}
		listCursor := u.Query().Get("cursor")
		tests := []struct {
			query, want string
		}{
			{"limit=0", `limit "0" must be a whole number from 1 to 100`},
			{"limit=101", `limit "101" must be a whole number from 1 to 100`},
			{"limit=ten", `limit "ten" must be a whole number from 1 to 100`},
			{"since=yesterday", `since "yesterday" is not an RFC 3339 time such as 2026-11-29T06:00:00Z`},
			{"cursor=%21%21", `cursor "!!" is not one this API handed out`},
			{"cursor=e30", "cursor is not a list cursor: keep q as it was for the pages of one search"},
			{"q=harbour&cursor=" + listCursor, "cursor is not a search cursor: keep q as it was for the pages of one search"},
			{"sort=asc", `unknown query parameter "sort" (known: limit, since, section, agency, q, cursor)`},
		}
		for _, tt := range tests {
			var e errBody
			resp := sv.do(t, "GET", "/api/v1/stories?"+tt.query, "", nil, &e)
			if resp.StatusCode != 400 || e.Error != tt.want {
				t.Errorf("?%s: %d %q, want 400 %q", tt.query, resp.StatusCode, e.Error, tt.want)
			}
		}
		var e errBody
		if resp := sv.do(t, "GET", "/api/v2/nothing", "", nil, &e); resp.StatusCode != 404 || e.Error == "" {
			t.Errorf("unknown API path: %d %q, want a JSON 404", resp.StatusCode, e.Error)
		}
	})
}

// The filters and search narrow the list; a kill leaves it at once.
func TestListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		a := newsItem("f-1", "1", "Container ship docks at harbour")
		b := newsItem("f-2", "1", "Football final ends in a draw")
		b.Subjects = []story.Entity{{Code: "15000000", Name: "sport", Scheme: "http://cv.iptc.org/newscodes/subjectcode/"}}
		c := newsItem("f-3", "1", "Harbour fees rise")
		c.Source.Agency = "Other Agency"
		for _, it := range []*story.Item{a, b, c} {
			sv.apply(t, it)
		}
		headlines := func(query string) []string {
			t.Helper()
			var l struct{ Items []*api.Item }
			if resp := sv.do(t, "GET", "/api/v1/stories?"+query, "", nil, &l); resp.StatusCode != 200 {
				t.Fatalf("?%s: %d", query, resp.StatusCode)
			}
			var out []string
			for _, it := range l.Items {
				out = append(out, it.Headlines[0].Value)
			}
			slices.Sort(out)
			return out
		}
		future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		tests := []struct {
			query string
			want  []string
		}{
			{"section=sport", []string{"Football final ends in a draw"}},
			{"agency=Other+Agency", []string{"Harbour fees rise"}},
			{"since=" + future, nil},
			{"since=" + past, []string{"Container ship docks at harbour", "Football final ends in a draw", "Harbour fees rise"}},
			{"q=harbour", []string{"Container ship docks at harbour", "Harbour fees rise"}},
			{"q=harbour&agency=Harbour+Wire", []string{"Container ship docks at harbour"}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, headlines(tt.query)); diff != "" {
				t.Errorf("?%s (-want +got):\n%s", tt.query, diff)
			}
		}
		k := newsItem("f-1", "2", "Container ship docks at harbour")
		k.PubStatus = story.Canceled
		sv.apply(t, k)
		if diff := cmp.Diff([]string{"Harbour fees rise"}, headlines("q=harbour")); diff != "" {
			t.Errorf("search after a kill (-want +got):\n%s", diff)
		}
	})
}

// Search pages follow next like the list does.
func TestSearchPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		for i := range 5 {
			sv.apply(t, newsItem("sp-"+strconv.Itoa(i), "1", "Lighthouse report number "+strconv.Itoa(i)))
		}
		seen := map[string]bool{}
		next := "/api/v1/stories?q=lighthouse&limit=2"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("search pages never end")
			}
			var l struct {
				Items []*api.Item
				Next  string
			}
			sv.do(t, "GET", next, "", nil, &l)
			for _, it := range l.Items {
				seen[it.Headlines[0].Value] = true
			}
			next = l.Next
		}
		if len(seen) != 5 {
			t.Errorf("search pages gave %d distinct stories, want 5", len(seen))
		}
	})
}

// Tokens: none, wrong, revoked and of too small a scope are told apart.
func TestTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		tests := []struct {
			name, auth string
			wantStatus int
			wantError  string
		}{
			{"no token", "", 401, "this endpoint needs a bearer token with scope admin"},
			{"unknown token", "Bearer wdt_nothing", 401, "unknown or revoked token"},
			{"not bearer", "Basic dXNlcjpwdw==", 401, `Authorization must be "Bearer <token>"`},
			{"read:all is not admin", "Bearer " + sv.reader, 403, "the token's scope read:all does not grant admin"},
			{"admin", "Bearer " + sv.admin, 200, ""},
		}
		for _, tt := range tests {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", sv.url+"/api/v1/webhooks", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e errBody
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || e.Error != tt.wantError {
				t.Errorf("%s: %d %q, want %d %q", tt.name, resp.StatusCode, e.Error, tt.wantStatus, tt.wantError)
			}
			if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
			}
		}
		if err := s.DeleteAPIToken(t.Context(), "admin"); err != nil {
			t.Fatal(err)
		}
		var e errBody
		if resp := sv.do(t, "GET", "/api/v1/webhooks", sv.admin, nil, &e); resp.StatusCode != 401 {
			t.Errorf("revoked token: %d %q, want 401", resp.StatusCode, e.Error)
		}
	})
}

// Webhooks are managed with an admin token; the secret is shown once.
func TestWebhookManagement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		sv := newServer(t, s)
		var created api.Webhook
		resp := sv.do(t, "POST", "/api/v1/webhooks", sv.admin, map[string]any{
			"name": "cms", "url": "https://cms.example/hooks/wiredesk", "events": []string{"published", "killed"},
		}, &created)
		if resp.StatusCode != 201 || !strings.HasPrefix(created.Secret, "whsec_") || resp.Header.Get("Location") == "" {
			t.Fatalf("POST: %d, secret %q, Location %q", resp.StatusCode, created.Secret, resp.Header.Get("Location"))
		}
		want := api.Webhook{ID: created.ID, Name: "cms", URL: "https://cms.example/hooks/wiredesk", Events: []string{"published", "killed"},
			Active: true, CreatedAt: created.CreatedAt}
		var list api.WebhookList
		sv.do(t, "GET", "/api/v1/webhooks", sv.admin, nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("listed %d webhooks, want 1", len(list.Items))
		}
		if diff := cmp.Diff(want, *list.Items[0]); diff != "" {
			t.Errorf("listed webhook, which must not show the secret (-want +got):\n%s", diff)
		}
		bad := []struct {
			body   map[string]any
			status int
			want   string
		}{
			{map[string]any{"name": "cms", "url": "https://x.example"}, 409, `a webhook called "cms" exists`},
			{map[string]any{"name": "x", "url": "ftp://x.example"}, 400, `url: URL ftp://x.example: scheme "ftp" is not http or https`},
			{map[string]any{"name": "x", "url": "https://x.example", "events": []string{"deleted"}}, 400, `events: "deleted" is not one of published, updated, corrected, killed`},
			{map[string]any{"name": "x", "url": "https://x.example", "secret": "short"}, 400, "secret: 5 bytes is too short, want at least 24 (or a whsec_ secret)"},
			{map[string]any{"name": "x", "url": "https://x.example", "colour": "red"}, 400, `body is not a webhook object: json: unknown field "colour"`},
		}
		for _, b := range bad {
			var e errBody
			resp := sv.do(t, "POST", "/api/v1/webhooks", sv.admin, b.body, &e)
			if resp.StatusCode != b.status || e.Error != b.want {
				t.Errorf("POST %v: %d %q, want %d %q", b.body, resp.StatusCode, e.Error, b.status, b.want)
			}
		}
		var log api.DeliveryList
		path := "/api/v1/webhooks/" + strconv.FormatInt(created.ID, 10)
		if resp := sv.do(t, "GET", path+"/deliveries", sv.admin, nil, &log); resp.StatusCode != 200 || log.Items == nil {
			t.Errorf("deliveries: %d %+v, want 200 and an empty list", resp.StatusCode, log)
		}
		if resp := sv.do(t, "DELETE", path, sv.admin, nil, nil); resp.StatusCode != 204 {
			t.Errorf("DELETE: %d, want 204", resp.StatusCode)
		}
		if resp := sv.do(t, "DELETE", path, sv.admin, nil, nil); resp.StatusCode != 404 {
			t.Errorf("DELETE twice: %d, want 404", resp.StatusCode)
		}
		if resp := sv.do(t, "GET", path+"/deliveries", sv.admin, nil, nil); resp.StatusCode != 404 {
			t.Errorf("deliveries of a removed webhook: %d, want 404", resp.StatusCode)
		}
	})
}

// The OpenAPI document is golden: go test ./internal/api -run OpenAPI -update
// rewrites it after a deliberate change.
func TestOpenAPIGolden(t *testing.T) {
	sv := newServer(t, dbtest.SQLite(t))
	resp, err := http.Get(sv.url + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "openapi.golden.json")
	if updating() {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("OpenAPI document differs from %s (-want +got):\n%s", golden, diff)
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Errorf("document is not OpenAPI 3.1: openapi = %v, %v", doc["openapi"], err)
	}
}
