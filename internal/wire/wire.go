// Package wire holds what every wire-format decoder shares: decode options,
// the decode error type, and date, charset and text helpers. Format packages
// live beneath it, one per format; internal/decode detects and dispatches.
package wire

import (
	"fmt"
	"time"
)

// Options tell a decoder what the payload itself cannot.
type Options struct {
	// Agency is the configured agency of the source, used when the payload
	// does not name one.
	Agency string
	// Location is the source's configured zone for dates written without
	// one. Nil means UTC.
	Location *time.Location
	// SHA256 is the fingerprint of the raw delivery, copied into every
	// item's source.sha256.
	SHA256 string
}

// Loc returns the configured zone, UTC when none is set.
func (o *Options) Loc() *time.Location {
	if o == nil || o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// Error is a decode failure: which format was being read and what was wrong,
// in words an operator can act on.
type Error struct {
	Format string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("decode %s: %s: %v", e.Format, e.Reason, e.Err)
	}
	return fmt.Sprintf("decode %s: %s", e.Format, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }
