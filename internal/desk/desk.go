// Package desk is the editors' web UI under /desk/: sign-in, the review
// queue, stories (kill, unpublish, restore), sources, routing rules and the
// audit log. Pages are server-rendered html/template and every action works
// without JavaScript. See DESK.md for how to add a page.
package desk

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Config configures a Desk. Every field documents its default.
type Config struct {
	// Store is where the desk reads and writes. Required.
	Store store.Store
	// Auth checks passwords and sessions. Required.
	Auth *auth.Auth
	// Applier carries out story actions (kill, unpublish, restore) in the
	// store's transactions. Required.
	Applier *apply.Applier
	// Fetcher fetches a source once for "test". Default: a fetch client
	// with fetch's defaults.
	Fetcher *fetch.Client
	// Logger receives server errors (5xx), each logged once. Default: a
	// text logger on stderr at level Warn.
	Logger *slog.Logger
	// SiteName is shown in page titles. Default "wiredesk".
	SiteName string
	// SecureCookies marks the session cookie Secure: sent over HTTPS only.
	// Turn it off only to use the desk over plain http://localhost.
	// Default false here; the serve command turns it on unless told
	// otherwise.
	SecureCookies bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("desk config: Store is required"))
	}
	if c.Auth == nil {
		errs = append(errs, errors.New("desk config: Auth is required"))
	}
	if c.Applier == nil {
		errs = append(errs, errors.New("desk config: Applier is required"))
	}
	if c.Fetcher == nil {
		c.Fetcher = fetch.New(fetch.Config{Logger: c.Logger})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c.SiteName = strings.TrimSpace(c.SiteName)
	if c.SiteName == "" {
		c.SiteName = "wiredesk"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

// Desk serves the editors' pages. It is safe for concurrent use.
type Desk struct {
	store   store.Store
	auth    *auth.Auth
	applier *apply.Applier
	fetcher *fetch.Client
	logger  *slog.Logger
	name    string
	secure  bool
	now     func() time.Time
	// policy sanitizes agency HTML for previews, as the site does.
	policy *sanitize.Policy
	pages  map[string]*template.Template
	// live ends the live-update streams when the desk stops (events.go).
	live liveUpdates
}

// New builds a Desk, parsing its embedded templates.
func New(cfg Config) (*Desk, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Desk{
		store:   cfg.Store,
		auth:    cfg.Auth,
		applier: cfg.Applier,
		fetcher: cfg.Fetcher,
		logger:  cfg.Logger,
		name:    cfg.SiteName,
		secure:  cfg.SecureCookies,
		now:     cfg.Now,
		policy:  sanitize.New(),
		pages:   pages,
	}, nil
}

// public marks a route anyone may open, signed in or not.
const public store.Role = ""

// route is one line of the route table: the pattern, the least role that
// may use it (public for none), and the handler.
type route struct {
	pattern string
	role    store.Role
	handler handlerFunc
}

// routes is the desk's route table, read top to bottom. Every POST is
// checked for its CSRF token and origin by handle, whatever its role.
func (d *Desk) routes() []route {
	return []route{
		{"GET /desk/{$}", store.RoleViewer, d.serveHome},
		{"GET /desk/login", public, d.serveLogin},
		{"POST /desk/login", public, d.postLogin},
		{"POST /desk/logout", store.RoleViewer, d.postLogout},
		{"GET /desk/static/{file}", public, d.serveStatic},

		{"GET /desk/stories", store.RoleViewer, d.serveStories},
		{"GET /desk/stories/{id}", store.RoleViewer, d.serveStory},
		{"GET /desk/stories/{id}/{action}", store.RoleEditor, d.serveStoryConfirm},
		{"POST /desk/stories/{id}/{action}", store.RoleEditor, d.postStoryAction},

		{"GET /desk/sources", store.RoleViewer, d.serveSources},
		{"GET /desk/sources/new", store.RoleAdmin, d.serveSourceNew},
		{"POST /desk/sources", store.RoleAdmin, d.postSourceAdd},
		{"POST /desk/sources/{name}/test", store.RoleEditor, d.postSourceTest},
		{"POST /desk/sources/{name}/pause", store.RoleAdmin, d.postSourcePause},
		{"POST /desk/sources/{name}/resume", store.RoleAdmin, d.postSourcePause},

		{"GET /desk/audit", store.RoleViewer, d.serveAudit},

		{"GET /desk/review", store.RoleViewer, d.serveReview},
		{"GET /desk/review/{id}", store.RoleViewer, d.serveReviewStory},
		{"POST /desk/review/{id}/{action}", store.RoleEditor, d.postReviewAction},
		{"GET /desk/events", store.RoleViewer, d.serveEvents},

		{"GET /desk/rules", store.RoleViewer, d.serveRules},
		{"GET /desk/rules/new", store.RoleEditor, d.serveRuleNew},
		{"POST /desk/rules", store.RoleEditor, d.postRule},
		{"POST /desk/rules/defaults", store.RoleEditor, d.postRuleDefault},
		{"GET /desk/rules/{id}", store.RoleViewer, d.serveRuleEdit},
		{"POST /desk/rules/{id}", store.RoleEditor, d.postRule},
		{"POST /desk/rules/{id}/move", store.RoleEditor, d.postRuleMove},
		{"POST /desk/rules/{id}/delete", store.RoleEditor, d.postRuleDelete},

		{"/desk/", public, d.serveNotFound},
	}
}

// Register adds the desk's routes to mux.
func (d *Desk) Register(mux *http.ServeMux) {
	for _, r := range d.routes() {
		mux.Handle(r.pattern, d.handle(r.role, r.handler))
	}
}

// handlerFunc is the shape of every desk handler: it writes a response and
// returns nil, or writes nothing and returns an error for serveError. The
// signed-in session, when there is one, is sessionOf(r).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// contentSecurityPolicy is the desk's: like the site's, with the desk's own
// scripts allowed (progressive enhancements such as live updates), forms
// posting only here, and no <base> tricks.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// handle wraps a handler with what every desk request needs, in order:
// headers, the session (when the route needs a role: strangers are sent
// to sign in), the role check (403), and on POST the origin and CSRF
// checks (403).
func (d *Desk) handle(role store.Role, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("X-Frame-Options", "DENY")
		if err := d.guard(w, r, role, h); err != nil {
			d.serveError(w, r, err)
		}
	})
}

func (d *Desk) guard(w http.ResponseWriter, r *http.Request, role store.Role, h handlerFunc) error {
	sess, err := d.session(r)
	if err != nil && !errors.Is(err, auth.ErrNoSession) {
		return err
	}
	if sess != nil {
		r = withSession(r, sess)
	}
	if role != public {
		if sess == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, loginURL(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return errForbidden("Your session has ended. Sign in again, then repeat what you were doing.")
		}
		if !sess.User.Role.Allows(role) {
			return errForbidden(fmt.Sprintf("This needs the %s role; your account is %s.", role, sess.User.Role))
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := checkOrigin(r); err != nil {
			return err
		}
		// The sign-in form has no session yet; it carries its own token
		// (see postLogin).
		if role != public && !auth.CheckCSRF(sess, r.PostFormValue(csrfField)) {
			return errForbidden("The form was missing its security token or it did not match. Reload the page and try again.")
		}
	}
	return h(w, r)
}

// httpError is an error with the status and the message the desk shows for
// it. Anything else is a 500 with no details.
type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

func errForbidden(msg string) error { return &httpError{status: http.StatusForbidden, message: msg} }

func errBadRequest(msg string) error { return &httpError{status: http.StatusBadRequest, message: msg} }

func errNotFound(msg string) error { return &httpError{status: http.StatusNotFound, message: msg} }

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Message string
}

// serveError is the one place errors become status codes and error pages.
// Server errors are logged here, once; the editor sees no details.
func (d *Desk) serveError(w http.ResponseWriter, r *http.Request, err error) {
	ep := errorPage{Status: http.StatusInternalServerError, Message: "Something went wrong. The error was logged; please try again."}
	var he *httpError
	switch {
	case errors.As(err, &he):
		ep.Status, ep.Message = he.status, he.message
	case errors.Is(err, store.ErrNotFound):
		ep.Status, ep.Message = http.StatusNotFound, "There is nothing at this address."
	default:
		d.logger.ErrorContext(r.Context(), "desk request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if rerr := d.render(w, r, ep.Status, "error", http.StatusText(ep.Status), ep); rerr != nil {
		d.logger.ErrorContext(r.Context(), "desk error page failed", slog.String("path", r.URL.Path), slog.Any("err", rerr))
		http.Error(w, http.StatusText(ep.Status), ep.Status)
	}
}

func (d *Desk) serveNotFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound("There is no desk page at this address.")
}

// serveHome is the desk's front door.
func (d *Desk) serveHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/desk/stories", http.StatusSeeOther)
	return nil
}
