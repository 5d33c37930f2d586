package site

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// page is what the layout needs from every page.
type page struct {
	SiteName string
	Title    string
	// Lang is the document's language: the story's on a story page, so
	// screen readers voice the agency's words right; "en" when empty.
	Lang string
	// Sections is the header's navigation; empty on pages that do not
	// read the store (errors).
	Sections []navLink
	// Query is the text of the header's search box.
	Query string
	// Head is what search engines and link previews read.
	Head headMeta
}

// navLink is one entry of the header's navigation.
type navLink struct {
	Name    string
	URL     string
	Current bool
}

// listPage is a newest-first list of stories: the home page, a section, a
// tag.
type listPage struct {
	page
	// Kind says what the list is of ("Section", "Place"...), above the
	// heading; empty on the home page.
	Kind    string
	Heading string
	Stories []storySummary
	// NewestURL leads back to the first page, from any later one;
	// OlderURL to the page after this one, when there are more stories.
	NewestURL string
	OlderURL  string
}

// storySummary is one entry of a list of stories.
type storySummary struct {
	URL       string
	Headline  string
	Lang      string
	Agency    string
	Place     string
	Published time.Time
	Excerpt   string
}

type storyPage struct {
	page
	Headline  string
	Dateline  string
	Byline    string
	Agency    string
	Published time.Time
	Updated   time.Time // zero unless the version on show replaced the one first published
	// AlsoReportedBy names the other agencies that sent the same story
	// (DESIGN §4 rule 9), joined for reading: "AP, Reuters".
	AlsoReportedBy string
	// Correction is set when the version on show is a correction;
	// CorrectionNote is the agency's note on it, when it gave one.
	Correction     bool
	CorrectionNote string
	// HistoryURL links the story's versions when it has more than one;
	// Versions counts them.
	HistoryURL string
	Versions   int
	// Body is the sanitized HTML body; BodyParagraphs is used instead when
	// the agency sent plain text only.
	Body           template.HTML
	BodyParagraphs []string
	Provenance     string
	AgencyLink     string
	OriginalURL    string
	// Section links the section the story is filed under, when any.
	Section *navLink
	// Tags link the tag pages of the story's subjects, places, people and
	// organisations.
	Tags []tagLink
}

type errorPage struct {
	page
	Status  int
	Heading string
	Message string
	// Reason is the reason given for a kill, on the 410 page.
	Reason string
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"showtime": showTime,
		"words":    store.SearchTerms,
	}
	pages := make(map[string]*template.Template)
	// Each page is its own template set, parsed with the layout, so every
	// page can define the layout's "main" block.
	for _, name := range []string{"list", "search", "story", "history", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s page template: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// showTime is how readers see a time: in UTC, spelled out, so nobody has to
// guess the zone or the order of day and month.
func showTime(t time.Time) string {
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

func (s *Site) render(w http.ResponseWriter, name string, data any) error {
	// Rendering into a buffer first means a template failure can still
	// become a proper error page instead of half a page.
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s page: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(buf.Bytes())
	return err
}

// listLimit is how many stories a page of a list shows.
const listLimit = 50

func (s *Site) serveHome(w http.ResponseWriter, r *http.Request) error {
	return s.serveList(w, r, &listSpec{path: "/", title: s.siteName, heading: "Latest stories"})
}

// listSpec says which stories a list page shows and how it is titled.
type listSpec struct {
	// path is the page's path, which its paging links add a cursor to.
	path           string
	title, heading string
	kind           string
	filter         store.ListStoriesParams
	// section is the section shown, marked in the navigation.
	section string
	// emptyNotFound makes a first page without stories a 404: a section
	// nothing is filed under is not a page.
	emptyNotFound bool
}

// serveList renders a page of a newest-first list: listLimit stories
// after the ?before= cursor, with a link to the next page when there is
// one (asking for one story more than is shown tells).
func (s *Site) serveList(w http.ResponseWriter, r *http.Request, spec *listSpec) error {
	before, err := parseCursor(r.URL.Query().Get("before"))
	if err != nil {
		return err
	}
	filter := spec.filter
	filter.Before, filter.Limit = before, listLimit+1
	stories, err := s.store.ListStories(r.Context(), &filter)
	if err != nil {
		return fmt.Errorf("list stories for %s: %w", spec.path, err)
	}
	more := len(stories) > listLimit
	if more {
		stories = stories[:listLimit]
	}
	if len(stories) == 0 && before == nil && spec.emptyNotFound {
		return fmt.Errorf("no stories for %s: %w", spec.path, store.ErrNotFound)
	}
	pg, err := s.newPage(r, spec.title, spec.section)
	if err != nil {
		return err
	}
	lp := listPage{page: pg, Kind: spec.kind, Heading: spec.heading}
	canonical := spec.path
	if before != nil {
		lp.NewestURL = spec.path
		canonical = pageURL(spec.path, url.Values{"before": {formatCursor(*before)}})
	}
	lp.Head = headMeta{Canonical: s.baseURL(r) + canonical}
	for _, st := range stories {
		// ListStories promises visible stories only; checking again
		// costs nothing and keeps a killed story off the page if a
		// backend ever gets that wrong.
		if !st.State.Visible() || st.Current == nil {
			continue
		}
		lp.Stories = append(lp.Stories, s.summary(st))
	}
	if more {
		last := stories[len(stories)-1]
		lp.OlderURL = pageURL(spec.path, url.Values{"before": {formatCursor(store.StoryCursor{PublishedAt: last.PublishedAt, ID: last.ID})}})
	}
	return s.render(w, "list", lp)
}

// summary is a story as lists show it.
func (s *Site) summary(st *story.Story) storySummary {
	it := st.Current
	sum := storySummary{
		URL:       storyURL(st),
		Headline:  headline(st),
		Lang:      it.Language,
		Agency:    st.Agency,
		Published: st.PublishedAt,
		Excerpt:   excerpt(it, s.policy.Text),
	}
	if it.Dateline != nil {
		sum.Place = it.Dateline.Place
	}
	return sum
}

// newPage is the part of a page every page shares: the site's name, the
// title and the navigation, with section marked as the current one.
func (s *Site) newPage(r *http.Request, title, section string) (page, error) {
	sections, err := s.store.ListSections(r.Context())
	if err != nil {
		return page{}, fmt.Errorf("list sections for the navigation: %w", err)
	}
	pg := page{SiteName: s.siteName, Title: title}
	for _, name := range sections {
		pg.Sections = append(pg.Sections, navLink{Name: sectionTitle(name), URL: sectionURL(name), Current: name == section})
	}
	return pg, nil
}

// pageURL is path with the query q.
func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// formatCursor writes a position in a newest-first list for ?before=: the
// publication time in microseconds since 1970 and the story id.
func formatCursor(c store.StoryCursor) string {
	return strconv.FormatInt(c.PublishedAt.UnixMicro(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// parseCursor reads ?before=; nil when empty.
func parseCursor(raw string) (*store.StoryCursor, error) {
	if raw == "" {
		return nil, nil
	}
	micros, id, ok := strings.Cut(raw, "-")
	us, err1 := strconv.ParseInt(micros, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || us < 0 || n <= 0 {
		return nil, &badRequestError{reason: fmt.Sprintf("page cursor %q is not a time and a story id", raw)}
	}
	return &store.StoryCursor{PublishedAt: time.UnixMicro(us).UTC(), ID: n}, nil
}

// visibleStory loads the story named by the request's {id}, answering for
// every state but Published with the error its pages show.
func (s *Site) visibleStory(r *http.Request) (*story.Story, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, &badRequestError{reason: fmt.Sprintf("story id %q is not a positive number", raw)}
	}
	st, err := s.store.GetStory(r.Context(), id)
	if err != nil {
		return nil, fmt.Errorf("get story %d: %w", id, err)
	}
	switch {
	case st.State == story.Killed:
		return nil, &GoneError{StoryID: id, Agency: st.Agency, Reason: st.StateReason}
	case !st.State.Visible() || st.Current == nil:
		// Withheld and embargoed stories must not be seen to exist.
		return nil, fmt.Errorf("story %d is %s: %w", id, st.State, store.ErrNotFound)
	}
	return st, nil
}

func (s *Site) serveStoryRedirect(w http.ResponseWriter, r *http.Request) error {
	st, err := s.visibleStory(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, storyURL(st), http.StatusMovedPermanently)
	return nil
}

func (s *Site) serveStory(w http.ResponseWriter, r *http.Request) error {
	st, err := s.visibleStory(r)
	if err != nil {
		return err
	}
	if r.PathValue("slug") != pageSlug(st) {
		http.Redirect(w, r, storyURL(st), http.StatusMovedPermanently)
		return nil
	}
	it := st.Current
	note, correction := correctionNote(it)
	pg, err := s.newPage(r, headline(st)+" | "+s.siteName, st.Section)
	if err != nil {
		return err
	}
	pg.Lang = it.Language
	sp := storyPage{
		page:           pg,
		Headline:       headline(st),
		Dateline:       dateline(it.Dateline),
		Byline:         strings.TrimSpace(it.Byline),
		Agency:         st.Agency,
		Published:      st.PublishedAt,
		AlsoReportedBy: strings.Join(st.AlsoReportedBy, ", "),
		Correction:     correction,
		CorrectionNote: note,
		Provenance:     provenanceLine(s.provenance, st),
		AgencyLink:     webLink(it.Link),
		OriginalURL:    fmt.Sprintf("/story/%d/original", st.ID),
	}
	if st.Versions > 1 {
		sp.HistoryURL, sp.Versions = historyURL(st), st.Versions
		// Only a story with more than one version can have been updated;
		// which version is on show, and since when, is in its versions.
		versions, err := s.store.ListVersions(r.Context(), st.ID)
		if err != nil {
			return fmt.Errorf("list versions of story %d: %w", st.ID, err)
		}
		sp.Updated = updatedAt(st, versions)
	}
	if strings.TrimSpace(it.BodyHTML) != "" {
		// Relative links in the body point into the agency's site, not ours.
		var base *url.URL
		if link := webLink(it.Link); link != "" {
			base, _ = url.Parse(link)
		}
		sp.Body = template.HTML(s.policy.HTMLWithBase(it.BodyHTML, base)) // #nosec G203 -- sanitized just now
	} else {
		sp.BodyParagraphs = paragraphs(it.BodyText)
	}
	if st.DeliveryID == 0 {
		sp.OriginalURL = ""
	}
	if st.Section != "" {
		sp.Section = &navLink{Name: sectionTitle(st.Section), URL: sectionURL(st.Section)}
	}
	sp.Tags = tagLinks(store.TagsOf(it))
	sp.Head = s.storyMeta(r, st, &sp)
	return s.render(w, "story", sp)
}

// serveOriginal answers with the raw delivery the story's current version
// came from, byte for byte, so the verbatim promise can be checked.
func (s *Site) serveOriginal(w http.ResponseWriter, r *http.Request) error {
	st, err := s.visibleStory(r)
	if err != nil {
		return err
	}
	if st.DeliveryID == 0 {
		return fmt.Errorf("story %d has no archived delivery: %w", st.ID, store.ErrNotFound)
	}
	d, err := s.store.GetDelivery(r.Context(), st.DeliveryID)
	if err != nil {
		return fmt.Errorf("get delivery %d of story %d: %w", st.DeliveryID, st.ID, err)
	}
	// Serving bytes under a fingerprint they do not match would make the
	// verbatim check lie; a damaged archive is a server error.
	if sum := story.SHA256Hex(d.Body); sum != d.SHA256 {
		return fmt.Errorf("delivery %d: archived sha256 %s but bytes hash to %s", d.ID, d.SHA256, sum)
	}
	ct := d.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(d.Body)))
	h.Set("X-Content-SHA256", d.SHA256)
	// The bytes are the agency's, not ours: if they are HTML they must not
	// run anything or reach anything on this origin.
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	_, err = w.Write(d.Body)
	return err
}

func (s *Site) serveNotFound(w http.ResponseWriter, r *http.Request) error {
	return fmt.Errorf("no route for %s: %w", r.URL.Path, store.ErrNotFound)
}

// headline is the story's headline, falling back to its slugline so a page
// never has an empty title.
func headline(st *story.Story) string {
	if h := strings.TrimSpace(st.Current.Headline); h != "" {
		return h
	}
	if h := strings.TrimSpace(st.Current.Slugline); h != "" {
		return h
	}
	return "Untitled story"
}

// pageSlug is the slug in a story's canonical URL. "original" and "history"
// are taken by the raw-delivery and history routes, and an empty slug would
// leave a URL that redirects to itself, so these get a stand-in.
func pageSlug(st *story.Story) string {
	slug := st.Slug
	if slug == "" {
		slug = story.Slug(headline(st))
	}
	switch slug {
	case "":
		return "story"
	case "original", "history":
		return slug + "-story"
	}
	return slug
}

// storyURL is the canonical path of a story's page.
func storyURL(st *story.Story) string {
	return fmt.Sprintf("/story/%d/%s", st.ID, url.PathEscape(pageSlug(st)))
}

func dateline(d *story.Dateline) string {
	if d == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{d.Place, d.Date} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	line := strings.Join(parts, ", ")
	if src := strings.TrimSpace(d.Source); src != "" {
		if line != "" {
			line += " "
		}
		line += "(" + src + ")"
	}
	return line
}

// correctionNote reports whether an item is a correction and the agency's
// note on it (DESIGN §4 rule 6); other editorial notes are for editors, not
// readers.
func correctionNote(it *story.Item) (note string, correction bool) {
	if !hasSignal(it, "correction") {
		return "", false
	}
	return strings.TrimSpace(it.EdNote), true
}

// hasSignal reports whether the item carries the signal, written with or
// without its IPTC "sig:" scheme prefix.
func hasSignal(it *story.Item, signal string) bool {
	for _, sig := range it.Signals {
		if strings.TrimPrefix(strings.ToLower(strings.TrimSpace(sig)), "sig:") == signal {
			return true
		}
	}
	return false
}

// updatedAt is when the story was last updated, for the story page's
// "Updated": zero while the version on show is the one first published.
// UpdatedAt alone would not do: it moves for changes readers do not see as
// updates, such as an editor putting the first version back after a kill.
func updatedAt(st *story.Story, versions []*store.Version) time.Time {
	for _, v := range versions {
		if v.Key != st.CurrentVersionKey {
			continue
		}
		// Times are shown to the minute; a version applied within the same
		// second as the publication is the first version.
		if v.ReceivedAt.Truncate(time.Second).After(st.PublishedAt.Truncate(time.Second)) {
			return latest(st.UpdatedAt, v.ReceivedAt)
		}
		return time.Time{}
	}
	return time.Time{}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// webLink returns link when it is an absolute http(s) URL, else "".
func webLink(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

var blankLines = regexp.MustCompile(`\n[ \t\r]*\n`)

// paragraphs splits a plain-text body into paragraphs at blank lines; a body
// without blank lines is split at each line break, as wire copy often is.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	if text == "" {
		return nil
	}
	var chunks []string
	if blankLines.MatchString(text) {
		chunks = blankLines.Split(text, -1)
	} else {
		chunks = strings.Split(text, "\n")
	}
	var out []string
	for _, c := range chunks {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// provenanceLine is the line saying how a story's text got to the page. An
// edited story says so and names its editor (DESIGN §4 rule 10) instead of
// claiming the agency's words went out unchanged.
func provenanceLine(template string, st *story.Story) string {
	if st.EditedBy != "" {
		return fmt.Sprintf("From the %s feed, edited by %s.", st.Agency, st.EditedBy)
	}
	return strings.ReplaceAll(template, "{agency}", st.Agency)
}
