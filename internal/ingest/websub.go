package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// Defaults of SubscriberConfig.
const (
	DefaultWebSubLease       = 10 * 24 * time.Hour
	DefaultWebSubQuietWindow = 15 * time.Minute
	DefaultWebSubRetryMin    = time.Minute
	DefaultWebSubRetryMax    = time.Hour
	DefaultWebSubRediscover  = 24 * time.Hour
	DefaultWebSubTick        = 10 * time.Second
	DefaultWebSubBatch       = 20
)

// SubscriberConfig configures the WebSub subscriber: it finds the hub of
// each source's feed, subscribes, answers the hub's verification, takes
// signed content distributions through the Pipeline, and renews leases.
type SubscriberConfig struct {
	// Store keeps the subscriptions and the sources' push windows. Required.
	Store store.Store
	// Pipeline archives, decodes and applies distributed content. Required.
	Pipeline *Pipeline
	// Fetcher reads feeds for discovery and posts to hubs, under the same
	// guard and limits as polling. Required.
	Fetcher *fetch.Client
	// PublicURL is where hubs reach this server ("https://news.example");
	// callbacks are PublicURL/websub/{source}/{token}. Required.
	PublicURL string
	// Enabled says whether a source may be subscribed (the per-source
	// `websub` setting). Default: every source whose feed names a hub.
	Enabled func(sourceName string) bool
	// Lease is the lease asked of hubs (hub.lease_seconds); the hub may
	// grant another. Default 10 days.
	Lease time.Duration
	// QuietWindow is how long push counts as working after a verification
	// or a delivery: the window is max(3 × the source's interval,
	// QuietWindow). While it lasts the scheduler polls the source only as a
	// safety net; when a hub goes quiet it ends and polling resumes.
	// Default 15 minutes.
	QuietWindow time.Duration
	// RetryMin and RetryMax bound the backoff between subscription
	// attempts not verified, failed or denied. Default 1 minute and 1 hour.
	RetryMin, RetryMax time.Duration
	// Rediscover is how often a feed without a hub is looked at again.
	// Default 24 hours.
	Rediscover time.Duration
	// Tick is how often Run looks for work. Default 10s.
	Tick time.Duration
	// Batch is how many subscriptions one tick works on. Default 20.
	Batch int
	// MaxBytes caps one distributed body. Default wire.MaxDocumentBytes.
	MaxBytes int64
	// Logger receives one line per refused distribution and failed
	// attempt. Default discards.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Metrics registers the subscriber's counters; nil registers none.
	Metrics prometheus.Registerer
}

// Subscriber is the WebSub subscriber: Register adds its callback routes,
// Run renews and retries subscriptions until its context ends.
type Subscriber struct {
	cfg           SubscriberConfig
	deliveries    *prometheus.CounterVec
	verifications *prometheus.CounterVec
}

// NewSubscriber checks cfg and fills its defaults.
func NewSubscriber(cfg SubscriberConfig) (*Subscriber, error) {
	if cfg.Store == nil || cfg.Pipeline == nil || cfg.Fetcher == nil {
		return nil, errors.New("websub subscriber: Store, Pipeline and Fetcher are required")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("websub subscriber: PublicURL %q must be an absolute http(s) URL", cfg.PublicURL)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Enabled == nil {
		cfg.Enabled = func(string) bool { return true }
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultWebSubLease
	}
	if cfg.QuietWindow <= 0 {
		cfg.QuietWindow = DefaultWebSubQuietWindow
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultWebSubRetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(DefaultWebSubRetryMax, cfg.RetryMin)
	}
	if cfg.Rediscover <= 0 {
		cfg.Rediscover = DefaultWebSubRediscover
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultWebSubTick
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultWebSubBatch
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = wire.MaxDocumentBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Subscriber{
		cfg: cfg,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wiredesk_websub_deliveries_total",
			Help: "WebSub content distributions received, by result: accepted, unsigned, bad_signature, undecodable, failed.",
		}, []string{"result"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wiredesk_websub_verifications_total",
			Help: "WebSub verification requests from hubs, by result: verified, refused, denied.",
		}, []string{"result"}),
	}
	if cfg.Metrics != nil {
		for _, c := range []prometheus.Collector{s.deliveries, s.verifications} {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("websub subscriber: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Register adds the callback routes to mux.
func (s *Subscriber) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /websub/{source}/{token}", s.serveVerify)
	mux.HandleFunc("POST /websub/{source}/{token}", s.serveContent)
}

// callbackURL is where the hub reaches the subscription of source.
func (s *Subscriber) callbackURL(source, token string) string {
	return s.cfg.PublicURL + "/websub/" + url.PathEscape(source) + "/" + token
}

// quietUntil is when push stops counting as working for src, absent news.
func (s *Subscriber) quietUntil(src *store.Source, now time.Time) time.Time {
	return now.Add(max(3*src.Interval, s.cfg.QuietWindow))
}

// subscription finds the subscription a callback URL names. A token of
// another source's subscription does not match.
func (s *Subscriber) subscription(ctx context.Context, r *http.Request) (*store.WebSubSubscription, *store.Source, error) {
	sub, err := s.cfg.Store.GetWebSubSubscriptionByToken(ctx, r.PathValue("token"))
	if err != nil {
		return nil, nil, err
	}
	src, err := s.cfg.Store.GetSourceByID(ctx, sub.SourceID)
	if err != nil {
		return nil, nil, err
	}
	if src.Name != r.PathValue("source") || sub.State == store.WebSubNoHub {
		return nil, nil, &refusal{"callback token is not one of source " + strconv.Quote(r.PathValue("source"))}
	}
	return sub, src, nil
}

// serveVerify answers a hub's verification of intent: the challenge is
// echoed only for a subscription we asked for, to the topic we asked
// about. We never ask to unsubscribe, so an unsubscribe request (someone
// trying to cut the feed off) is refused.
func (s *Subscriber) serveVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	mode, topic := q.Get("hub.mode"), q.Get("hub.topic")
	sub, src, err := s.subscription(ctx, r)
	if err != nil {
		s.verifyRefused(w, r, err)
		return
	}
	if topic != sub.Topic {
		s.verifyRefused(w, r, &refusal{fmt.Sprintf("topic %q is not the subscribed one", topic)})
		return
	}
	now := s.cfg.Now().UTC()
	switch mode {
	case "subscribe":
		challenge := q.Get("hub.challenge")
		if challenge == "" {
			s.verifyRefused(w, r, &refusal{"no hub.challenge"})
			return
		}
		lease := time.Duration(sub.LeaseSeconds) * time.Second
		if secs, err := strconv.ParseInt(q.Get("hub.lease_seconds"), 10, 64); err == nil && secs > 0 {
			lease = time.Duration(min(secs, 10*365*24*3600)) * time.Second
		}
		_, err := s.cfg.Store.VerifyWebSubSubscription(ctx, &store.VerifyWebSubSubscriptionParams{
			Token: sub.Token, Topic: topic, LeaseExpiresAt: now.Add(lease),
			NextAttemptAt: now.Add(lease * 4 / 5), At: now,
		})
		if err != nil {
			s.verifyRefused(w, r, err)
			return
		}
		if err := s.cfg.Store.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID, Until: s.quietUntil(src, now)}); err != nil {
			// The subscription stands; the scheduler just polls on.
			s.cfg.Logger.ErrorContext(ctx, "websub: mark push active", "source", src.Name, "err", err)
		}
		s.verifications.WithLabelValues("verified").Inc()
		s.cfg.Logger.InfoContext(ctx, "websub subscription verified", "source", src.Name, "hub", fetch.Redact(sub.Hub), "lease", lease)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		// One answer for one challenge: no cache may keep it.
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, challenge)
	case "denied":
		reason := q.Get("hub.reason")
		if err := s.cfg.Store.RecordWebSubError(ctx, &store.RecordWebSubErrorParams{
			SourceID: src.ID, Err: "hub denied the subscription: " + reason, Denied: true, At: now,
		}); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "websub: record denial", "source", src.Name, "err", err)
			http.Error(w, "could not record the denial", http.StatusInternalServerError)
			return
		}
		// Polling takes over at once.
		if err := s.cfg.Store.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID}); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "websub: end push", "source", src.Name, "err", err)
		}
		s.verifications.WithLabelValues("denied").Inc()
		s.cfg.Logger.WarnContext(ctx, "websub subscription denied", "source", src.Name, "hub", fetch.Redact(sub.Hub), "reason", reason)
		w.WriteHeader(http.StatusOK)
	default:
		s.verifyRefused(w, r, &refusal{fmt.Sprintf("hub.mode %q is not one we asked for", mode)})
	}
}

// refusal is a verification request that does not match what we asked
// for: a 404 to the hub, not a failure of ours.
type refusal struct{ reason string }

func (e *refusal) Error() string { return e.reason }

func (s *Subscriber) verifyRefused(w http.ResponseWriter, r *http.Request, err error) {
	s.verifications.WithLabelValues("refused").Inc()
	var rf *refusal
	if !errors.Is(err, store.ErrNotFound) && !errors.As(err, &rf) {
		s.cfg.Logger.ErrorContext(r.Context(), "websub verification failed", "source", r.PathValue("source"), "err", err)
		http.Error(w, "verification failed", http.StatusInternalServerError)
		return
	}
	s.cfg.Logger.WarnContext(r.Context(), "websub verification refused", "source", r.PathValue("source"), "err", err)
	http.Error(w, "no such subscription", http.StatusNotFound)
}

// serveContent takes a content distribution. A body not signed with the
// subscription's secret is acknowledged and dropped, as WebSub says
// (telling a forger why helps only the forger); a signed one is archived
// and applied before the answer, so a hub that got 2xx may forget it.
func (s *Subscriber) serveContent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sub, src, err := s.subscription(ctx, r)
	if err != nil {
		var rf *refusal
		if errors.Is(err, store.ErrNotFound) || errors.As(err, &rf) {
			// 410 tells a hub to drop a callback we no longer serve.
			http.Error(w, "no such subscription", http.StatusGone)
			return
		}
		s.cfg.Logger.ErrorContext(ctx, "websub: find subscription", "source", r.PathValue("source"), "err", err)
		http.Error(w, "lookup failed", http.StatusInternalServerError)
		return
	}
	if r.ContentLength > s.cfg.MaxBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBytes+1))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > s.cfg.MaxBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if result, ok := checkHubSignature(r.Header.Get("X-Hub-Signature"), sub.Secret, body); !ok {
		s.deliveries.WithLabelValues(result).Inc()
		s.cfg.Logger.WarnContext(ctx, "websub content ignored", "source", src.Name, "reason", result, "bytes", len(body))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	res, err := s.cfg.Pipeline.Deliver(ctx, &DeliverParams{
		SourceID: &src.ID, SourceName: src.Name, Origin: "websub:" + fetch.Redact(sub.Hub),
		ContentType: r.Header.Get("Content-Type"), Body: body, Agency: src.Agency, Format: src.Format,
	})
	if err != nil {
		var we *wire.Error
		if !errors.As(err, &we) {
			// Not stored: a non-2xx answer makes the hub retry.
			s.deliveries.WithLabelValues("failed").Inc()
			s.cfg.Logger.ErrorContext(ctx, "websub content not stored", "source", src.Name, "err", err)
			http.Error(w, "not stored, retry", http.StatusInternalServerError)
			return
		}
		// Archived with its error; sending it again would not help.
		s.deliveries.WithLabelValues("undecodable").Inc()
		s.cfg.Logger.WarnContext(ctx, "websub content undecodable", "source", src.Name, "err", err)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	now := s.cfg.Now().UTC()
	if err := s.cfg.Store.RecordWebSubContent(ctx, &store.RecordWebSubContentParams{SourceID: src.ID, At: now}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "websub: record content", "source", src.Name, "err", err)
	}
	if err := s.cfg.Store.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID, Until: s.quietUntil(src, now)}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "websub: mark push active", "source", src.Name, "err", err)
	}
	s.deliveries.WithLabelValues("accepted").Inc()
	s.cfg.Logger.InfoContext(ctx, "websub content", "source", src.Name, "result", res.Summary())
	w.WriteHeader(http.StatusAccepted)
}

// checkHubSignature checks X-Hub-Signature ("method=hex HMAC of the
// body"), with any method WebSub allows. It returns the counter label of a
// failure.
func checkHubSignature(header, secret string, body []byte) (string, bool) {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if header == "" || !ok {
		return "unsigned", false
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return "bad_signature", false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return "bad_signature", false
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return "bad_signature", false
	}
	return "", true
}

// SignHubContent is the X-Hub-Signature a hub sends with body, for tests
// and tools.
func SignHubContent(method, secret string, body []byte) string {
	var h func() hash.Hash
	switch method {
	case "sha1":
		h = sha1.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		method, h = "sha256", sha256.New
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return method + "=" + hex.EncodeToString(mac.Sum(nil))
}

// Run works on due subscriptions every Tick until ctx ends: discovery,
// subscription, renewal at 80% of the lease, retries with capped backoff.
func (s *Subscriber) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		if err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.ErrorContext(ctx, "websub subscriber", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// claimHold keeps a claimed subscription from other claims while it is
// worked on: longer than a discovery fetch and a hub request together.
const claimHold = 5 * time.Minute

// Step does one round of work: sources new to the subscriber get a row,
// and up to Batch due subscriptions are worked on. Run calls it; tests
// call it with their own clock.
func (s *Subscriber) Step(ctx context.Context) error {
	now := s.cfg.Now().UTC()
	if _, err := s.cfg.Store.AddWebSubSources(ctx, &store.AddWebSubSourcesParams{At: now}); err != nil {
		return err
	}
	due, err := s.cfg.Store.ClaimDueWebSubSubscriptions(ctx, &store.ClaimDueWebSubSubscriptionsParams{
		Now: now, Limit: s.cfg.Batch, Hold: claimHold,
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, sub := range due {
		if err := s.work(ctx, sub, now); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// work takes one due subscription a step further. Upstream failures are
// recorded on the subscription and logged here; only store failures are
// returned.
func (s *Subscriber) work(ctx context.Context, sub *store.WebSubSubscription, now time.Time) error {
	src, err := s.cfg.Store.GetSourceByID(ctx, sub.SourceID)
	if errors.Is(err, store.ErrNotFound) {
		// Removed: forget the subscription; its lease runs out.
		return s.noHub(ctx, sub, now, "")
	} else if err != nil {
		return err
	}
	if src.Paused || !s.cfg.Enabled(src.Name) {
		if sub.State != store.WebSubNoHub {
			if err := s.cfg.Store.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID}); err != nil {
				return err
			}
		}
		return s.noHub(ctx, sub, now, "")
	}
	if sub.State == store.WebSubNoHub {
		return s.discover(ctx, sub, src, now)
	}
	state := sub.State
	if state == store.WebSubActive && (sub.LeaseExpiresAt == nil || !sub.LeaseExpiresAt.After(now)) {
		state = store.WebSubPending
	}
	return s.subscribe(ctx, sub, src, state, now)
}

// noHub parks a subscription until the next discovery.
func (s *Subscriber) noHub(ctx context.Context, sub *store.WebSubSubscription, now time.Time, lastErr string) error {
	_, err := s.cfg.Store.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
		SourceID: sub.SourceID, State: store.WebSubNoHub, LastError: lastErr,
		NextAttemptAt: now.Add(s.cfg.Rediscover), At: now,
	})
	return err
}

// discover fetches the feed once and subscribes if it names a hub.
func (s *Subscriber) discover(ctx context.Context, sub *store.WebSubSubscription, src *store.Source, now time.Time) error {
	resp, err := s.cfg.Fetcher.Get(ctx, &fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate, Auth: SourceFetchAuth(src.Auth)})
	if err != nil {
		failures := sub.Failures + 1
		s.cfg.Logger.WarnContext(ctx, "websub discovery failed", "source", src.Name, "err", err)
		_, uerr := s.cfg.Store.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
			SourceID: sub.SourceID, State: store.WebSubNoHub, Failures: failures, LastError: "discovery: " + err.Error(),
			NextAttemptAt: now.Add(min(s.backoff(failures), s.cfg.Rediscover)), At: now,
		})
		return uerr
	}
	d := DiscoverHub(resp.Header, resp.Body, resp.FinalURL)
	if d.Hub == "" {
		return s.noHub(ctx, sub, now, "")
	}
	topic := d.Self
	if topic == "" {
		topic = src.URL
	}
	fresh := *sub
	fresh.Hub, fresh.Topic, fresh.Failures, fresh.LastError = d.Hub, topic, 0, ""
	if fresh.Token, err = randomToken(); err != nil {
		return err
	}
	if fresh.Secret, err = randomToken(); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "websub hub found", "source", src.Name, "hub", fetch.Redact(d.Hub), "topic", fetch.Redact(topic))
	return s.subscribe(ctx, &fresh, src, store.WebSubPending, now)
}

// subscribe sends a subscription request (first or renewal). The next
// attempt is set before sending, at the backoff for one more failure: a
// verification arriving meanwhile moves it to the renewal time and clears
// the failures, so only an attempt the hub never verified counts.
func (s *Subscriber) subscribe(ctx context.Context, sub *store.WebSubSubscription, src *store.Source, state store.WebSubState, now time.Time) error {
	failures := sub.Failures + 1
	next := now.Add(s.backoff(failures))
	if state == store.WebSubActive && sub.LeaseExpiresAt != nil && sub.LeaseExpiresAt.Before(next) {
		// Retry before the lease is over.
		next = *sub.LeaseExpiresAt
		if soonest := now.Add(s.cfg.RetryMin); next.Before(soonest) {
			next = soonest
		}
	}
	_, err := s.cfg.Store.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
		SourceID: sub.SourceID, State: state, Hub: sub.Hub, Topic: sub.Topic, Token: sub.Token, Secret: sub.Secret,
		LeaseSeconds: int64(s.cfg.Lease / time.Second), Failures: failures, LastError: sub.LastError,
		NextAttemptAt: next, At: now,
	})
	if err != nil {
		return err
	}
	form := url.Values{
		"hub.mode":          {"subscribe"},
		"hub.topic":         {sub.Topic},
		"hub.callback":      {s.callbackURL(src.Name, sub.Token)},
		"hub.secret":        {sub.Secret},
		"hub.lease_seconds": {strconv.FormatInt(int64(s.cfg.Lease/time.Second), 10)},
	}
	if _, err := s.cfg.Fetcher.PostForm(ctx, &fetch.Request{URL: sub.Hub, AllowPrivate: src.AllowPrivate}, form); err != nil {
		s.cfg.Logger.WarnContext(ctx, "websub subscription request failed", "source", src.Name, "attempt", failures, "next_attempt", next, "err", err)
		return s.cfg.Store.RecordWebSubError(ctx, &store.RecordWebSubErrorParams{
			SourceID: sub.SourceID, Err: "subscribe: " + err.Error(), At: now,
		})
	}
	return nil
}

// backoff is the wait after the nth attempt in a row without verification.
func (s *Subscriber) backoff(n int) time.Duration {
	return min(s.cfg.RetryMin<<min(max(n-1, 0), 20), s.cfg.RetryMax)
}

// SourceFetchAuth turns a source's stored credentials into fetch's; nil
// for a source without credentials. Every fetch of a source goes through
// it: the poller, WebSub discovery, and the desk's and the command line's
// "test".
func SourceFetchAuth(a store.SourceAuth) *fetch.Auth {
	if a.Kind == "" {
		return nil
	}
	return &fetch.Auth{Kind: a.Kind, Username: a.Username, Secret: a.Secret, Name: a.Name}
}

// randomToken is 128 random bits, hex: callback tokens and hub secrets.
func randomToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
