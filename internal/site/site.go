// Package site renders wiredesk's public HTML pages (home, story, story history, original delivery) from the store.
package site

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

//go:embed templates/*.html static/site.css
var assets embed.FS

// DefaultSiteName is the site's name when Config.SiteName is empty.
const DefaultSiteName = "wiredesk"

// DefaultProvenance is the line shown on every story page when
// Config.Provenance is empty; {agency} is replaced by the story's agency.
const DefaultProvenance = "Published automatically from the {agency} feed, without changes to its text. Not reviewed by an editor."

// homeLimit is how many stories the home page lists.
const homeLimit = 50

// Reader is the part of the store the site reads: *sqlite.Store and
// *postgres.Store satisfy it.
type Reader interface {
	GetStory(ctx context.Context, id int64) (*story.Story, error)
	ListStories(ctx context.Context, p *store.ListStoriesParams) ([]*story.Story, error)
	GetDelivery(ctx context.Context, id int64) (*store.Delivery, error)
	ListVersions(ctx context.Context, storyID int64) ([]*store.Version, error)
	outputReader
	readingReader
}

// Config configures a Site.
type Config struct {
	// Store is where stories and deliveries are read from. Required.
	Store Reader
	// Logger receives server errors (5xx), each logged once. Default: a
	// text logger on stderr at level Warn.
	Logger *slog.Logger
	// SiteName is shown in the header and page titles. Default
	// DefaultSiteName ("wiredesk").
	SiteName string
	// Provenance is the line every story page carries to say how the text
	// got there; "{agency}" is replaced by the story's agency. Default
	// DefaultProvenance.
	Provenance string
	// PublicURL is the site's address as readers reach it
	// ("https://news.example"), for the absolute links of feeds and
	// sitemaps. Default: the scheme and host of each request.
	PublicURL string
	// WebSubHub is the WebSub hub the feeds advertise (rel="hub"). Default
	// none.
	WebSubHub string
	// SitemapPageSize is how many stories one paged sitemap lists. Default
	// and maximum store.MaxSitemapEntries (50,000).
	SitemapPageSize int
	// Now is the clock of the news sitemap's window. Default time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("site config: Store is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c.SiteName = strings.TrimSpace(c.SiteName)
	if c.SiteName == "" {
		c.SiteName = DefaultSiteName
	}
	c.Provenance = strings.TrimSpace(c.Provenance)
	if c.Provenance == "" {
		c.Provenance = DefaultProvenance
	}
	c.PublicURL = strings.TrimRight(strings.TrimSpace(c.PublicURL), "/")
	if c.SitemapPageSize <= 0 || c.SitemapPageSize > store.MaxSitemapEntries {
		c.SitemapPageSize = store.MaxSitemapEntries
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Site serves the public pages. It is safe for concurrent use.
type Site struct {
	store      Reader
	logger     *slog.Logger
	siteName   string
	provenance string
	out        outputSettings
	// policy sanitizes every body at render time, whatever the store
	// holds, so a policy fix reaches stories stored before it.
	policy *sanitize.Policy
	pages  map[string]*template.Template
	css    []byte
}

// New builds a Site, parsing its embedded templates.
func New(cfg Config) (*Site, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	css, err := assets.ReadFile("static/site.css")
	if err != nil {
		return nil, fmt.Errorf("site stylesheet: %w", err)
	}
	return &Site{
		store:      cfg.Store,
		logger:     cfg.Logger,
		siteName:   cfg.SiteName,
		provenance: cfg.Provenance,
		out:        outputSettingsOf(&cfg),
		policy:     sanitize.New(),
		pages:      pages,
		css:        css,
	}, nil
}

// Register adds the site's routes to mux. The site owns "/", so any path
// no other part claims gets the site's 404 page.
func (s *Site) Register(mux *http.ServeMux) {
	for _, r := range []struct {
		pattern string
		handler http.Handler
	}{
		{"GET /{$}", s.handle(s.serveHome)},
		{"GET /section/{name}", s.handle(s.serveSection)},
		{"GET /tag/{kind}/{slug}", s.handle(s.serveTag)},
		{"GET /search", s.handle(s.serveSearch)},
		{"GET /story/{id}", s.handle(s.serveStoryRedirect)},
		{"GET /story/{id}/original", s.handle(s.serveOriginal)},
		{"GET /story/{id}/history", s.handle(s.serveHistory)},
		{"GET /story/{id}/{slug}", s.handle(s.serveStory)},
		{"GET /static/site.css", http.HandlerFunc(s.serveCSS)},
		{"/", s.handle(s.serveNotFound)},
	} {
		mux.Handle(r.pattern, withCacheControl(r.pattern, r.handler))
	}
	for _, r := range append(s.feedRoutes(), s.sitemapRoutes()...) {
		mux.Handle(r.pattern, withCacheControl(r.pattern, r.handler))
	}
}

// handlerFunc is the shape of every site handler: it writes a response and
// returns nil, or writes nothing and returns an error for serveError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Site) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	})
}

// GoneError reports a story the agency or an editor killed: its pages answer
// 410 Gone with a short notice (DESIGN §4 rule 4). It carries only what the
// notice may show: never the story's headline or text.
type GoneError struct {
	StoryID int64
	// Agency is the story's agency, named in the notice.
	Agency string
	// Reason is the reason given for the kill (Story.StateReason); shown
	// when non-empty.
	Reason string
}

func (e *GoneError) Error() string { return fmt.Sprintf("story %d was withdrawn", e.StoryID) }

// badRequestError is a request the site cannot make sense of, such as a
// story id that is not a positive number.
type badRequestError struct {
	reason string
}

func (e *badRequestError) Error() string { return "bad request: " + e.reason }

// serveError is the one place errors become status codes and error pages.
// Server errors are logged here, once; the reader sees no details.
func (s *Site) serveError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		gone *GoneError
		bad  *badRequestError
		ep   = errorPage{page: page{SiteName: s.siteName}}
	)
	switch {
	case errors.As(err, &bad):
		ep.Status = http.StatusBadRequest
		ep.Heading = "Bad request"
		ep.Message = "This address is not one this site understands."
	case errors.As(err, &gone):
		ep.Status = http.StatusGone
		ep.Heading = "This story has been withdrawn"
		ep.Message = "The agency or our editors withdrew this story. It is no longer available."
		if agency := strings.TrimSpace(gone.Agency); agency != "" {
			ep.Message = "This story was withdrawn by " + agency + "."
		}
		ep.Reason = strings.TrimSpace(gone.Reason)
	case errors.Is(err, store.ErrNotFound):
		ep.Status = http.StatusNotFound
		ep.Heading = "Page not found"
		ep.Message = "There is no page at this address."
	default:
		ep.Status = http.StatusInternalServerError
		ep.Heading = "Something went wrong"
		ep.Message = "The page could not be shown. Please try again later."
		s.logger.ErrorContext(r.Context(), "site request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	ep.Title = ep.Heading + " | " + s.siteName
	var buf bytes.Buffer
	if terr := s.pages["error"].ExecuteTemplate(&buf, "layout", ep); terr != nil {
		s.logger.ErrorContext(r.Context(), "site error page failed",
			slog.String("path", r.URL.Path), slog.Any("err", terr))
		http.Error(w, http.StatusText(ep.Status), ep.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", errorCacheControl(ep.Status))
	w.WriteHeader(ep.Status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Site) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	// The stylesheet changes only with the binary; an hour keeps a
	// deploy's new CSS from waiting long.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "site.css", time.Time{}, bytes.NewReader(s.css))
}
