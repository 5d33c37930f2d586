package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/webhook"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
)

// Page sizes of the story list.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// Item is a story as the API gives it: its current version as a ninjs 2.1
// object, with wiredesk's story id, page URL and state as alternative ids
// (ninjs has no other member for them).
type Item struct {
	*ninjs.Document
	AltIDs []AltID `json:"altids,omitempty"`
}

// AltID is a ninjs alternative id.
type AltID struct {
	Role  string `json:"role"`
	Value string `json:"value"`
}

// Roles of the alternative ids the API adds.
const (
	RoleStoryID = "wiredesk:story-id"
	RoleURL     = "wiredesk:url"
	RoleState   = "wiredesk:state"
)

// StoryList is one page of the story list.
type StoryList struct {
	Items []*Item `json:"items"`
	// Next is the absolute URL of the next page; absent on the last.
	Next string `json:"next,omitempty"`
}

// Version is one stored version of a story.
type Version struct {
	VersionKey string `json:"version_key"`
	// Applied is false for a version recorded but never shown.
	Applied        bool            `json:"applied"`
	ReceivedAt     time.Time       `json:"received_at"`
	DeliverySHA256 string          `json:"delivery_sha256,omitempty"`
	Source         string          `json:"source,omitempty"`
	Item           *ninjs.Document `json:"item"`
}

// VersionList is every stored version of a story, oldest first.
type VersionList struct {
	Items []*Version `json:"items"`
}

func (a *API) item(r *http.Request, st *story.Story) *Item {
	return &Item{
		Document: ninjs.ToNinjs21(st.Current),
		AltIDs: []AltID{
			{Role: RoleStoryID, Value: strconv.FormatInt(st.ID, 10)},
			{Role: RoleURL, Value: a.base(r) + webhook.StoryPath(st)},
			{Role: RoleState, Value: string(st.State)},
		},
	}
}

// cursor is a position in the story list, handed out opaque: base64url of
// its JSON. A list cursor is the last story's publication time and id; a
// search cursor (q) is an offset into the ranked hits.
type cursor struct {
	PublishedAt time.Time `json:"p,omitzero"`
	ID          int64     `json:"i,omitempty"`
	Offset      int       `json:"o,omitempty"`
}

func (c *cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of a time and two ints always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor a client sent back; search says which kind
// the request needs.
func decodeCursor(s string, search bool) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 256 {
		return nil, badRequest("cursor %q is not one this API handed out", s)
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, badRequest("cursor %q is not one this API handed out", s)
	}
	switch {
	case search && (c.Offset <= 0 || c.Offset > store.MaxSearchOffset || c.ID != 0):
		return nil, badRequest("cursor is not a search cursor: keep q as it was for the pages of one search")
	case !search && (c.ID <= 0 || c.PublishedAt.IsZero() || c.Offset != 0):
		return nil, badRequest("cursor is not a list cursor: keep q as it was for the pages of one search")
	}
	return &c, nil
}

// listQuery is the story list's query string, checked.
type listQuery struct {
	limit   int
	since   *time.Time
	section string
	agency  string
	q       string
	cursor  *cursor
}

var listParams = map[string]bool{"limit": true, "since": true, "section": true, "agency": true, "q": true, "cursor": true}

func parseListQuery(v url.Values) (*listQuery, error) {
	for k := range v {
		if !listParams[k] {
			return nil, badRequest("unknown query parameter %q (known: limit, since, section, agency, q, cursor)", k)
		}
	}
	lq := &listQuery{limit: defaultLimit, section: v.Get("section"), agency: v.Get("agency"), q: v.Get("q")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return nil, badRequest("limit %q must be a whole number from 1 to %d", s, maxLimit)
		}
		lq.limit = n
	}
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, badRequest("since %q is not an RFC 3339 time such as 2026-11-29T06:00:00Z", s)
		}
		lq.since = &t
	}
	if s := v.Get("cursor"); s != "" {
		c, err := decodeCursor(s, lq.q != "")
		if err != nil {
			return nil, err
		}
		lq.cursor = c
	}
	return lq, nil
}

// nextURL is the URL of the page after this one: the same query with the
// new cursor.
func (a *API) nextURL(r *http.Request, c *cursor) string {
	v := r.URL.Query()
	v.Set("cursor", c.encode())
	return a.base(r) + "/api/v1/stories?" + v.Encode()
}

// listStories lists published stories, newest first, or the hits of a
// full-text search (q): headline matches first, then the rest, newest
// first within each (store.Store.SearchStories).
func (a *API) listStories(w http.ResponseWriter, r *http.Request, c *caller) error {
	lq, err := parseListQuery(r.URL.Query())
	if err != nil {
		return err
	}
	out := &StoryList{Items: []*Item{}}
	if lq.q != "" {
		offset := 0
		if lq.cursor != nil {
			offset = lq.cursor.Offset
		}
		res, err := a.store.SearchStories(r.Context(), &store.SearchParams{
			Query: lq.q, Section: lq.section, Agency: lq.agency, Since: lq.since, Limit: lq.limit, Offset: offset,
		})
		if err != nil {
			return fmt.Errorf("search stories: %w", err)
		}
		for _, h := range res.Hits {
			out.Items = append(out.Items, a.item(r, h.Story))
		}
		if next := offset + lq.limit; res.More && next <= store.MaxSearchOffset {
			out.Next = a.nextURL(r, &cursor{Offset: next})
		}
	} else {
		p := &store.ListStoriesParams{Limit: lq.limit + 1, Section: lq.section, Agency: lq.agency, Since: lq.since}
		if lq.cursor != nil {
			p.Before = &store.StoryCursor{PublishedAt: lq.cursor.PublishedAt, ID: lq.cursor.ID}
		}
		sts, err := a.store.ListStories(r.Context(), p)
		if err != nil {
			return fmt.Errorf("list stories: %w", err)
		}
		more := len(sts) > lq.limit
		if more {
			sts = sts[:lq.limit]
		}
		for _, st := range sts {
			out.Items = append(out.Items, a.item(r, st))
		}
		if more {
			last := sts[len(sts)-1]
			out.Next = a.nextURL(r, &cursor{PublishedAt: last.PublishedAt, ID: last.ID})
		}
	}
	writeJSON(w, http.StatusOK, publicCache(c), out)
	return nil
}

// storyFor finds the story of a request's {id} that the caller may see. A
// killed story is 410 Gone with the reason; another hidden one (withheld,
// embargoed) is as unknown as a story that does not exist. A read:all
// token sees every state.
func (a *API) storyFor(r *http.Request, c *caller) (*story.Story, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, badRequest("story id %q is not a positive whole number", r.PathValue("id"))
	}
	st, err := a.store.GetStory(r.Context(), id)
	if err != nil {
		return nil, fmt.Errorf("get story %d: %w", id, err)
	}
	switch {
	case st.Current == nil:
		return nil, &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("story %d not found", id)}
	case c.may(store.ScopeReadAll) || st.State.Visible():
		return st, nil
	case st.State == story.Killed:
		msg := fmt.Sprintf("story %d was killed by %s", id, st.Agency)
		if st.Agency == "" {
			msg = fmt.Sprintf("story %d was killed", id)
		}
		return nil, &apiError{status: http.StatusGone, msg: msg, reason: st.StateReason}
	default:
		return nil, &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("story %d not found", id)}
	}
}

func (a *API) getStory(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.storyFor(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicCache(c), a.item(r, st))
	return nil
}

// listVersions lists every stored version of a story, oldest first,
// including those recorded but never shown.
func (a *API) listVersions(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.storyFor(r, c)
	if err != nil {
		return err
	}
	vs, err := a.store.ListVersions(r.Context(), st.ID)
	if err != nil {
		return fmt.Errorf("list versions of story %d: %w", st.ID, err)
	}
	out := &VersionList{Items: []*Version{}}
	for _, v := range vs {
		out.Items = append(out.Items, &Version{
			VersionKey: v.Key, Applied: v.Applied, ReceivedAt: v.ReceivedAt.UTC(),
			DeliverySHA256: v.DeliverySHA256, Source: v.SourceName, Item: ninjs.ToNinjs21(v.Item),
		})
	}
	writeJSON(w, http.StatusOK, publicCache(c), out)
	return nil
}
