package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
)

func TestStopQuietHandler(t *testing.T) {
	const msg = "Client: Failed to send job insert notification"
	for _, tc := range []struct {
		name     string
		stopping bool
		level    slog.Level // the handler's minimum level
		err      any
		want     string // the level logged, "" for nothing
	}{
		{"before the stop a cancelled context is an error", false, slog.LevelWarn, "context canceled", "ERROR"},
		{"while stopping a cancelled context is quiet", true, slog.LevelWarn, "context canceled", ""},
		{"while stopping a cancelled context shows at debug", true, slog.LevelDebug, "context canceled", "DEBUG"},
		{"a wrapped cancelled context as an error value", true, slog.LevelWarn, fmt.Errorf("notify: %w", context.Canceled), ""},
		{"while stopping another error is still an error", true, slog.LevelWarn, "connection refused", "ERROR"},
		{"a deadline is not the stop", true, slog.LevelWarn, context.DeadlineExceeded, "ERROR"},
		{"an error value that is not a cancel", true, slog.LevelWarn, errors.New("disk full"), "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			stopping := &atomic.Bool{}
			stopping.Store(tc.stopping)
			inner := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level})
			log := slog.New(stopQuietHandler{Handler: inner, stopping: stopping}).With("component", "river")
			log.ErrorContext(context.Background(), msg, "queues", "schedule", "err", tc.err)
			got := ""
			if line := buf.String(); line != "" {
				if !strings.Contains(line, "component=river") || !strings.Contains(line, "queues=schedule") {
					t.Errorf("attributes lost: %s", line)
				}
				_, rest, _ := strings.Cut(line, "level=")
				got, _, _ = strings.Cut(rest, " ")
			}
			if got != tc.want {
				t.Errorf("logged at %q, want %q (line %q)", got, tc.want, buf.String())
			}
		})
	}
}
