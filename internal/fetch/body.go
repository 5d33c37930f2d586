package fetch

import (
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
)

// ErrSlowTransfer: the upstream stopped sending, or sent slower than
// Config.MinRate, before the response was complete.
var ErrSlowTransfer = errors.New("transfer too slow")

// ErrUnsupportedEncoding: the body came in a Content-Encoding we did not
// ask for and cannot decode.
var ErrUnsupportedEncoding = errors.New("unsupported Content-Encoding")

// watchdog ends a request when nothing arrives for idle: a slow-drip
// upstream would otherwise hold a poller slot until the total Timeout.
type watchdog struct {
	idle  time.Duration
	timer *time.Timer
}

func startWatchdog(idle time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{idle: idle}
	w.timer = time.AfterFunc(idle, func() {
		cancel(fmt.Errorf("%w: nothing received for %s", ErrSlowTransfer, idle))
	})
	return w
}

// progress pushes the deadline back: bytes arrived.
func (w *watchdog) progress() { w.timer.Reset(w.idle) }

func (w *watchdog) stop() { w.timer.Stop() }

// wireReader is the response body as it comes off the connection, before
// any decoding. It caps the bytes read (a compressed body has its own cap,
// the decoded one is capped later), feeds the watchdog, and enforces the
// minimum average rate once the grace period is over.
type wireReader struct {
	r       io.Reader
	limit   int64
	read    int64
	dog     *watchdog
	start   time.Time
	minRate int64
	grace   time.Duration
	// err is the first cap or rate breach. Decoders may wrap or replace
	// the errors of the reader under them; this is what the caller reports.
	err error
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	// One byte past the cap is enough to know it was passed.
	if room := w.limit + 1 - w.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := w.r.Read(p)
	if n > 0 {
		w.read += int64(n)
		w.dog.progress()
		if w.read > w.limit {
			w.err = &TooLargeError{Limit: w.limit, Compressed: true}
			return 0, w.err
		}
	}
	if err == nil && w.minRate > 0 {
		if d := time.Since(w.start); d > w.grace && float64(w.read) < float64(w.minRate)*d.Seconds() {
			w.err = fmt.Errorf("%w: %d bytes in %s, under the minimum of %d bytes/s",
				ErrSlowTransfer, w.read, d.Round(time.Millisecond), w.minRate)
			return n, w.err
		}
	}
	return n, err
}

// breach is the cap or rate error seen, else err.
func (w *wireReader) breach(err error) error {
	if w.err != nil {
		return w.err
	}
	return err
}

// contentEncodings lists a Content-Encoding header's codings in the order
// they were applied; identity is dropped.
func contentEncodings(header string) []string {
	var out []string
	for c := range strings.SplitSeq(header, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && c != "identity" {
			out = append(out, c)
		}
	}
	return out
}

// decodeBody undoes the codings, last applied first. Nothing is decoded
// until it is read, so the caller's size cap bounds the work a bomb can
// cause.
func decodeBody(r io.Reader, codings []string) (io.Reader, error) {
	if len(codings) > 2 {
		return nil, fmt.Errorf("%w: %d stacked codings", ErrUnsupportedEncoding, len(codings))
	}
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("decode gzip body: %w", err)
			}
			r = zr
		case "br":
			r = brotli.NewReader(r)
		case "deflate":
			zr, err := zlib.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("decode deflate body: %w", err)
			}
			r = zr
		default:
			return nil, fmt.Errorf("%w %q", ErrUnsupportedEncoding, codings[i])
		}
	}
	return r, nil
}

// readAtMost reads body whole when it is at most limit bytes. It reads at
// most limit+1 bytes: one more than allowed is how an oversize body without a
// Content-Length is told apart from one exactly at the limit. The buffer
// never grows past limit+1, whatever a decoder would produce.
func readAtMost(body io.Reader, sizeHint, limit int64) ([]byte, error) {
	capacity := int64(32 << 10)
	if sizeHint >= 0 {
		capacity = sizeHint + 1
	}
	buf := make([]byte, 0, min(capacity, limit+1))
	lr := io.LimitReader(body, limit+1)
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max(2*int64(cap(buf)), 512), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &TooLargeError{Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
}
