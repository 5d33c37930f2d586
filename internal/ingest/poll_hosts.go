package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// hostLimiter bounds the fetches running at once against one host in this
// process, so that a hundred sources on one agency server do not open a
// hundred connections to it at the top of the minute.
type hostLimiter struct {
	limit int
	mu    sync.Mutex
	// slots holds one semaphore per host. Entries stay: there are as many
	// as hosts among the sources, and dropping one while a poll waits on it
	// would let a third fetch through.
	slots map[string]chan struct{}
}

func newHostLimiter(limit int) *hostLimiter {
	return &hostLimiter{limit: limit, slots: map[string]chan struct{}{}}
}

// acquire takes a slot for host, waiting up to wait. It returns the release
// function, or ok false when no slot came free in time.
func (h *hostLimiter) acquire(ctx context.Context, host string, wait time.Duration) (release func(), ok bool, err error) {
	h.mu.Lock()
	sem, found := h.slots[host]
	if !found {
		sem = make(chan struct{}, h.limit)
		h.slots[host] = sem
	}
	h.mu.Unlock()
	release = func() { <-sem }
	select {
	case sem <- struct{}{}:
		return release, true, nil
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case sem <- struct{}{}:
		return release, true, nil
	case <-timer.C:
		return nil, false, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// HostBusyError: a poll did not start because its host already had its
// share of fetches running. Nothing was fetched or recorded; the poll is to
// be tried again after PollAgainIn.
type HostBusyError struct {
	Host string
	Wait time.Duration
}

func (e *HostBusyError) Error() string {
	return fmt.Sprintf("host %s is at its limit of concurrent fetches; poll again in %s", e.Host, e.Wait)
}

// PollAgainIn is how soon the poll should be tried again. The job runner
// looks for this method to put the poll back in its queue instead of
// counting a failure.
func (e *HostBusyError) PollAgainIn() time.Duration { return e.Wait }
