package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// Live updates of the review queue, as Server-Sent Events at /desk/events.
//
// They are fed by the store's desk event log (store.DeskEvent): apply and
// the review actions append to it in the transaction that makes the change
// (a story held, approved, rejected, edited, scheduled, an agency update
// pending, a kill), so an event is never sent for a change that rolled
// back, and every node sees every node's changes. Each connection polls the
// log once a second with a primary-key range query ("id > last sent"),
// which costs next to nothing, from the handler's own goroutine: the
// connection is the owner, and the loop ends when the client goes, when
// the desk stops (RunLiveUpdates), or on a write error. The event id is the
// log's id, so a browser reconnecting with Last-Event-ID misses nothing.

const (
	// eventPoll is how often a connection looks for new desk events.
	eventPoll = time.Second
	// eventHeartbeat is how often an idle connection gets a comment, so
	// proxies keep it open and a dead client is noticed.
	eventHeartbeat = 15 * time.Second
	// eventWriteTimeout bounds one write to a slow client.
	eventWriteTimeout = 10 * time.Second
	// eventRetry is the reconnection delay the browser is told to use.
	eventRetry = 3 * time.Second
)

// liveUpdates ends the event streams when the desk stops. The zero value
// is ready to use.
type liveUpdates struct {
	mu   sync.Mutex
	done chan struct{}
}

func (l *liveUpdates) stopped() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.doneLocked()
}

func (l *liveUpdates) doneLocked() chan struct{} {
	if l.done == nil {
		l.done = make(chan struct{})
	}
	return l.done
}

func (l *liveUpdates) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.doneLocked()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// RunLiveUpdates waits for ctx to end, then ends every open event stream,
// so that a server shutting down does not wait for browsers to hang up.
// Without it, streams still end when their clients go or the server closes
// its connections.
func (d *Desk) RunLiveUpdates(ctx context.Context) error {
	<-ctx.Done()
	d.live.stop()
	return nil
}

// deskEventData is the JSON of one event.
type deskEventData struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	StoryID int64     `json:"story_id"`
	Actor   string    `json:"actor,omitempty"`
	At      time.Time `json:"at"`
}

func (d *Desk) serveEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	last, err := lastEventID(r)
	if err != nil {
		return err
	}
	if last < 0 {
		// A new stream starts from now: the page it serves was just
		// rendered.
		if last, err = d.store.LastDeskEventID(ctx); err != nil {
			return err
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// A stream outlives the server's write timeout; each write gets its
	// own deadline instead.
	if err := rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if err := rc.Flush(); err != nil {
		// Something between here and the connection buffers responses:
		// a stream cannot work, so say so instead of hanging.
		h.Del("Content-Type")
		return &httpError{status: http.StatusNotImplemented, message: "Live updates are not available here; reload the page instead."}
	}
	write := func(s string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := w.Write([]byte(s)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(fmt.Sprintf("retry: %d\n: connected\n\n", eventRetry.Milliseconds())); err != nil {
		return nil // the client went away
	}
	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	stopped := d.live.stopped()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-stopped:
			return nil
		case <-poll.C:
		}
		evs, err := d.store.ListDeskEvents(ctx, &store.ListDeskEventsParams{AfterID: last})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// The stream has started: there is no page to show an error
			// on. Log it and let the browser reconnect.
			d.logger.WarnContext(ctx, "desk events: read the event log", "err", err)
			return nil
		}
		var b strings.Builder
		for _, ev := range evs {
			js, err := json.Marshal(deskEventData{ID: ev.ID, Kind: ev.Kind, StoryID: ev.StoryID, Actor: ev.Actor, At: ev.At})
			if err != nil {
				return fmt.Errorf("encode desk event %d: %w", ev.ID, err)
			}
			fmt.Fprintf(&b, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, js)
			last = ev.ID
		}
		if b.Len() == 0 && time.Since(lastWrite) >= eventHeartbeat {
			b.WriteString(": heartbeat\n\n")
		}
		if b.Len() == 0 {
			continue
		}
		if err := write(b.String()); err != nil {
			return nil // the client went away
		}
		lastWrite = time.Now()
	}
}

// lastEventID reads the Last-Event-ID a reconnecting browser sends (or
// ?last=, for a first connection that must not miss anything); -1 when
// there is none.
func lastEventID(r *http.Request) (int64, error) {
	raw := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if raw == "" {
		raw = strings.TrimSpace(r.URL.Query().Get("last"))
	}
	if raw == "" {
		return -1, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 0 {
		return 0, errBadRequest(fmt.Sprintf("%q is not an event id.", raw))
	}
	return id, nil
}
