package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// The bounds of a source's schedule. Every wait is spread by ±JitterPercent
// so that sources added together drift apart instead of firing in the
// same second.
const (
	// DefaultInterval is a source's interval when none is configured.
	DefaultInterval = 60 * time.Second
	// MinInterval is the shortest interval a source may be configured
	// with: shorter hammers an upstream for news that is no faster.
	MinInterval = 5 * time.Second
	// MaxSlowdown bounds the adaptive interval: a source that keeps
	// bringing nothing new slows down to at most this many times its
	// configured interval; new items bring it back to the interval at once.
	MaxSlowdown = 4
	// quietGrowthDiv: a poll without new items lengthens the adaptive
	// interval by a 1/quietGrowthDiv part, a quarter, so a source reaches MaxSlowdown after
	// about six quiet polls.
	quietGrowthDiv = 4
	// MaxUpstreamDelay caps how far an upstream can push its next poll
	// away (Cache-Control max-age, Expires, Retry-After, RSS <ttl>): an
	// upstream that asks for a day is polled again within the hour. Only
	// pausing a source stops polling.
	MaxUpstreamDelay = time.Hour
	// PushSafetyInterval is the slowest a source is polled while WebSub
	// pushes its content: polling is then a safety net only.
	PushSafetyInterval = 15 * time.Minute
	// MaxBackoff caps the wait after repeated failures, so a source that
	// comes back is noticed within minutes. A source whose interval is
	// longer keeps its interval.
	MaxBackoff = 30 * time.Minute
	// JitterPercent is the spread of every wait, either way.
	JitterPercent = 10
)

// CheckInterval refuses a configured interval under MinInterval.
func CheckInterval(d time.Duration) error {
	if d < MinInterval {
		return fmt.Errorf("poll interval %s is under the minimum of %s", d, MinInterval)
	}
	return nil
}

// FirstAttemptAt is when a source added at now is first polled: within the
// first tenth of its interval, at random, so that thousands of sources
// added at once (a config file, a migration) spread over seconds instead
// of all polling in the first one.
func FirstAttemptAt(now time.Time, interval time.Duration) time.Time {
	spread := interval * JitterPercent / 100
	if spread <= 0 {
		return now
	}
	return now.Add(rand.N(spread))
}

// spread returns d moved by up to JitterPercent either way, at random.
func spread(d time.Duration) time.Duration {
	j := d * JitterPercent / 100
	if j <= 0 {
		return d
	}
	return d - j + rand.N(2*j+1)
}

// plan is the outcome of scheduling: when to poll next and the adaptive
// interval that led there.
type plan struct {
	next    time.Time
	current time.Duration
}

// successPlan schedules the poll after a successful one.
type successPlan struct {
	src *store.Source
	now time.Time
	// fresh: the poll brought new or updated items.
	fresh bool
	// cacheFor is how long the response may be reused (Cache-Control
	// max-age, Expires); 0 for nothing said.
	cacheFor time.Duration
	// feedTTL is the feed's own refresh (RSS <ttl>) as now known.
	feedTTL time.Duration
	// catchUp: a cursor feed named a next page after new items: fetch it
	// at once instead of waiting for the interval.
	catchUp bool
	// fixed: no adaptive slowing (PollerConfig.FixedInterval).
	fixed  bool
	jitter func(time.Duration) time.Duration
}

// planSuccess: the adaptive interval between the configured one (or the
// feed's ttl, if longer) and MaxSlowdown times it; an upstream's cache
// lifetime lengthens the wait, up to MaxUpstreamDelay; while push is
// active the wait is at least PushSafetyInterval, ending at the lease's end.
func planSuccess(p *successPlan) plan {
	interval := intervalOf(p.src)
	floor := max(interval, min(p.feedTTL, MaxUpstreamDelay))
	ceiling := max(interval*MaxSlowdown, floor)
	current := floor
	if !p.fresh && !p.fixed && p.src.CurrentInterval > 0 {
		current = min(max(p.src.CurrentInterval+p.src.CurrentInterval/quietGrowthDiv, floor), ceiling)
	}
	if p.catchUp {
		return plan{next: p.now, current: floor}
	}
	wait := p.jitter(max(current, min(p.cacheFor, MaxUpstreamDelay)))
	next := p.now.Add(wait)
	if until := p.src.PushActiveUntil; until != nil && until.After(p.now) {
		// Polled as a safety net while pushed to, and normally again as
		// soon as the lease ends unless it is renewed.
		safety := p.now.Add(p.jitter(max(wait, PushSafetyInterval)))
		if until.Before(safety) {
			safety = *until
		}
		if safety.After(next) {
			next = safety
		}
	}
	return plan{next: next, current: current}
}

// planFailure: capped exponential backoff from the interval, at least the
// interval, and longer if the upstream asked with Retry-After (capped at
// MaxUpstreamDelay). The adaptive interval is kept.
func planFailure(src *store.Source, now time.Time, retryAfter time.Duration, jitter func(time.Duration) time.Duration) plan {
	interval := intervalOf(src)
	backoff := max(min(interval<<min(src.ConsecutiveFailures, 16), MaxBackoff), interval)
	wait := max(backoff, min(retryAfter, MaxUpstreamDelay))
	return plan{next: now.Add(jitter(wait))}
}

func intervalOf(src *store.Source) time.Duration {
	if src.Interval <= 0 {
		return DefaultInterval
	}
	return src.Interval
}

// cacheLifetime is how long a response says it stays fresh: Cache-Control
// max-age less Age, else Expires less Date (or now). no-store and no-cache
// say nothing; an unparsable or past Expires says 0.
func cacheLifetime(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge := -1
		for _, line := range cc {
			for _, d := range strings.Split(line, ",") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
				switch strings.ToLower(name) {
				case "no-store", "no-cache":
					return 0
				case "max-age":
					if n, err := strconv.Atoi(strings.Trim(value, `"`)); err == nil && n >= 0 {
						maxAge = n
					}
				}
			}
		}
		if maxAge >= 0 {
			age, _ := strconv.Atoi(h.Get("Age"))
			return max(time.Duration(maxAge-max(age, 0))*time.Second, 0)
		}
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0
		}
		ref := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			ref = d
		}
		return max(exp.Sub(ref), 0)
	}
	return 0
}

// rssTTL reads an RSS channel's <ttl> (minutes) without parsing the feed
// again: the element sits in the channel header, so only the bytes before
// the first item are searched. 0 when absent or not a positive number.
func rssTTL(body []byte) time.Duration {
	head := body
	if i := bytes.Index(head, []byte("<item")); i >= 0 {
		head = head[:i]
	}
	i := bytes.Index(head, []byte("<ttl>"))
	if i < 0 {
		return 0
	}
	rest := head[i+len("<ttl>"):]
	j := bytes.Index(rest, []byte("</ttl>"))
	if j < 0 {
		return 0
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(rest[:j])))
	if err != nil || n <= 0 {
		return 0
	}
	// Minutes past a day are as good as a day: the cap is applied on use.
	return time.Duration(min(n, 24*60)) * time.Minute
}
