// Package fetch is the HTTP client for polled sources: conditional GET,
// per-source credentials, gzip and brotli, size, time and rate limits, a
// redirect cap and a guard against reaching private networks.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for the zero Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 10 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "wiredesk/0.1 (+https://github.com/wiredesk/wiredesk)"
	DefaultIdleTimeout  = 10 * time.Second
	DefaultMinRate      = 1 << 10
	DefaultMinRateGrace = 5 * time.Second
)

// Sentinel errors callers act on.
var (
	// ErrUnsupportedScheme: the URL, or a redirect, is not http or https.
	ErrUnsupportedScheme = errors.New("unsupported URL scheme")
	// ErrTooManyRedirects: the redirect cap was reached.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTimeout: no complete response arrived within Config.Timeout.
	ErrTimeout = errors.New("request timed out")
	// ErrUnsolicitedNotModified: a 304 answered a request that sent no
	// validator, so there is nothing it could mean "not modified" from.
	ErrUnsolicitedNotModified = errors.New("304 Not Modified to a request without validators")
)

// Config configures a Client. Every zero field takes its default.
type Config struct {
	// Timeout bounds one Get from dialling to the last body byte,
	// redirects included. Default 30s.
	Timeout time.Duration
	// MaxBytes is the largest body accepted, counted after gzip or brotli
	// decoding, so a compression bomb stops here. Default 10 MiB.
	MaxBytes int64
	// MaxWireBytes is the most bytes read off the connection for one body,
	// before decoding. Default MaxBytes.
	MaxWireBytes int64
	// IdleTimeout ends a request when no byte arrives for this long, from
	// sending it to the last body byte (headers included). Default 10s.
	IdleTimeout time.Duration
	// MinRate is the slowest average body transfer accepted, in bytes per
	// second, measured from the response headers once MinRateGrace has
	// passed: a slow-drip upstream fails fast instead of holding a poller
	// until Timeout. Default 1024; negative turns the check off.
	MinRate int64
	// MinRateGrace is how long a body may take before MinRate applies.
	// Default 5s.
	MinRateGrace time.Duration
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
	if c.MaxWireBytes <= 0 {
		c.MaxWireBytes = c.MaxBytes
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MinRate == 0 {
		c.MinRate = DefaultMinRate
	}
	if c.MinRateGrace <= 0 {
		c.MinRateGrace = DefaultMinRateGrace
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

// TooLargeError is a body over Config.MaxBytes, or over
// Config.MaxWireBytes before decoding (Compressed).
type TooLargeError struct {
	Limit      int64
	Compressed bool
}

func (e *TooLargeError) Error() string {
	if e.Compressed {
		return fmt.Sprintf("response larger than %s limit before decoding", formatBytes(e.Limit))
	}
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
	guarded *http.Transport
	open    *http.Transport
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	return newClient(cfg, blockedKind)
}

// newClient takes the address policy of the guarded transport, so a test
// can treat one loopback address as public and another as not.
func newClient(cfg Config, blocked func(netip.Addr) string) *Client {
	cfg = cfg.withDefaults()
	return &Client{
		cfg:     cfg,
		log:     cfg.Logger,
		guarded: newTransport(refuse(blocked)),
		open:    newTransport(nil),
	}
}

func newTransport(control func(network, address string, c syscall.RawConn) error) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: control}
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
		// We ask for gzip and brotli ourselves and decode under our own
		// size cap; the transport would only do gzip, uncapped.
		DisableCompression: true,
	}
}

// CloseIdleConnections closes kept-alive connections of both transports.
func (c *Client) CloseIdleConnections() {
	c.guarded.CloseIdleConnections()
	c.open.CloseIdleConnections()
}

// checkRedirect is the redirect policy of one request: http(s) only, at
// most MaxRedirects, and no credentials to another host. The address guard
// runs again in the dialer for the new host.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request, a *Auth) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("redirect: %w %q", ErrUnsupportedScheme, s)
	}
	if n := max(c.cfg.MaxRedirects, 0); len(via) > n {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, n)
	}
	stripAuthOnRedirect(req, via[0], a)
	return nil
}

// Get fetches r.URL. A 2xx or 304 answer is a Response; anything else is an
// error: *StatusError, *TooLargeError, *BlockedAddressError, or one wrapping
// ErrTimeout, ErrSlowTransfer, ErrTooManyRedirects, ErrUnsupportedScheme,
// ErrUnsupportedEncoding, ErrUnsolicitedNotModified or ErrBadAuth. Error
// messages carry the URL redacted and never the credentials.
func (c *Client) Get(ctx context.Context, r *Request) (*Response, error) {
	return c.do(ctx, http.MethodGet, r, nil)
}

// PostForm posts form to r.URL (a WebSub hub, say) under the same guard,
// limits and credentials as Get. Validators in r are ignored.
func (c *Client) PostForm(ctx context.Context, r *Request, form url.Values) (*Response, error) {
	return c.do(ctx, http.MethodPost, r, form)
}

func (c *Client) do(ctx context.Context, method string, r *Request, form url.Values) (*Response, error) {
	verb := strings.ToLower(method)
	safe := Redact(r.URL)
	u, err := url.Parse(r.URL)
	if err != nil {
		// url.Error repeats the raw URL; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: parse URL: %w", verb, safe, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s %s: %w %q", verb, safe, ErrUnsupportedScheme, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s %s: URL has no host", verb, safe)
	}

	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	reqCtx, stall := context.WithCancelCause(reqCtx)
	defer stall(nil)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(reqCtx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: build request: %w", verb, safe, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "gzip, br")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		if r.ETag != "" {
			req.Header.Set("If-None-Match", r.ETag)
		}
		if r.LastModified != "" {
			req.Header.Set("If-Modified-Since", r.LastModified)
		}
	}
	if err := applyAuth(req, r.Auth); err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, safe, err)
	}

	t := c.guarded
	if r.AllowPrivate {
		t = c.open
	}
	// One http.Client per request, sharing the transport (and so its
	// kept-alive connections): the redirect policy needs this request's
	// credentials.
	hc := &http.Client{Transport: t, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		return c.checkRedirect(req, via, r.Auth)
	}}
	start := time.Now()
	dog := startWatchdog(c.cfg.IdleTimeout, stall)
	defer dog.stop()
	resp, err := hc.Do(req)
	if err != nil {
		err = c.requestError(ctx, reqCtx, verb, safe, err)
		c.log.DebugContext(ctx, "fetch failed", "method", method, "url", safe, "duration", time.Since(start), "err", err)
		return nil, err
	}
	defer resp.Body.Close()

	out, err := c.readResponse(resp, r, dog, form != nil)
	if err != nil {
		// A StatusError already names the URL.
		if _, ok := err.(*StatusError); !ok {
			err = c.requestError(ctx, reqCtx, verb, safe, err)
		}
		c.log.DebugContext(ctx, "fetch failed", "method", method, "url", safe, "status", resp.StatusCode, "duration", time.Since(start), "err", err)
		return nil, err
	}
	c.log.DebugContext(ctx, "fetched", "method", method, "url", safe, "status", out.StatusCode,
		"bytes", len(out.Body), "duration", time.Since(start))
	return out, nil
}

func (c *Client) readResponse(resp *http.Response, r *Request, dog *watchdog, posted bool) (*Response, error) {
	dog.progress()
	out := &Response{
		StatusCode:   resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     withoutAuthQuery(resp.Request.URL, r.Auth),
		Header:       resp.Header.Clone(),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && !posted:
		if r.ETag == "" && r.LastModified == "" {
			return nil, ErrUnsolicitedNotModified
		}
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
		se := &StatusError{Code: resp.StatusCode, URL: Redact(out.FinalURL)}
		if se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable {
			se.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, se
	}

	codings := contentEncodings(resp.Header.Get("Content-Encoding"))
	limit, hint := c.cfg.MaxBytes, resp.ContentLength
	if len(codings) > 0 {
		if resp.ContentLength > c.cfg.MaxWireBytes {
			return nil, &TooLargeError{Limit: c.cfg.MaxWireBytes, Compressed: true}
		}
		// The declared length is of the encoded body: no guide to the
		// decoded size.
		hint = -1
	} else if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	wire := &wireReader{
		r: resp.Body, limit: c.cfg.MaxWireBytes, dog: dog, start: time.Now(),
		minRate: c.cfg.MinRate, grace: c.cfg.MinRateGrace,
	}
	decoded, err := decodeBody(wire, codings)
	if err != nil {
		return nil, wire.breach(err)
	}
	body, err := readAtMost(decoded, hint, limit)
	if err != nil {
		return nil, wire.breach(err)
	}
	if len(codings) > 0 {
		// A decoder stops at its own end marker; what follows on the wire
		// (a chunked trailer, say) must be read for the connection to be
		// reused.
		_, _ = io.CopyN(io.Discard, wire, 4<<10)
		out.Header.Del("Content-Encoding")
		out.Header.Del("Content-Length")
	}
	out.Body = body
	return out, nil
}

// ParseRetryAfter reads Retry-After: delay-seconds or an HTTP-date. A
// missing, malformed or past value is 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		// A century is longer than any wait worth honouring, and keeps
		// the multiplication from overflowing.
		const most = 100 * 365 * 24 * 60 * 60
		return time.Duration(min(max(secs, 0), most)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// requestError rewrites an error of Do or of the body read: it drops
// url.Error (it repeats the unredacted URL) and names the timeout or the
// stalled transfer as ours when our deadline or watchdog, not the caller's
// context, ended the request.
func (c *Client) requestError(parent, reqCtx context.Context, verb, safe string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if parent.Err() == nil {
		if cause := context.Cause(reqCtx); errors.Is(cause, ErrSlowTransfer) {
			return fmt.Errorf("%s %s: %w", verb, safe, cause)
		}
		if errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: %w: no complete response within %s", verb, safe, ErrTimeout, c.cfg.Timeout)
		}
	}
	return fmt.Errorf("%s %s: %w", verb, safe, err)
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
