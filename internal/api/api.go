// Package api serves wiredesk's JSON API: stories as ninjs 2.1, their
// versions, webhook management, and the OpenAPI 3.1 document describing it.
package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// Store is the part of the store the API uses: *sqlite.Store and
// *postgres.Store satisfy it.
type Store interface {
	GetStory(ctx context.Context, id int64) (*story.Story, error)
	ListStories(ctx context.Context, p *store.ListStoriesParams) ([]*story.Story, error)
	ListVersions(ctx context.Context, storyID int64) ([]*store.Version, error)
	SearchStories(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error)

	APITokenBySHA256(ctx context.Context, sha256Hex string) (*store.APIToken, error)
	CreateWebhook(ctx context.Context, p *store.CreateWebhookParams) (*store.Webhook, error)
	GetWebhook(ctx context.Context, id int64) (*store.Webhook, error)
	ListWebhooks(ctx context.Context) ([]*store.Webhook, error)
	DeleteWebhook(ctx context.Context, id int64) error
	ListWebhookDeliveries(ctx context.Context, p *store.ListWebhookDeliveriesParams) ([]*store.WebhookDelivery, error)
}

// Config configures an API.
type Config struct {
	// Store is what the API reads and manages. Required.
	Store Store
	// Logger receives server errors (5xx), each logged once. Default:
	// discard.
	Logger *slog.Logger
	// BaseURL is the site's public base URL (https://news.example): the
	// next-page links and story URLs are built on it. Default: the
	// request's own scheme and host.
	BaseURL string
}

// API serves the JSON API. It is safe for concurrent use.
type API struct {
	store   Store
	logger  *slog.Logger
	baseURL string
	openAPI []byte
}

// New returns an API for cfg.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil {
		return nil, errors.New("api config: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("api config: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
		}
	}
	doc, err := json.MarshalIndent(openAPIDocument(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("api: OpenAPI document: %w", err)
	}
	return &API{store: cfg.Store, logger: cfg.Logger, baseURL: base, openAPI: append(doc, '\n')}, nil
}

// route is one line of the route table. Scope is what the caller's token
// must grant; "" for anyone.
type route struct {
	method  string
	path    string
	scope   string
	handler handlerFunc
}

// routes is the API's route table, read top to bottom.
func (a *API) routes() []route {
	return []route{
		{http.MethodGet, "/api/openapi.json", "", a.serveOpenAPI},
		{http.MethodGet, "/api/v1/stories", "", a.listStories},
		{http.MethodGet, "/api/v1/stories/{id}", "", a.getStory},
		{http.MethodGet, "/api/v1/stories/{id}/versions", store.ScopeReadAll, a.listVersions},
		{http.MethodGet, "/api/v1/webhooks", store.ScopeAdmin, a.listWebhooks},
		{http.MethodPost, "/api/v1/webhooks", store.ScopeAdmin, a.createWebhook},
		{http.MethodDelete, "/api/v1/webhooks/{id}", store.ScopeAdmin, a.deleteWebhook},
		{http.MethodGet, "/api/v1/webhooks/{id}/deliveries", store.ScopeAdmin, a.listDeliveries},
	}
}

// Register adds the API's routes to mux. Any other path under /api/ gets a
// JSON 404.
func (a *API) Register(mux *http.ServeMux) {
	for _, r := range a.routes() {
		mux.Handle(r.method+" "+r.path, a.handle(r.scope, r.handler))
	}
	mux.Handle("/api/", a.handle("", func(http.ResponseWriter, *http.Request, *caller) error {
		return &apiError{status: http.StatusNotFound, msg: "no such API endpoint or method"}
	}))
}

// caller is who made a request: the token's scope, "" for anyone.
type caller struct {
	scope string
}

// may reports whether the caller's token grants scope.
func (c *caller) may(scope string) bool {
	switch scope {
	case "":
		return true
	case store.ScopeReadAll:
		return c.scope == store.ScopeReadAll || c.scope == store.ScopeAdmin
	case store.ScopeAdmin:
		return c.scope == store.ScopeAdmin
	}
	return false
}

// handlerFunc is the shape of every API handler: it writes a response and
// returns nil, or writes nothing and returns an error for serveError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

func (a *API) handle(scope string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.authenticate(r)
		if err == nil && !c.may(scope) {
			if c.scope == "" {
				err = &apiError{status: http.StatusUnauthorized, msg: "this endpoint needs a bearer token with scope " + scope}
			} else {
				err = &apiError{status: http.StatusForbidden, msg: "the token's scope " + c.scope + " does not grant " + scope}
			}
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			a.serveError(w, r, err)
		}
	})
}

// apiError is an error the client is told about, with its status.
type apiError struct {
	status int
	msg    string
	// reason is the kill notice of a 410.
	reason string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// errorBody is every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason,omitempty"`
}

// serveError is the one place errors become status codes. Server errors
// are logged here, once; the client sees no details.
func (a *API) serveError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ae   *apiError
		body errorBody
	)
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &ae):
		status, body.Error, body.Reason = ae.status, ae.msg, ae.reason
	case errors.Is(err, store.ErrNotFound):
		status, body.Error = http.StatusNotFound, "not found"
	default:
		body.Error = "internal error"
		a.logger.ErrorContext(r.Context(), "api request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wiredesk"`)
	}
	// A kill is news to every cache at once; the store's change watch
	// flushes wiredesk's own, and others may keep a 410 only briefly.
	cache := "no-store"
	if status == http.StatusGone || status == http.StatusNotFound {
		cache = "public, max-age=30"
	}
	writeJSON(w, status, cache, body)
}

// writeJSON writes v as the response.
func writeJSON(w http.ResponseWriter, status int, cacheControl string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", cacheControl)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// publicCache is the Cache-Control of a public read: wiredesk's response
// cache keeps it until the store changes, others for half a minute. Reads
// with a token are never stored.
func publicCache(c *caller) string {
	if c.scope != "" {
		return "private, no-store"
	}
	return "public, max-age=30"
}

// tokenPrefix starts every API token, so a leaked one is recognisable.
const tokenPrefix = "wdt_"

// NewToken returns a fresh API token (shown once, to whoever creates it)
// and the SHA-256 it is stored by.
func NewToken() (token, sha256Hex string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the SHA-256, in hex, a token is stored and looked up by.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// authenticate reads the bearer token, if any. A request without one is
// anyone's; a token that is malformed, unknown or revoked is refused
// rather than read as none, so a client learns its token is wrong.
func (a *API) authenticate(r *http.Request) (*caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &caller{}, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, &apiError{status: http.StatusUnauthorized, msg: "Authorization must be \"Bearer <token>\""}
	}
	t, err := a.store.APITokenBySHA256(r.Context(), HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, &apiError{status: http.StatusUnauthorized, msg: "unknown or revoked token"}
	}
	if err != nil {
		return nil, err
	}
	return &caller{scope: t.Scope}, nil
}

// base is the URL absolute links are built on: the configured public URL,
// else the request's own scheme and host.
func (a *API) base(r *http.Request) string {
	if a.baseURL != "" {
		return a.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *API) serveOpenAPI(w http.ResponseWriter, r *http.Request, _ *caller) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// The document changes only with the binary.
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(a.openAPI)
	return nil
}
