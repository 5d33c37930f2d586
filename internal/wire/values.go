package wire

import (
	"strings"
	"time"
)

// ConfiguredAgency is the source's agency from the options, "" when opts is
// nil: decoders are called without options in tests and tools.
func ConfiguredAgency(opts *Options) string {
	if opts == nil {
		return ""
	}
	return opts.Agency
}

// DeliverySHA256 is the delivery's fingerprint from the options, "" when
// opts is nil.
func DeliverySHA256(opts *Options) string {
	if opts == nil {
		return ""
	}
	return opts.SHA256
}

// FirstNonBlank returns the first value that holds more than whitespace,
// as written (untrimmed), or "".
func FirstNonBlank(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// FirstNonBlankTrimmed returns the first value that holds more than
// whitespace, trimmed, or "".
func FirstNonBlankTrimmed(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// OptionalDate parses s with ParseDate and returns nil when it is not a
// date, for item fields where a missing date is nil rather than zero.
func OptionalDate(s string, loc *time.Location) *time.Time {
	t, ok := ParseDate(s, loc)
	if !ok {
		return nil
	}
	return &t
}
