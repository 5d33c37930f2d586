package ingest

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/webhook"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// PushConfig configures the push endpoint, POST /ingest/{source}, where an
// agency delivers payloads itself, signed as Standard Webhooks specifies.
type PushConfig struct {
	// Store finds the source named in the URL. Required.
	Store store.Store
	// Pipeline archives, decodes and applies what is pushed. Required.
	Pipeline *Pipeline
	// Secret returns the signing secret of a source, false when the source
	// takes no pushes. Secrets are "whsec_" + base64 (the Standard Webhooks
	// form) or any other string, used as is. Required.
	Secret func(source string) (string, bool)
	// Tolerance is how far a signature's timestamp may be from now, against
	// replays. Default 5 minutes.
	Tolerance time.Duration
	// MaxBytes caps one pushed body. Default wire.MaxDocumentBytes.
	MaxBytes int64
	// Logger receives one line per refused or failed push. Default discards.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Push is the push endpoint's handler.
type Push struct{ cfg PushConfig }

// NewPush returns the push handler, with defaults set.
func NewPush(cfg PushConfig) (*Push, error) {
	if cfg.Store == nil || cfg.Pipeline == nil || cfg.Secret == nil {
		return nil, errors.New("push endpoint: Store, Pipeline and Secret are required")
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = 5 * time.Minute
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
	return &Push{cfg: cfg}, nil
}

// Register adds the push route to mux.
func (p *Push) Register(mux *http.ServeMux) {
	mux.Handle("POST /ingest/{source}", p)
}

// pushError is a refusal with its status code, said to the pusher in words.
type pushError struct {
	code int
	msg  string
}

func (e *pushError) Error() string { return e.msg }

// ServeHTTP answers 202 only once the payload is archived and applied, so
// an agency that got 202 may forget it; 4xx names what was wrong; the same
// payload pushed again (a retry) is archived once and changes nothing.
func (p *Push) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := p.push(r.Context(), r)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusInternalServerError
		var pe *pushError
		if errors.As(err, &pe) {
			code = pe.code
		}
		if code >= 500 {
			p.cfg.Logger.ErrorContext(r.Context(), "push failed", "source", r.PathValue("source"), "err", err)
		} else {
			p.cfg.Logger.WarnContext(r.Context(), "push refused", "source", r.PathValue("source"), "status", code, "err", err)
		}
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{
		"delivery": res.DeliveryID, "sha256": res.SHA256, "repeat": res.Repeat,
		"format": res.Format, "items": res.Items, "new": res.Created, "updated": res.Updated,
	})
}

func (p *Push) push(ctx context.Context, r *http.Request) (*DeliverResult, error) {
	name := r.PathValue("source")
	secret, ok := p.cfg.Secret(name)
	if !ok {
		return nil, &pushError{http.StatusNotFound, fmt.Sprintf("source %q takes no pushes", name)}
	}
	src, err := p.cfg.Store.GetSource(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &pushError{http.StatusNotFound, fmt.Sprintf("no source %q", name)}
	} else if err != nil {
		return nil, err
	}
	if r.ContentLength > p.cfg.MaxBytes {
		return nil, &pushError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the %d-byte limit", r.ContentLength, p.cfg.MaxBytes)}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.cfg.MaxBytes+1))
	if err != nil {
		return nil, &pushError{http.StatusBadRequest, "read body: " + err.Error()}
	}
	if int64(len(body)) > p.cfg.MaxBytes {
		return nil, &pushError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body is over the %d-byte limit", p.cfg.MaxBytes)}
	}
	if err := verify(r.Header, body, secret, p.cfg.Now(), p.cfg.Tolerance); err != nil {
		return nil, err
	}
	res, err := p.cfg.Pipeline.Deliver(ctx, &DeliverParams{
		SourceID: &src.ID, SourceName: src.Name, Origin: "push:" + r.Header.Get("webhook-id"),
		ContentType: r.Header.Get("Content-Type"), Body: body, Agency: src.Agency, Format: src.Format,
	})
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			// Archived with its error: the agency learns why, and it is kept.
			return nil, &pushError{http.StatusUnprocessableEntity, err.Error()}
		}
		return nil, err
	}
	return res, nil
}

// verify checks a Standard Webhooks signature: webhook-signature holds one
// or more space-separated "v1,<base64 HMAC-SHA256>" over
// "<webhook-id>.<webhook-timestamp>.<body>", and the timestamp (Unix
// seconds) is within tolerance of now.
func verify(h http.Header, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return &pushError{http.StatusBadRequest, "missing webhook-id, webhook-timestamp or webhook-signature header"}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &pushError{http.StatusBadRequest, "webhook-timestamp is not Unix seconds"}
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return &pushError{http.StatusBadRequest, fmt.Sprintf("webhook-timestamp is %s from now, outside the %s tolerance", d.Round(time.Second), tolerance)}
	}
	want := Sign(secret, id, sec, body)
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return &pushError{http.StatusUnauthorized, "webhook-signature does not match the body"}
}

// Sign returns the Standard Webhooks signature ("v1,<base64>") of a
// message, as a pusher computes it: the same scheme wiredesk signs its own
// webhooks with.
func Sign(secret, id string, timestamp int64, body []byte) string {
	return webhook.Signature(secret, id, timestamp, body)
}
