package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/fetch"
)

// Defaults for the zero Config.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultUserAgent = "wiredesk-webhooks/0.1 (+https://github.com/wiredesk/wiredesk)"
)

// Config configures a Sender. Every zero field takes its default.
type Config struct {
	// Timeout bounds one request, from dialling to the end of the answer.
	// Default 10s.
	Timeout time.Duration
	// UserAgent is sent with every request. Default DefaultUserAgent.
	UserAgent string
	// Logger receives one debug line per request. Default: discard.
	Logger *slog.Logger
	// Now is the clock the signature's timestamp is read from. Default
	// time.Now.
	Now func() time.Time
}

// Sender makes webhook requests and hub pings. It is safe for concurrent
// use and keeps connections alive between requests.
type Sender struct {
	cfg Config
	// The private-address policy lives in the dialer, so each policy has
	// its own client.
	guarded *http.Client
	open    *http.Client
}

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, guarded: newClient(cfg.Timeout, false), open: newClient(cfg.Timeout, true)}
}

func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = fetch.RefusePrivate
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			// No proxy: the guard must see the receiver's address.
			Proxy:                  nil,
			DialContext:            d.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    timeout,
			MaxResponseHeaderBytes: 64 << 10,
		},
		// A receiver answers; it does not send us elsewhere. A redirect is
		// reported as its 3xx, which is retried like any other failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CloseIdleConnections closes kept-alive connections.
func (s *Sender) CloseIdleConnections() {
	s.guarded.CloseIdleConnections()
	s.open.CloseIdleConnections()
}

// Message is one webhook request.
type Message struct {
	URL    string
	Secret string
	// ID is the webhook-id: the same on every attempt of one delivery, so
	// a receiver can tell a retry from a new message.
	ID   string
	Body []byte
	// AllowPrivate lets the URL reach loopback and private addresses.
	AllowPrivate bool
}

// Result is what one attempt came to.
type Result struct {
	// Status is the HTTP status answered; 0 when no answer came.
	Status int
	// RetryAfter is the wait a 429 or 503 asked for; 0 when none.
	RetryAfter time.Duration
	// Err says why the attempt did not succeed; nil on a 2xx.
	Err      error
	Duration time.Duration
}

// Verdict is what to do about a delivery after an attempt.
type Verdict int

// Verdicts.
const (
	// Delivered: the receiver took it (2xx).
	Delivered Verdict = iota
	// Retry: try again later (no answer, 3xx, 408, 429, 5xx).
	Retry
	// Refused: the receiver refused it for good (any other 4xx); it is not
	// sent again.
	Refused
)

// Verdict classifies the attempt as Standard Webhooks receivers expect: a
// 2xx is success; a 4xx other than 408 Request Timeout and 429 Too Many
// Requests says the message will never be taken.
func (r *Result) Verdict() Verdict {
	switch {
	case r.Err == nil && r.Status >= 200 && r.Status < 300:
		return Delivered
	case r.Status >= 400 && r.Status < 500 && r.Status != http.StatusRequestTimeout && r.Status != http.StatusTooManyRequests:
		return Refused
	}
	return Retry
}

// Send posts one signed message. It never returns an error: what went wrong
// is in the Result, for the delivery log.
func (s *Sender) Send(ctx context.Context, m *Message) *Result {
	start := time.Now()
	res := s.send(ctx, m)
	res.Duration = time.Since(start)
	s.cfg.Logger.DebugContext(ctx, "webhook sent", "id", m.ID, "url", fetch.Redact(m.URL),
		"status", res.Status, "duration", res.Duration, "err", res.Err)
	return res
}

func (s *Sender) send(ctx context.Context, m *Message) *Result {
	if err := checkURL(m.URL); err != nil {
		return &Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return &Result{Err: fmt.Errorf("build request to %s: %w", fetch.Redact(m.URL), unwrapURLError(err))}
	}
	ts := s.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Signature(m.Secret, m.ID, ts, m.Body))
	return s.do(req, m.AllowPrivate)
}

// do runs a request and reads (a bounded part of) the answer, so the
// connection can be reused.
func (s *Sender) do(req *http.Request, allowPrivate bool) *Result {
	hc := s.guarded
	if allowPrivate {
		hc = s.open
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &Result{Err: fmt.Errorf("post to %s: %w", fetch.Redact(req.URL.String()), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res := &Result{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = fetch.ParseRetryAfter(resp.Header.Get("Retry-After"), s.cfg.Now())
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		res.Err = fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return res
}

// PingHub tells a WebSub hub that the feed at topic has changed (the
// "publish" notification most hubs take: hub.mode=publish, hub.url=topic).
// The hub is the operator's own configuration, so it may be on a private
// network.
func (s *Sender) PingHub(ctx context.Context, hub, topic string) error {
	if err := checkURL(hub); err != nil {
		return fmt.Errorf("ping hub: %w", err)
	}
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("ping hub %s: %w", fetch.Redact(hub), unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	res := s.do(req, true)
	if res.Err != nil {
		return fmt.Errorf("ping hub %s for %s: %w", fetch.Redact(hub), topic, res.Err)
	}
	return nil
}

// checkURL refuses what is not an absolute http or https URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("URL %s: %w", fetch.Redact(raw), unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %s: scheme %q is not http or https", fetch.Redact(raw), u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %s: no host", fetch.Redact(raw))
	}
	return nil
}

// CheckURL says what is wrong with a subscriber URL, or returns nil.
func CheckURL(raw string) error { return checkURL(raw) }

// unwrapURLError drops net/http's *url.Error wrapping, which repeats the
// whole URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
