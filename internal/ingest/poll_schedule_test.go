package ingest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

func exact(d time.Duration) time.Duration { return d }

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func TestPlanSuccess(t *testing.T) {
	minute := time.Minute
	until := func(d time.Duration) *time.Time { u := t0.Add(d); return &u }
	tests := []struct {
		name        string
		src         store.Source
		p           successPlan
		wantWait    time.Duration
		wantCurrent time.Duration
	}{
		{"first poll, nothing new: the interval", store.Source{Interval: minute}, successPlan{}, minute, minute},
		{"unset interval is the default", store.Source{}, successPlan{}, DefaultInterval, DefaultInterval},
		{"quiet slows by a quarter", store.Source{Interval: minute, CurrentInterval: minute}, successPlan{}, 75 * time.Second, 75 * time.Second},
		{"quiet stops at MaxSlowdown", store.Source{Interval: minute, CurrentInterval: 230 * time.Second}, successPlan{}, 4 * minute, 4 * minute},
		{"fixed: quiet does not slow", store.Source{Interval: minute, CurrentInterval: minute}, successPlan{fixed: true}, minute, minute},
		{"new items come back to the interval at once", store.Source{Interval: minute, CurrentInterval: 4 * minute}, successPlan{fresh: true}, minute, minute},
		{"max-age lengthens the wait, not the interval", store.Source{Interval: minute, CurrentInterval: minute}, successPlan{fresh: true, cacheFor: 10 * minute}, 10 * minute, minute},
		{"max-age shorter than the interval changes nothing", store.Source{Interval: minute}, successPlan{fresh: true, cacheFor: 5 * time.Second}, minute, minute},
		{"max-age is capped at MaxUpstreamDelay", store.Source{Interval: minute}, successPlan{cacheFor: 24 * time.Hour}, MaxUpstreamDelay, minute},
		{"feed ttl is a floor", store.Source{Interval: minute}, successPlan{fresh: true, feedTTL: 30 * minute}, 30 * minute, 30 * minute},
		{"feed ttl is capped", store.Source{Interval: minute}, successPlan{fresh: true, feedTTL: 24 * time.Hour}, MaxUpstreamDelay, MaxUpstreamDelay},
		{"cursor catch-up polls at once", store.Source{Interval: minute, CurrentInterval: 2 * minute}, successPlan{fresh: true, catchUp: true}, 0, minute},
		{"push active: the safety net", store.Source{Interval: minute, PushActiveUntil: until(24 * time.Hour)}, successPlan{}, PushSafetyInterval, minute},
		{"push lease ending soon: polled at its end", store.Source{Interval: minute, PushActiveUntil: until(5 * minute)}, successPlan{}, 5 * minute, minute},
		{"push lease ending before the interval: the interval", store.Source{Interval: minute, PushActiveUntil: until(10 * time.Second)}, successPlan{}, minute, minute},
		{"push lease over: normal polling", store.Source{Interval: minute, PushActiveUntil: until(-time.Second)}, successPlan{}, minute, minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.src, p.now, p.jitter = &tt.src, t0, exact
			got := planSuccess(&p)
			if wait := got.next.Sub(t0); wait != tt.wantWait || got.current != tt.wantCurrent {
				t.Errorf("planSuccess: wait %s, current %s; want %s, %s", wait, got.current, tt.wantWait, tt.wantCurrent)
			}
		})
	}
}

func TestPlanFailure(t *testing.T) {
	tests := []struct {
		name       string
		interval   time.Duration
		failures   int // before this one
		retryAfter time.Duration
		want       time.Duration
	}{
		{"first failure: the interval", time.Minute, 0, 0, time.Minute},
		{"second: twice", time.Minute, 1, 0, 2 * time.Minute},
		{"fifth: sixteen times", time.Minute, 4, 0, 16 * time.Minute},
		{"capped at MaxBackoff", time.Minute, 5, 0, MaxBackoff},
		{"capped however many", time.Minute, 500, 0, MaxBackoff},
		{"an interval over the cap is kept", 2 * time.Hour, 3, 0, 2 * time.Hour},
		{"Retry-After longer than the backoff", time.Minute, 0, 10 * time.Minute, 10 * time.Minute},
		{"Retry-After shorter than the backoff", time.Minute, 3, time.Minute, 8 * time.Minute},
		{"Retry-After capped at MaxUpstreamDelay", time.Minute, 0, 48 * time.Hour, MaxUpstreamDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &store.Source{Interval: tt.interval, ConsecutiveFailures: tt.failures}
			if got := planFailure(src, t0, tt.retryAfter, exact).next.Sub(t0); got != tt.want {
				t.Errorf("planFailure wait = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCacheLifetime(t *testing.T) {
	date := t0.Format(http.TimeFormat)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=300"}}, 5 * time.Minute},
		{"max-age less Age", http.Header{"Cache-Control": {"max-age=300"}, "Age": {"100"}}, 200 * time.Second},
		{"Age past max-age", http.Header{"Cache-Control": {"max-age=300"}, "Age": {"400"}}, 0},
		{"no-cache says nothing", http.Header{"Cache-Control": {"no-cache, max-age=300"}}, 0},
		{"no-store says nothing", http.Header{"Cache-Control": {"no-store"}}, 0},
		{"max-age wins over Expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {t0.Add(time.Hour).Format(http.TimeFormat)}, "Date": {date}}, time.Minute},
		{"Expires against Date", http.Header{"Expires": {t0.Add(10 * time.Minute).Format(http.TimeFormat)}, "Date": {date}}, 10 * time.Minute},
		{"Expires against now without Date", http.Header{"Expires": {t0.Add(10 * time.Minute).Format(http.TimeFormat)}}, 10 * time.Minute},
		{"Expires in the past", http.Header{"Expires": {t0.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"Expires 0", http.Header{"Expires": {"0"}}, 0},
		{"garbage max-age", http.Header{"Cache-Control": {"max-age=soon"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cacheLifetime(tt.header, t0); got != tt.want {
				t.Errorf("cacheLifetime = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRSSTTL(t *testing.T) {
	tests := []struct {
		name string
		body string
		want time.Duration
	}{
		{"none", `<rss><channel><title>x</title><item><title>y</title></item></channel></rss>`, 0},
		{"in the channel", `<rss><channel><ttl>30</ttl><item/></channel></rss>`, 30 * time.Minute},
		{"spaces", `<rss><channel><ttl> 15 </ttl></channel></rss>`, 15 * time.Minute},
		{"inside an item is not the channel's", `<rss><channel><item><ttl>30</ttl></item></channel></rss>`, 0},
		{"not a number", `<rss><channel><ttl>often</ttl></channel></rss>`, 0},
		{"negative", `<rss><channel><ttl>-5</ttl></channel></rss>`, 0},
		{"unterminated", `<rss><channel><ttl>30`, 0},
		{"huge is a day", `<rss><channel><ttl>99999999</ttl></channel></rss>`, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rssTTL([]byte(tt.body)); got != tt.want {
				t.Errorf("rssTTL = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzRSSTTL(f *testing.F) {
	f.Add([]byte(`<rss><channel><ttl>30</ttl></channel></rss>`))
	f.Add([]byte(`<ttl>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := rssTTL(b); got < 0 || got > 24*time.Hour {
			t.Errorf("rssTTL = %s, outside [0, 24h]", got)
		}
	})
}

func TestCheckInterval(t *testing.T) {
	for _, tt := range []struct {
		d      time.Duration
		wantOK bool
	}{{4999 * time.Millisecond, false}, {0, false}, {MinInterval, true}, {time.Hour, true}} {
		if err := CheckInterval(tt.d); (err == nil) != tt.wantOK {
			t.Errorf("CheckInterval(%s) = %v, want ok %v", tt.d, err, tt.wantOK)
		}
	}
}

// Sources added at once spread over the first tenth of their interval, and
// every wait stays within ±JitterPercent: 10,000 sources do not fire in one
// second.
func TestJitterSpreads(t *testing.T) {
	const n = 10000
	perSecond := map[int64]int{}
	for range n {
		at := FirstAttemptAt(t0, time.Minute)
		if at.Before(t0) || !at.Before(t0.Add(6*time.Second)) {
			t.Fatalf("FirstAttemptAt = %s after now, want within [0, 6s)", at.Sub(t0))
		}
		perSecond[at.Unix()]++
	}
	for sec, c := range perSecond {
		if c > n/3 {
			t.Errorf("%d of %d first attempts in second %d: not spread", c, n, sec-t0.Unix())
		}
	}
	lo, hi := time.Hour, time.Duration(0)
	for range n {
		d := spread(time.Minute)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 54*time.Second || hi > 66*time.Second {
		t.Errorf("spread(1m) ranged over [%s, %s], want within [54s, 66s]", lo, hi)
	}
	if hi-lo < 10*time.Second {
		t.Errorf("spread(1m) ranged over [%s, %s] only: not spreading", lo, hi)
	}
}

func TestHostLimiter(t *testing.T) {
	ctx := context.Background()
	h := newHostLimiter(2)
	r1, ok1, _ := h.acquire(ctx, "a.example", 0)
	r2, ok2, _ := h.acquire(ctx, "a.example", 0)
	if !ok1 || !ok2 {
		t.Fatalf("first two slots: %v %v, want both", ok1, ok2)
	}
	if _, ok, _ := h.acquire(ctx, "a.example", 20*time.Millisecond); ok {
		t.Errorf("third slot on a.example granted, want refused at limit 2")
	}
	if _, ok, _ := h.acquire(ctx, "b.example", 0); !ok {
		t.Errorf("another host refused")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var got bool
	go func() {
		defer wg.Done()
		_, got, _ = h.acquire(ctx, "a.example", 5*time.Second)
	}()
	time.Sleep(10 * time.Millisecond)
	r1()
	wg.Wait()
	if !got {
		t.Errorf("a waiting poll did not get the slot released")
	}
	r2()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	h2 := newHostLimiter(1)
	if _, ok, _ := h2.acquire(ctx, "c", 0); !ok {
		t.Fatal("first slot of c refused")
	}
	if _, _, err := h2.acquire(cctx, "c", time.Minute); err == nil {
		t.Errorf("acquire on a cancelled context waited instead of failing")
	}
}
