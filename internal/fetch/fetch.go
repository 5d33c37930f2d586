// Package fetch is the HTTP client for polled sources: conditional GET, size
// and time limits, a redirect cap and a guard against reaching private networks.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Defaults for the zero Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 10 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "wiredesk/0.1 (+https://github.com/wiredesk/wiredesk)"
)

// Sentinel errors callers act on.
var (
	// ErrUnsupportedScheme: the URL, or a redirect, is not http or https.
	ErrUnsupportedScheme = errors.New("unsupported URL scheme")
	// ErrTooManyRedirects: the redirect cap was reached.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTimeout: no complete response arrived within Config.Timeout.
	ErrTimeout = errors.New("request timed out")
)

// Config configures a Client. Every zero field takes its default.
type Config struct {
	// Timeout bounds one Get from dialling to the last body byte,
	// redirects included. Default 30s.
	Timeout time.Duration
	// MaxBytes is the largest body accepted, counted after gzip decoding.
	// Default 10 MiB.
	MaxBytes int64
	// MaxRedirects is how many redirects one Get follows. Default 5; a
	// negative value follows none.
	MaxRedirects int
	// UserAgent is sent with every request. Default DefaultUserAgent.
	UserAgent string
	// Logger receives one debug line per request, URLs redacted. Default:
	// discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Request is one GET of a source.
type Request struct {
	URL string
	// ETag and LastModified are the validators of the last response, sent
	// as If-None-Match and If-Modified-Since when set.
	ETag         string
	LastModified string
	// AllowPrivate lets this request reach loopback, private, link-local
	// and similar addresses: for sources on the operator's own network.
	AllowPrivate bool
	// Auth is the source's credentials; nil for none. Its secret is never
	// logged nor put in an error message.
	Auth *Auth
}

// Auth kinds.
const (
	AuthBasic  = "basic"  // HTTP Basic: Username and Secret
	AuthBearer = "bearer" // Authorization: Bearer Secret
	AuthHeader = "header" // header Name: Secret
	AuthQuery  = "query"  // query parameter Name=Secret
)

// Auth is how a source proves who is asking.
type Auth struct {
	Kind     string
	Username string
	// Secret is the password, token, header value or query value.
	Secret string
	// Name is the header name (AuthHeader) or query key (AuthQuery).
	Name string
}

// Response is a successful (2xx or 304) answer.
type Response struct {
	StatusCode int
	// NotModified is true on 304: Body is nil and the caller keeps what it
	// has. ETag and LastModified then fall back to the request's.
	NotModified  bool
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	// FinalURL is where the body came from, after redirects.
	FinalURL string
	// Header is the response's header, for the scheduler's reading of
	// Cache-Control, Expires and the like.
	Header http.Header
}

// StatusError is a response outside 2xx and 304.
type StatusError struct {
	Code int
	// RetryAfter is the wait a 429 or 503 asked for in Retry-After; 0 when
	// none was given.
	RetryAfter time.Duration
	// URL is redacted (see Redact): errors end up in logs and health pages.
	URL string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s from %s", e.Code, http.StatusText(e.Code), e.URL)
}

// TooLargeError is a body over Config.MaxBytes.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response larger than %s limit", formatBytes(e.Limit))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Client fetches sources. It is safe for concurrent use and keeps
// connections alive between requests.
type Client struct {
	cfg Config
	log *slog.Logger
	// The private-address policy lives in the dialer, so each policy needs
	// its own transport; both are kept for connection reuse.
	guarded *http.Client
	open    *http.Client
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, log: cfg.Logger}
	c.guarded = &http.Client{Transport: newTransport(false), CheckRedirect: c.checkRedirect}
	c.open = &http.Client{Transport: newTransport(true), CheckRedirect: c.checkRedirect}
	return c
}

func newTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	return &http.Transport{
		// No proxy: through a proxy the dialer would see the proxy's
		// address, not the origin's, and the guard would check the wrong
		// thing.
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

// CloseIdleConnections closes kept-alive connections of both transports.
func (c *Client) CloseIdleConnections() {
	c.guarded.CloseIdleConnections()
	c.open.CloseIdleConnections()
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("redirect: %w %q", ErrUnsupportedScheme, s)
	}
	if n := max(c.cfg.MaxRedirects, 0); len(via) > n {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, n)
	}
	return nil
}

// Get fetches r.URL. A 2xx or 304 answer is a Response; anything else is an
// error: *StatusError, *TooLargeError, *BlockedAddressError, or one wrapping
// ErrTimeout, ErrTooManyRedirects or ErrUnsupportedScheme. Error messages
// carry the URL redacted.
func (c *Client) Get(ctx context.Context, r *Request) (*Response, error) {
	safe := Redact(r.URL)
	u, err := url.Parse(r.URL)
	if err != nil {
		// url.Error repeats the raw URL; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("get %s: parse URL: %w", safe, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("get %s: %w %q", safe, ErrUnsupportedScheme, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("get %s: URL has no host", safe)
	}

	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: build request: %w", safe, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	// Accept-Encoding is left to the transport: it asks for gzip and
	// decodes it only when the caller has not set the header.

	hc := c.guarded
	if r.AllowPrivate {
		hc = c.open
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		err = c.requestError(ctx, reqCtx, safe, err)
		c.log.DebugContext(ctx, "fetch failed", "url", safe, "duration", time.Since(start), "err", err)
		return nil, err
	}
	defer resp.Body.Close()

	out, err := c.readResponse(resp, r)
	if err != nil {
		// A StatusError already names the URL.
		if _, ok := err.(*StatusError); !ok {
			err = c.requestError(ctx, reqCtx, safe, err)
		}
		c.log.DebugContext(ctx, "fetch failed", "url", safe, "status", resp.StatusCode, "duration", time.Since(start), "err", err)
		return nil, err
	}
	c.log.DebugContext(ctx, "fetched", "url", safe, "status", out.StatusCode,
		"bytes", len(out.Body), "duration", time.Since(start))
	return out, nil
}

func (c *Client) readResponse(resp *http.Response, r *Request) (*Response, error) {
	out := &Response{
		StatusCode:   resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     resp.Request.URL.String(),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = r.ETag
		}
		if out.LastModified == "" {
			out.LastModified = r.LastModified
		}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused; a large error
		// page is not worth the wait.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, &StatusError{Code: resp.StatusCode, URL: Redact(out.FinalURL)}
	}
	limit := c.cfg.MaxBytes
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	body, err := readAtMost(resp.Body, resp.ContentLength, limit)
	if err != nil {
		return nil, err
	}
	out.Body = body
	return out, nil
}

// readAtMost reads body whole when it is at most limit bytes. It reads at
// most limit+1 bytes: one more than allowed is how an oversize body without a
// Content-Length is told apart from one exactly at the limit.
func readAtMost(body io.Reader, contentLength, limit int64) ([]byte, error) {
	capacity := int64(32 << 10)
	if contentLength >= 0 {
		capacity = contentLength + 1
	}
	buf := make([]byte, 0, min(capacity, limit+1))
	lr := io.LimitReader(body, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &TooLargeError{Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
}

// requestError rewrites an error of Do or of the body read: it drops
// url.Error (it repeats the unredacted URL) and names the timeout as ours
// when our deadline, not the caller's, ended the request.
func (c *Client) requestError(parent, reqCtx context.Context, safe string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if parent.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("get %s: %w: no complete response within %s", safe, ErrTimeout, c.cfg.Timeout)
	}
	return fmt.Errorf("get %s: %w", safe, err)
}

// Redact returns raw fit for logs and error messages: user information and
// query values replaced by "redacted", the fragment dropped. API keys and
// passwords of agency feeds travel in exactly those parts. A URL that does
// not parse is not echoed at all.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" || u.ForceQuery {
		// Keys go too: some feeds take a bare token as the whole query.
		u.RawQuery = "redacted"
		u.ForceQuery = false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
