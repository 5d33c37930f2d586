package wire

import (
	"fmt"
	"strings"
)

// Skip records one entry of a payload that a decoder left out, and why.
type Skip struct {
	// Index is the entry's position in the payload, from 0.
	Index int
	// Reason is in words an operator can act on: "no id and no link".
	Reason string
}

// PartialError is returned by a format decoder together with the items it
// did decode, when it had to leave some entries out. One bad entry must not
// stop a delivery (DESIGN §1), so callers keep the items and record the
// skips; internal/decode turns this error into Result.Skipped.
type PartialError struct {
	Format  string
	Skipped []Skip
}

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "decode %s: skipped %d entries", e.Format, len(e.Skipped))
	for i, s := range e.Skipped {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; entry %d: %s", s.Index, s.Reason)
	}
	return b.String()
}
