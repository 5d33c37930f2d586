package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
)

// stopQuietHandler is the log handler River gets. While the Runner stops,
// River can log at ERROR an operation that its own stop cancelled: an
// insert notification sent by its maintenance services, for one, fails
// with "context canceled" and is logged as "Failed to send job insert
// notification". That is the stop doing its work, not a fault an operator
// must look into, so while stopping such a record is logged at DEBUG.
// Every other record, and every record before the stop, passes unchanged.
type stopQuietHandler struct {
	slog.Handler
	stopping *atomic.Bool
}

func (h stopQuietHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level <= slog.LevelDebug || !h.stopping.Load() || !cancelledByStop(rec) {
		return h.Handler.Handle(ctx, rec)
	}
	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	rec.Level = slog.LevelDebug // rec is this call's copy
	return h.Handler.Handle(ctx, rec)
}

func (h stopQuietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return stopQuietHandler{Handler: h.Handler.WithAttrs(attrs), stopping: h.stopping}
}

func (h stopQuietHandler) WithGroup(name string) slog.Handler {
	return stopQuietHandler{Handler: h.Handler.WithGroup(name), stopping: h.stopping}
}

// cancelledByStop reports whether the record's error (River names the
// attribute "err" or "error", as a string or an error) is a cancelled
// context.
func cancelledByStop(rec slog.Record) bool {
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "err" && a.Key != "error" {
			return true
		}
		switch v := a.Value.Any().(type) {
		case error:
			found = errors.Is(v, context.Canceled)
		case string:
			found = v == context.Canceled.Error()
		}
		return !found
	})
	return found
}
