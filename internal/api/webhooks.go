package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/webhook"
)

// Webhook is a subscriber as the API shows it: never its secret.
type Webhook struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	Events       []string  `json:"events"`
	Active       bool      `json:"active"`
	AllowPrivate bool      `json:"allow_private"`
	CreatedAt    time.Time `json:"created_at"`
	// Secret is shown once, in the answer to the POST that generated it.
	Secret string `json:"secret,omitempty"`
}

// WebhookList is every subscriber.
type WebhookList struct {
	Items []*Webhook `json:"items"`
}

// NewWebhook is the body of POST /api/v1/webhooks.
type NewWebhook struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Secret signs the deliveries; omitted, one is generated and returned
	// once.
	Secret string `json:"secret"`
	// Events to deliver; empty or omitted for all.
	Events []string `json:"events"`
	// Active defaults to true.
	Active       *bool `json:"active"`
	AllowPrivate bool  `json:"allow_private"`
}

// Delivery is one entry of a subscriber's delivery log.
type Delivery struct {
	ID            int64      `json:"id"`
	Seq           int64      `json:"seq"`
	Event         string     `json:"event"`
	StoryID       int64      `json:"story_id"`
	State         string     `json:"state"`
	Attempts      []*Attempt `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	At time.Time `json:"at"`
	// Status is the HTTP status answered; 0 when no answer came.
	Status     int    `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// DeliveryList is a subscriber's delivery log, newest first.
type DeliveryList struct {
	Items []*Delivery `json:"items"`
}

func webhookOut(h *store.Webhook) *Webhook {
	events := h.Events
	if events == nil {
		events = []string{}
	}
	return &Webhook{ID: h.ID, Name: h.Name, URL: h.URL, Events: events, Active: h.Active, AllowPrivate: h.AllowPrivate, CreatedAt: h.CreatedAt.UTC()}
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, _ *caller) error {
	hs, err := a.store.ListWebhooks(r.Context())
	if err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	out := &WebhookList{Items: []*Webhook{}}
	for _, h := range hs {
		out.Items = append(out.Items, webhookOut(h))
	}
	writeJSON(w, http.StatusOK, "private, no-store", out)
	return nil
}

// maxWebhookBody bounds the body of a POST.
const maxWebhookBody = 16 << 10

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, _ *caller) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil {
		return badRequest("read body: %v", err)
	}
	if len(body) > maxWebhookBody {
		return &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body is over %d bytes", maxWebhookBody)}
	}
	var nw NewWebhook
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&nw); err != nil {
		return badRequest("body is not a webhook object: %v", err)
	}
	params, generated, err := CheckNewWebhook(&nw)
	if err != nil {
		return badRequest("%v", err)
	}
	h, err := a.store.CreateWebhook(r.Context(), params)
	if errors.Is(err, store.ErrExists) {
		return &apiError{status: http.StatusConflict, msg: fmt.Sprintf("a webhook called %q exists", nw.Name)}
	}
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	out := webhookOut(h)
	if generated {
		out.Secret = h.Secret
	}
	w.Header().Set("Location", fmt.Sprintf("%s/api/v1/webhooks/%d", a.base(r), h.ID))
	writeJSON(w, http.StatusCreated, "no-store", out)
	return nil
}

// CheckNewWebhook checks a subscriber to add, as the API and the CLI take
// it, and returns what to store: with a generated secret when it had none.
func CheckNewWebhook(nw *NewWebhook) (p *store.CreateWebhookParams, generated bool, err error) {
	var problems []string
	nw.Name = strings.TrimSpace(nw.Name)
	if nw.Name == "" || len(nw.Name) > 100 || strings.ContainsAny(nw.Name, "/?#\x00") {
		problems = append(problems, "name: 1 to 100 characters, without / ? #")
	}
	if err := webhook.CheckURL(nw.URL); err != nil {
		problems = append(problems, "url: "+err.Error())
	}
	secret := nw.Secret
	if secret == "" {
		secret, generated = webhook.NewSecret(), true
	} else if err := webhook.CheckSecret(secret); err != nil {
		problems = append(problems, err.Error())
	}
	events, err := webhook.ParseEvents(strings.Join(nw.Events, ","))
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, false, errors.New(strings.Join(problems, "; "))
	}
	active := nw.Active == nil || *nw.Active
	return &store.CreateWebhookParams{
		Name: nw.Name, URL: nw.URL, Secret: secret, Events: events, Active: active, AllowPrivate: nw.AllowPrivate,
	}, generated, nil
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("webhook id %q is not a positive whole number", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, _ *caller) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteWebhook(r.Context(), id); err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request, _ *caller) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return badRequest("limit %q must be a whole number from 1 to 500", s)
		}
		limit = n
	}
	if _, err := a.store.GetWebhook(r.Context(), id); err != nil {
		return fmt.Errorf("get webhook %d: %w", id, err)
	}
	ds, err := a.store.ListWebhookDeliveries(r.Context(), &store.ListWebhookDeliveriesParams{WebhookID: id, Limit: limit})
	if err != nil {
		return fmt.Errorf("list deliveries of webhook %d: %w", id, err)
	}
	out := &DeliveryList{Items: []*Delivery{}}
	for _, d := range ds {
		out.Items = append(out.Items, DeliveryOut(d))
	}
	writeJSON(w, http.StatusOK, "private, no-store", out)
	return nil
}

// DeliveryOut is a delivery as the API and `webhook log` show it.
func DeliveryOut(d *store.WebhookDelivery) *Delivery {
	out := &Delivery{
		ID: d.ID, Seq: d.Seq, Event: d.Event, StoryID: d.StoryID, State: d.State,
		Attempts: []*Attempt{}, CreatedAt: d.CreatedAt.UTC(), FinishedAt: d.FinishedAt,
	}
	if d.State == store.DeliveryPending {
		next := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &next
	}
	for _, at := range d.AttemptLog {
		out.Attempts = append(out.Attempts, &Attempt{At: at.At.UTC(), Status: at.Status, Error: at.Error, DurationMS: at.Duration.Milliseconds()})
	}
	return out
}
