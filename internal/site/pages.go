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
}

type homePage struct {
	page
	Stories []storySummary
}

// storySummary is one entry of the home page's list.
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
	Headline   string
	Dateline   string
	Byline     string
	Agency     string
	Published  time.Time
	Updated    time.Time // zero unless the current version came after first publication
	Correction string
	// Body is the sanitized HTML body; BodyParagraphs is used instead when
	// the agency sent plain text only.
	Body           template.HTML
	BodyParagraphs []string
	Provenance     string
	AgencyLink     string
	OriginalURL    string
}

type errorPage struct {
	page
	Status  int
	Heading string
	Message string
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"showtime": showTime,
	}
	pages := make(map[string]*template.Template)
	// Each page is its own template set, parsed with the layout, so every
	// page can define the layout's "main" block.
	for _, name := range []string{"home", "story", "error"} {
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

func (s *Site) serveHome(w http.ResponseWriter, r *http.Request) error {
	stories, err := s.store.ListStories(r.Context(), &store.ListStoriesParams{Limit: homeLimit})
	if err != nil {
		return fmt.Errorf("list stories for home page: %w", err)
	}
	hp := homePage{page: page{SiteName: s.siteName, Title: s.siteName}}
	for _, st := range stories {
		// ListStories promises visible stories only; checking again
		// costs nothing and keeps a killed story off the page if a
		// backend ever gets that wrong.
		if !st.State.Visible() || st.Current == nil {
			continue
		}
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
		hp.Stories = append(hp.Stories, sum)
	}
	return s.render(w, "home", hp)
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
		return nil, &GoneError{StoryID: id}
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
	sp := storyPage{
		page:        page{SiteName: s.siteName, Title: headline(st) + " | " + s.siteName, Lang: it.Language},
		Headline:    headline(st),
		Dateline:    dateline(it.Dateline),
		Byline:      strings.TrimSpace(it.Byline),
		Agency:      st.Agency,
		Published:   st.PublishedAt,
		Correction:  correctionNote(it),
		Provenance:  strings.ReplaceAll(s.provenance, "{agency}", st.Agency),
		AgencyLink:  webLink(it.Link),
		OriginalURL: fmt.Sprintf("/story/%d/original", st.ID),
	}
	if st.UpdatedAt.Truncate(time.Second).After(st.PublishedAt.Truncate(time.Second)) {
		sp.Updated = st.UpdatedAt
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

// pageSlug is the slug in a story's canonical URL. "original" is taken by
// the raw-delivery route, and an empty slug would leave a URL that redirects
// to itself, so both get a stand-in.
func pageSlug(st *story.Story) string {
	slug := st.Slug
	if slug == "" {
		slug = story.Slug(headline(st))
	}
	switch slug {
	case "":
		return "story"
	case "original":
		return "original-story"
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

// correctionNote is the agency's note on a correction (DESIGN §4 rule 6); other
// editorial notes are for editors, not readers.
func correctionNote(it *story.Item) string {
	for _, sig := range it.Signals {
		if strings.TrimPrefix(strings.ToLower(sig), "sig:") == "correction" {
			return strings.TrimSpace(it.EdNote)
		}
	}
	return ""
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
