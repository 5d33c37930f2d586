// Package ctlframe reads the control-character framing (SOH header, STX
// text, ETX trailer, EOT) that the teleprinter-era plain-text wires, ANPA
// 1312 and IPTC 7901, share; each format parses its own header.
package ctlframe

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// The transmission control characters (ISO 646 C0 codes) the framing uses.
const (
	SOH = 0x01 // start of heading: the header follows
	STX = 0x02 // start of text
	ETX = 0x03 // end of text: the trailer (transmission date) follows
	EOT = 0x04 // end of transmission
	BEL = 0x07 // the alarm bell rung on urgent messages
	SYN = 0x16 // synchronous idle, some transports send it before SOH
	DEL = 0x7F // padding
)

// Frame is one message's byte range in the payload, from its SOH to the
// next SOH or the end.
type Frame struct{ Start, End int }

// Codec is what a format adds to the framing: how to read one message and
// turn it into an item.
type Codec[M any] struct {
	// Format is the item.source.format, used in errors.
	Format string
	// Name is the format's name in prose ("ANPA 1312"), for the error
	// about a payload that does not start with SOH.
	Name string
	// Parse reads the message in data[start:end] (start is its SOH).
	Parse func(data []byte, start, end int) (M, error)
	// Build makes the item of a parsed message, or says why there is none.
	Build func(m M, policy *sanitize.Policy, opts *wire.Options) (story.Item, string)
}

// Decode reads every message of a payload, one item each. A message that
// cannot be read is left out with a *wire.PartialError when others are
// good; when none is, Decode returns a *wire.Error naming the problem.
func (c *Codec[M]) Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	if err := wire.CheckSize(c.Format, data); err != nil {
		return nil, err
	}
	frames, err := Split(data, c.Name)
	if err != nil {
		return nil, &wire.Error{Format: c.Format, Reason: err.Error()}
	}
	policy := sanitize.New()
	var (
		items   []story.Item
		skipped []wire.Skip
	)
	for i, f := range frames {
		m, err := c.Parse(data, f.Start, f.End)
		if err != nil {
			if len(frames) == 1 {
				return nil, &wire.Error{Format: c.Format, Reason: err.Error()}
			}
			skipped = append(skipped, wire.Skip{Index: i, Reason: err.Error()})
			continue
		}
		it, reason := c.Build(m, policy, opts)
		if reason != "" {
			if len(frames) == 1 {
				return nil, &wire.Error{Format: c.Format, Reason: reason}
			}
			skipped = append(skipped, wire.Skip{Index: i, Reason: reason})
			continue
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, &wire.Error{Format: c.Format, Reason: fmt.Sprintf("none of the %d messages could be read; message 0: %s", len(frames), skipped[0].Reason)}
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: c.Format, Skipped: skipped}
	}
	return items, nil
}

// Split finds the messages of a payload. Anything but whitespace, SYN or a
// byte order mark before the first SOH means the payload is not the format
// called name.
func Split(data []byte, name string) ([]Frame, error) {
	i := 0
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		i = 3
	}
	for i < len(data) && IsFill(data[i]) {
		i++
	}
	if i == len(data) {
		return nil, fmt.Errorf("empty document")
	}
	if data[i] != SOH {
		return nil, fmt.Errorf("not an %s message: byte %d is %q, not SOH (0x01)", name, i, StartOf(data[i:]))
	}
	var frames []Frame
	for i < len(data) {
		next := bytes.IndexByte(data[i+1:], SOH)
		if next < 0 {
			frames = append(frames, Frame{i, len(data)})
			break
		}
		frames = append(frames, Frame{i, i + 1 + next})
		i += 1 + next
	}
	return frames, nil
}

// IsFill reports bytes a transport may put around messages.
func IsFill(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '\f', SYN, 0:
		return true
	}
	return false
}

// StartOf quotes the first bytes of b for an error message.
func StartOf(b []byte) string {
	if len(b) > 24 {
		b = b[:24]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// TextEnd finds the ETX that ends a message's text, given the message seg
// (seg[0] is the SOH at byte start of the payload, seg ends at byte end)
// and the index of its STX in seg (-1 when there is none). Errors name the
// byte offsets, for the payload's error.
func TextEnd(seg []byte, start, end, stxAt int) (int, error) {
	if stxAt < 0 {
		return 0, fmt.Errorf("message at byte %d: truncated at byte %d: no STX (start of text) after the header", start, end)
	}
	etxAt := bytes.IndexByte(seg[stxAt+1:], ETX)
	if etxAt < 0 {
		return 0, fmt.Errorf("message at byte %d: truncated at byte %d: no ETX (end of text) after the STX at byte %d", start, end, start+stxAt)
	}
	return etxAt + stxAt + 1, nil
}

// Trailer returns what follows a message's ETX, up to an EOT.
func Trailer(seg []byte, etxAt int) []byte {
	tail := seg[etxAt+1:]
	if e := bytes.IndexByte(tail, EOT); e >= 0 {
		tail = tail[:e]
	}
	return tail
}

// LineText returns wire bytes as UTF-8 text with "\n" line ends. The wires
// are ASCII, UTF-8 or an 8-bit charset; RepairUTF8 reads bytes that are not
// UTF-8 as windows-1252, the superset of Latin-1.
func LineText(b []byte) string {
	s := string(wire.RepairUTF8(b))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// StripControls removes the C0 control characters (tab and newline
// excepted) and DEL: they steer the teleprinter and are not text.
func StripControls(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || r == DEL
}

// TrimSpace trims the whitespace a teleprinter text pads lines with,
// vertical tab and form feed included; a no-break space is text.
func TrimSpace(s string) string { return strings.Trim(s, " \t\r\n\f\v") }
