package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/webhook"
)

// Job kinds of the outbound notifications.
const (
	kindWebhookDeliver = "webhook_deliver"
	kindWebSubPing     = "websub_ping"
)

// Defaults for the zero values of OutputsConfig.
const (
	DefaultWebhookRetryBase   = 10 * time.Second
	DefaultWebhookRetryCap    = 2 * time.Hour
	DefaultWebhookMaxAttempts = 12
	DefaultWebhookLease       = time.Minute
	DefaultWebSubPingWindow   = time.Second
)

// webhookMaxWait bounds how long a delivery job waits behind the head of
// its queue before looking again; the job delivering the head goes on to
// the next delivery itself, so this only matters when that job died.
const webhookMaxWait = 5 * time.Minute

// webhookHeldWait is how long a delivery job waits when the head of its
// queue is being sent by another job, which may stop after that one.
const webhookHeldWait = time.Second

// webhookDrainFor bounds how long one job keeps delivering a subscriber's
// queue before it yields its worker (and comes back at once).
const webhookDrainFor = 30 * time.Second

// OutputsConfig turns story events into webhook deliveries and WebSub hub
// pings. The zero value of every optional field means its default.
type OutputsConfig struct {
	// Sender makes the requests. Required.
	Sender *webhook.Sender
	// PublicURL is the site's public base URL (https://news.example): the
	// story URL in payloads and the feed URLs pinged are built on it.
	// Without it payloads carry the story's path, and no hub is pinged.
	PublicURL string
	// WebSubHub is the hub our feeds advertise; empty: no pings.
	WebSubHub string
	// RetryBase is the wait after a delivery's first failed attempt; each
	// further failure doubles it, up to RetryCap. A Retry-After answer
	// longer than that is honoured, up to RetryCap. Default 10s.
	RetryBase time.Duration
	// RetryCap caps the wait between attempts. Default 2h.
	RetryCap time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is marked
	// failed and its queue moves on. Default 12 (about 6 hours with the
	// default waits).
	MaxAttempts int
	// Lease is how long a node holds the head of a queue while sending it;
	// past it, another node may send it. Default 1m; it must be longer than
	// the Sender's timeout.
	Lease time.Duration
	// PingWindow is how long story events are gathered into one ping per
	// feed. Default 1s.
	PingWindow time.Duration
}

func (c *OutputsConfig) withDefaults() *OutputsConfig {
	if c == nil {
		return nil
	}
	o := *c
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultWebhookRetryBase
	}
	if o.RetryCap <= 0 {
		o.RetryCap = DefaultWebhookRetryCap
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultWebhookMaxAttempts
	}
	if o.Lease <= 0 {
		o.Lease = DefaultWebhookLease
	}
	if o.PingWindow <= 0 {
		o.PingWindow = DefaultWebSubPingWindow
	}
	return &o
}

func (c *OutputsConfig) validate() error {
	if c == nil {
		return nil
	}
	if c.Sender == nil {
		return errors.New("Outputs.Sender is required")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("Outputs.PublicURL %q is not an absolute http(s) URL", c.PublicURL)
		}
	}
	if c.WebSubHub != "" {
		if err := webhook.CheckURL(c.WebSubHub); err != nil {
			return fmt.Errorf("Outputs.WebSubHub: %w", err)
		}
	}
	return nil
}

// feedPaths are the paths of the feeds a change to a story in section
// touches: the site's feeds and the section's.
func feedPaths(section string) []string {
	paths := []string{"/feed.rss", "/feed.atom", "/feed.json"}
	if section != "" {
		base := "/section/" + url.PathEscape(section)
		paths = append(paths, base+"/feed.rss", base+"/feed.atom", base+"/feed.json")
	}
	return paths
}

// fanOut queues the event for every subscriber that wants it and asks for
// hub pings, in one transaction: either all of it happens or none, and a
// retried story_event job does not queue anything twice.
func (r *Runner) fanOut(ctx context.Context, eventID int64, ev *StoryEventArgs) error {
	o := r.cfg.Outputs
	hooks, err := r.cfg.Store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	event := webhook.EventFor(string(ev.Event))
	var wanted []*store.Webhook
	for _, h := range hooks {
		if h.Active && event != "" && webhook.Wants(h.Events, event) {
			wanted = append(wanted, h)
		}
	}
	var pings []WebSubPingArgs
	if o.WebSubHub != "" && o.PublicURL != "" {
		window := ev.At.Truncate(o.PingWindow).Add(o.PingWindow)
		st, err := r.cfg.Store.GetStory(ctx, ev.StoryID)
		if err != nil {
			return fmt.Errorf("story %d: %w", ev.StoryID, err)
		}
		for _, p := range feedPaths(st.Section) {
			pings = append(pings, WebSubPingArgs{Topic: o.PublicURL + p, Window: window.UTC()})
		}
	}
	if len(wanted) == 0 && len(pings) == 0 {
		return nil
	}
	var body []byte
	if len(wanted) > 0 {
		if _, body, err = r.payload(ctx, ev); err != nil {
			return err
		}
	}
	return r.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range pings {
			if _, err := r.insertTx(ctx, tx, pings[i], nil); err != nil {
				return fmt.Errorf("enqueue hub ping for %s: %w", pings[i].Topic, err)
			}
		}
		if len(wanted) == 0 {
			return nil
		}
		fresh, err := tx.MarkStoryEvent(ctx, &store.MarkStoryEventParams{StoryID: ev.StoryID, EventID: eventID})
		if err != nil || !fresh {
			return err
		}
		for _, h := range wanted {
			d, err := tx.EnqueueWebhookDelivery(ctx, &store.EnqueueWebhookDeliveryParams{
				WebhookID: h.ID, Event: event, StoryID: ev.StoryID, EventID: eventID, Payload: body, At: time.Now(),
			})
			if err != nil {
				return err
			}
			if _, err := r.insertTx(ctx, tx, WebhookDeliverArgs{WebhookID: h.ID, DeliveryID: d.ID}, nil); err != nil {
				return fmt.Errorf("enqueue delivery %d to webhook %s: %w", d.ID, h.Name, err)
			}
		}
		return nil
	})
}

// payload builds the body of the event's deliveries: the version the event
// is about, as it was stored.
func (r *Runner) payload(ctx context.Context, ev *StoryEventArgs) (string, []byte, error) {
	st, err := r.cfg.Store.GetStory(ctx, ev.StoryID)
	if err != nil {
		return "", nil, fmt.Errorf("story %d: %w", ev.StoryID, err)
	}
	p := &webhook.PayloadParams{
		StoryEvent: string(ev.Event), StoryID: st.ID, At: ev.At,
		URL: r.cfg.Outputs.PublicURL + webhook.StoryPath(st), Reason: st.StateReason,
	}
	if e := webhook.EventFor(string(ev.Event)); e != webhook.EventKilled {
		versions, err := r.cfg.Store.ListVersions(ctx, st.ID)
		if err != nil {
			return "", nil, fmt.Errorf("versions of story %d: %w", st.ID, err)
		}
		for _, v := range versions {
			if v.Key == ev.VersionKey {
				p.Item = v.Item
			}
		}
		if p.Item == nil {
			// The event names no stored version (an editor's change):
			// the version on show is what it is about.
			p.Item = st.Current
		}
	}
	return webhook.BuildPayload(p)
}

// WebhookDeliverArgs asks for a delivery of a subscriber's queue. Each
// delivery gets one job; whichever job runs sends the head of the queue, so
// the queue goes out in order whatever order the jobs run in.
type WebhookDeliverArgs struct {
	WebhookID  int64 `json:"webhook_id"`
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is the job kind River stores.
func (WebhookDeliverArgs) Kind() string { return kindWebhookDeliver }

type webhookDeliverWorker struct {
	river.WorkerDefaults[WebhookDeliverArgs]
	runner *Runner
}

// Timeout lets a job deliver a queue for webhookDrainFor plus one request.
func (w *webhookDeliverWorker) Timeout(*river.Job[WebhookDeliverArgs]) time.Duration {
	return webhookDrainFor + 2*DefaultWebhookLease
}

// Work sends the head of the subscriber's queue while it is due, then waits
// (snoozes, which costs no attempt) until its own delivery is done. Retries
// and their backoff are kept in the delivery's row, not in River's attempt
// count, so that the log says what happened and a blocked queue costs
// nothing.
func (w *webhookDeliverWorker) Work(ctx context.Context, job *river.Job[WebhookDeliverArgs]) error {
	o, s := w.runner.cfg.Outputs, w.runner.cfg.Store
	if o == nil {
		return errors.New("webhook delivery: the job runner has no Outputs configured")
	}
	stopAt := time.Now().Add(webhookDrainFor)
	for {
		hook, err := s.GetWebhook(ctx, job.Args.WebhookID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // removed, and its queue with it
		}
		if err != nil {
			return err
		}
		claim, err := s.ClaimWebhookDelivery(ctx, &store.ClaimWebhookDeliveryParams{WebhookID: hook.ID, Now: time.Now(), Lease: o.Lease})
		if err != nil {
			return err
		}
		if claim.Delivery == nil {
			own, err := s.GetWebhookDelivery(ctx, job.Args.DeliveryID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if own.State != store.DeliveryPending {
				return nil
			}
			wait := webhookMaxWait
			if claim.RetryAt != nil {
				wait = min(max(time.Until(*claim.RetryAt), 10*time.Millisecond), webhookMaxWait)
			}
			if claim.Held {
				// Being sent now: done in a moment, or its sender died.
				wait = min(wait, webhookHeldWait)
			}
			return river.JobSnooze(wait)
		}
		if err := w.attempt(ctx, hook, claim.Delivery); err != nil {
			return err
		}
		if time.Now().After(stopAt) {
			return river.JobSnooze(0)
		}
	}
}

// attempt sends one claimed delivery and records what came of it.
func (w *webhookDeliverWorker) attempt(ctx context.Context, hook *store.Webhook, d *store.WebhookDelivery) error {
	o := w.runner.cfg.Outputs
	now := time.Now()
	var res *webhook.Result
	if hook.Active {
		res = o.Sender.Send(ctx, &webhook.Message{
			URL: hook.URL, Secret: hook.Secret, ID: fmt.Sprintf("msg_wd%d", d.ID), Body: d.Payload, AllowPrivate: hook.AllowPrivate,
		})
	} else {
		res = &webhook.Result{Err: errors.New("not sent: the webhook is deactivated")}
	}
	p := &store.RecordWebhookAttemptParams{
		DeliveryID:    d.ID,
		Attempt:       store.WebhookAttempt{At: now, Status: res.Status, Duration: res.Duration},
		NextAttemptAt: now,
	}
	if res.Err != nil {
		p.Attempt.Error = res.Err.Error()
	}
	switch verdict := res.Verdict(); {
	case !hook.Active:
		p.State = store.DeliveryFailed
	case verdict == webhook.Delivered:
		p.State = store.DeliveryDelivered
	case verdict == webhook.Refused:
		p.State = store.DeliveryFailed
	case d.Attempts+1 >= o.MaxAttempts:
		p.State = store.DeliveryFailed
		p.Attempt.Error = fmt.Sprintf("%s; gave up after %d attempts", p.Attempt.Error, d.Attempts+1)
	default:
		p.State = store.DeliveryPending
		p.NextAttemptAt = now.Add(retryWait(o, d.Attempts+1, res.RetryAfter))
	}
	if _, err := w.runner.cfg.Store.RecordWebhookAttempt(ctx, p); err != nil {
		return err
	}
	if p.State == store.DeliveryFailed {
		w.runner.logger.WarnContext(ctx, "webhook delivery failed", "webhook", hook.Name, "delivery", d.ID,
			"event", d.Event, "story", d.StoryID, "status", res.Status, "err", p.Attempt.Error)
	}
	return nil
}

// retryWait is the wait after the n-th failed attempt: RetryBase doubled
// for each attempt after the first, or the receiver's Retry-After when
// longer, never more than RetryCap.
func retryWait(o *OutputsConfig, n int, retryAfter time.Duration) time.Duration {
	wait := o.RetryBase
	for i := 1; i < n && wait < o.RetryCap; i++ {
		wait *= 2
	}
	return min(max(wait, retryAfter), o.RetryCap)
}

// WebSubPingArgs pings the hub about one feed. Pings are unique per feed
// and window, and run once the window has passed: every story event within
// a window gives one ping, sent after all of them.
type WebSubPingArgs struct {
	Topic  string    `json:"topic"`
	Window time.Time `json:"window"`
}

// Kind is the job kind River stores.
func (WebSubPingArgs) Kind() string { return kindWebSubPing }

// InsertOpts makes a ping unique per feed and window.
func (WebSubPingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type webSubPingWorker struct {
	river.WorkerDefaults[WebSubPingArgs]
	runner *Runner
}

// Work waits for the end of the ping's window (a snooze: River's scheduled
// jobs can start seconds late), then pings.
func (w *webSubPingWorker) Work(ctx context.Context, job *river.Job[WebSubPingArgs]) error {
	if wait := time.Until(job.Args.Window); wait > 0 {
		return river.JobSnooze(wait)
	}
	o := w.runner.cfg.Outputs
	if o == nil || o.WebSubHub == "" {
		return nil
	}
	return o.Sender.PingHub(ctx, o.WebSubHub, job.Args.Topic)
}

// addOutputWorkers registers the webhook and WebSub workers. They are
// registered whether or not Outputs is set, so that jobs queued by a node
// with outputs configured are worked (or finished) by any node.
func addOutputWorkers(workers *river.Workers, r *Runner) error {
	if err := river.AddWorkerSafely(workers, &webhookDeliverWorker{runner: r}); err != nil {
		return fmt.Errorf("register %s: %w", kindWebhookDeliver, err)
	}
	if err := river.AddWorkerSafely(workers, &webSubPingWorker{runner: r}); err != nil {
		return fmt.Errorf("register %s: %w", kindWebSubPing, err)
	}
	return nil
}
