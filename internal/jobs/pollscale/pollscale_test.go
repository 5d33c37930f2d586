package pollscale

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// TestRunRefusesBadConfig: a run that could not measure what it says is
// refused before anything starts. (TestSchedulerScale in internal/jobs
// runs the measurement itself.)
func TestRunRefusesBadConfig(t *testing.T) {
	s := dbtest.SQLite(t)
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no store", Config{Sources: 1, Interval: time.Second, Duration: 2 * time.Second}, "Store is required"},
		{"no sources", Config{Store: s, Interval: time.Second, Duration: 2 * time.Second}, "Sources 0 is not positive"},
		{"run under two intervals", Config{Store: s, Sources: 1, Interval: time.Second, Duration: 1500 * time.Millisecond}, "under two intervals"},
		{"negative warm-up", Config{Store: s, Sources: 1, Interval: time.Second, Duration: 2 * time.Second, WarmUp: -time.Second}, "must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(context.Background(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var lags []time.Duration
	for i := range 100 {
		lags = append(lags, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 0}, {.5, 50 * time.Millisecond}, {.95, 95 * time.Millisecond}, {1, 99 * time.Millisecond}} {
		if got := Percentile(lags, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %s, want %s", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, .95); got != 0 {
		t.Errorf("Percentile of nothing = %s, want 0", got)
	}
}

// TestRunStopsWithContext: a canceled run returns the context's error
// instead of sleeping out its duration.
func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Config{Store: dbtest.SQLite(t), Sources: 3, Interval: time.Minute, Duration: 2 * time.Minute})
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Errorf("Run error %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Run took %s to notice its context ended", d)
	}
}
