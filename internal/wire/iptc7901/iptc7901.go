// Package iptc7901 decodes IPTC 7901 plain-text wire messages (SOH/STX/ETX framed, as dpa sends them) into items.
package iptc7901

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// Format is this package's item.source.format.
const Format = "iptc7901"

// The transmission control characters of IPTC 7901 (ISO 646 C0 codes).
const (
	soh = 0x01 // start of heading: the header line follows
	stx = 0x02 // start of text: the headline block follows
	etx = 0x03 // end of text: the date line follows
	eot = 0x04 // end of transmission
	bel = 0x07 // the alarm bell dpa rings on an urgent or flash message
	syn = 0x16 // idle, some transports send it before SOH
	del = 0x7F // padding after ETX
)

// headerLine is the IPTC 7901 header after SOH: the source identification
// (letters) directly followed by its sequence number, the priority digit,
// the category (one to four letters), the word count, then optional fields.
// dpa writes `<service><number> <priority> <category> <words>  <agency>
// <agency number>`, e.g. "eca062 4 i 211 ccccb   dpa 061".
var headerLine = regexp.MustCompile(`^([A-Za-z][A-Za-z-]*?)([0-9]{1,8}) ([0-9]) ([A-Za-z]{1,4}) ([0-9]{1,6})(?:[ \t]+(.*?))?[ \t]*$`)

// shapeStart is the start of an IPTC 7901 message as wire.SniffShape shows
// it (first 32 bytes, leading whitespace removed): optional SYN, SOH, then
// the header layout above up to the word count.
var shapeStart = regexp.MustCompile(`^\x16*\x01[A-Za-z][A-Za-z-]*?[0-9]{1,8} [0-9] [A-Za-z]{1,4} [0-9]{1,6}( |\r|\n|$)`)

// Match reports whether a payload is IPTC 7901. The rule is strict on
// purpose, since plain text has no root element to go by: the payload must
// start (after whitespace) with SOH, optionally preceded by SYN, followed by
// the header layout "<source><number> <priority digit> <category> <word
// count>". RSS, Atom, HTML and JSON start with "<", "{" or "[" and are never
// text shapes; ANPA 1312 follows SOH with a number and a US (0x1F), not a
// space and a priority digit, so neither is claimed. Files without SOH are
// not recognised: without the framing, a line of letters and digits is not
// evidence enough.
func Match(s *wire.Shape) bool {
	return s.Kind == wire.ShapeText && shapeStart.MatchString(s.Start)
}

// Decode reads every message (SOH ... ETX ... EOT) of an IPTC 7901
// payload, one item each. A message that cannot be read (no header, no STX,
// truncated before ETX) is left out with a *wire.PartialError when others
// are good; when none is, Decode returns a *wire.Error naming the byte
// offset of the problem.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	if err := wire.CheckSize(Format, data); err != nil {
		return nil, err
	}
	frames, err := splitFrames(data)
	if err != nil {
		return nil, &wire.Error{Format: Format, Reason: err.Error()}
	}
	policy := sanitize.New()
	var (
		items   []story.Item
		skipped []wire.Skip
	)
	for i, f := range frames {
		m, err := parseMessage(data, f.start, f.end)
		if err != nil {
			if len(frames) == 1 {
				return nil, &wire.Error{Format: Format, Reason: err.Error()}
			}
			skipped = append(skipped, wire.Skip{Index: i, Reason: err.Error()})
			continue
		}
		it, reason := buildItem(m, policy, opts)
		if reason != "" {
			if len(frames) == 1 {
				return nil, &wire.Error{Format: Format, Reason: reason}
			}
			skipped = append(skipped, wire.Skip{Index: i, Reason: reason})
			continue
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, &wire.Error{Format: Format, Reason: fmt.Sprintf("none of the %d messages could be read; message 0: %s", len(frames), skipped[0].Reason)}
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: Format, Skipped: skipped}
	}
	return items, nil
}

// frame is one message's byte range in the payload, from its SOH to the
// next SOH or the end.
type frame struct{ start, end int }

// splitFrames finds the messages of a payload. Anything but whitespace, SYN
// or a byte order mark before the first SOH means this is not IPTC 7901.
func splitFrames(data []byte) ([]frame, error) {
	i := 0
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		i = 3
	}
	for i < len(data) && isFill(data[i]) {
		i++
	}
	if i == len(data) {
		return nil, fmt.Errorf("empty document")
	}
	if data[i] != soh {
		return nil, fmt.Errorf("not an IPTC 7901 message: byte %d is %q, not SOH (0x01)", i, startOf(data[i:]))
	}
	var frames []frame
	for i < len(data) {
		next := bytes.IndexByte(data[i+1:], soh)
		if next < 0 {
			frames = append(frames, frame{i, len(data)})
			break
		}
		frames = append(frames, frame{i, i + 1 + next})
		i += 1 + next
	}
	return frames, nil
}

// isFill reports bytes a transport may put around messages.
func isFill(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '\f', syn, 0:
		return true
	}
	return false
}

// startOf quotes the first bytes of b for an error message.
func startOf(b []byte) string {
	if len(b) > 24 {
		b = b[:24]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// message is one IPTC 7901 message split into its parts, text as UTF-8
// with line ends normalised to "\n", control characters still in.
type message struct {
	offset    int    // byte offset of the SOH in the payload
	sourceID  string // e.g. "eca", "bdt": the sending service
	sequence  string // the service's message number, e.g. "062"
	priority  int    // 1 (highest) to 9; 0 when the header says 0
	category  string // e.g. "i", "pl"
	wordCount *int
	agency    string   // the agency field of dpa's header, e.g. "dpa"
	slugLines []string // the keyword lines between header and STX
	text      string   // between STX and ETX
	dateLine  string   // after ETX: the transmission date
}

func parseMessage(doc []byte, start, end int) (*message, error) {
	seg := doc[start:end]
	stxAt := bytes.IndexByte(seg, stx)
	headEnd := len(seg)
	if stxAt >= 0 {
		headEnd = stxAt
	}
	lineEnd := bytes.IndexByte(seg[:headEnd], '\n')
	if lineEnd < 0 {
		lineEnd = headEnd
	}
	head := strings.TrimRight(string(wire.RepairUTF8(seg[1:lineEnd])), "\r \t")
	h := headerLine.FindStringSubmatch(head)
	if h == nil {
		return nil, fmt.Errorf("message at byte %d: header %q is not an IPTC 7901 header (source and number, priority digit, category, word count)", start, startOf([]byte(head)))
	}
	if stxAt < 0 {
		return nil, fmt.Errorf("message at byte %d: truncated at byte %d: no STX (start of text) after the header", start, end)
	}
	etxAt := bytes.IndexByte(seg[stxAt+1:], etx)
	if etxAt < 0 {
		return nil, fmt.Errorf("message at byte %d: truncated at byte %d: no ETX (end of text) after the STX at byte %d", start, end, start+stxAt)
	}
	etxAt += stxAt + 1
	m := &message{
		offset:   start,
		sourceID: h[1],
		sequence: h[2],
		category: h[4],
		text:     lineText(seg[stxAt+1 : etxAt]),
	}
	m.priority, _ = strconv.Atoi(h[3])
	// A zero word count is what generators write when they have none.
	if n, err := strconv.Atoi(h[5]); err == nil && n > 0 {
		m.wordCount = &n
	}
	// dpa's optional fields end with "<agency> <agency number>".
	if rest := strings.Fields(h[6]); len(rest) >= 2 && isDigits(rest[len(rest)-1]) && isAgencyToken(rest[len(rest)-2]) {
		m.agency = rest[len(rest)-2]
	}
	for _, l := range strings.Split(lineText(seg[lineEnd:stxAt]), "\n") {
		if l = trimSpace(stripControls(l)); l != "" {
			m.slugLines = append(m.slugLines, l)
		}
	}
	tail := seg[etxAt+1:]
	if e := bytes.IndexByte(tail, eot); e >= 0 {
		tail = tail[:e]
	}
	for _, l := range strings.Split(lineText(tail), "\n") {
		if l = trimSpace(stripControls(l)); l != "" {
			m.dateLine = l
			break
		}
	}
	return m, nil
}

// lineText returns wire bytes as UTF-8 text with "\n" line ends. The wire
// is UTF-8 or an 8-bit charset; RepairUTF8 reads bytes that are not UTF-8
// as windows-1252, the superset of Latin-1.
func lineText(b []byte) string {
	s := string(wire.RepairUTF8(b))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isAgencyToken reports an agency code as dpa writes it: letters with
// hyphens ("dpa", "dpa-spe", "lby").
func isAgencyToken(s string) bool {
	if s == "" || len(s) > 24 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

// stripControls removes the C0 control characters (tab excepted) and DEL:
// they steer the teleprinter and are not text.
func stripControls(s string) string {
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
	return (r < 0x20 && r != '\t' && r != '\n') || r == del
}

// dateLine is the date after ETX: day, hour and minute run together, an
// optional zone, the month abbreviation (English or German) and a two-digit
// year: "131137 GMT Nov 13", "251037 Sep 24".
var dateLine = regexp.MustCompile(`^([0-9]{2})([0-9]{2})([0-9]{2})\s+(?:([A-Za-z]{2,5})\s+)?(\pL{3,5})\.?\s+([0-9]{2})\b`)

// parseDateLine reads the date after ETX; zone-less dates are in loc.
func parseDateLine(s string, loc *time.Location) (time.Time, bool) {
	m := dateLine.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	v := fmt.Sprintf("%s %s %s %s:%s", m[1], m[5], m[6], m[2], m[3])
	if m[4] != "" {
		v += " " + m[4]
	}
	return wire.ParseDate(v, loc)
}

// buildItem maps a message to an item, or says why it cannot.
func buildItem(m *message, policy *sanitize.Policy, opts *wire.Options) (story.Item, string) {
	t := parseText(m.text, m)
	if t.headline == "" && t.bodyHTML == "" {
		return story.Item{}, fmt.Sprintf("message at byte %d has neither a headline nor text", m.offset)
	}
	it := story.Item{
		PubStatus: story.Usable,
		Type:      "text",
		Headline:  t.headline,
		Byline:    t.byline,
		Dateline:  t.dateline,
		EdNote:    t.ednote,
		WordCount: m.wordCount,
		Signals:   t.signals,
	}
	if t.canceled {
		it.PubStatus = story.Canceled
	}
	if m.priority > 0 {
		// The 7901 priority runs 1 (flash) to 6 (lowest), the same
		// direction and, for dpa, the same number as its NewsML-G2
		// urgency; so it is the urgency as sent.
		p := m.priority
		it.Urgency = &p
	}
	if len(m.slugLines) > 0 {
		slug := strings.Join(m.slugLines, " ")
		it.Slugline = strings.TrimRight(slug, "/ ")
		for _, k := range strings.Split(it.Slugline, "/") {
			if k = trimSpace(k); k != "" {
				it.Keywords = append(it.Keywords, k)
			}
		}
	}
	it.Subjects = []story.Entity{{Code: m.category, Scheme: "iptc7901-category"}}
	if v, ok := parseDateLine(m.dateLine, opts.Loc()); ok {
		it.VersionCreated = &v
		// Only an original message was created when it was sent; an
		// update or correction was first created earlier, at a time this
		// message does not give.
		if !t.revision() {
			f := v
			it.FirstCreated = &f
		}
	}
	it.BodyHTML = policy.HTML(t.bodyHTML)
	it.BodyText = policy.Text(it.BodyHTML)

	agency := m.agency
	if agency == "" && it.Dateline != nil {
		agency = it.Dateline.Source
	}
	if agency == "" && opts != nil {
		agency = trimSpace(opts.Agency)
	}
	it.Source = story.ItemSource{Format: Format, Agency: agency}
	if opts != nil {
		it.Source.SHA256 = opts.SHA256
	}
	it.URI = deriveURI(m, &it)
	it.IDDerived = true
	return it, ""
}

// deriveURI makes the story id IPTC 7901 does not carry: the message
// number identifies a transmission, not a story. It is built from what
// stays the same when the agency re-sends or corrects a story on the same
// day: the agency, the date, the keyword (slug) line, and a short hash of
// the headline, since agencies reuse keyword lines ("Germany-politics")
// for many stories a day. A story whose headline changes therefore starts a
// new thread; duplicate detection links the two. Without a date or keyword
// the service and message number stand in.
func deriveURI(m *message, it *story.Item) string {
	parts := []string{Format}
	if a := firstNonEmpty(m.agency, m.sourceID); a != "" {
		parts = append(parts, a)
	}
	if it.VersionCreated != nil {
		parts = append(parts, it.VersionCreated.Format("2006-01-02"))
	}
	if it.Slugline != "" {
		parts = append(parts, it.Slugline)
	} else {
		parts = append(parts, m.sourceID+m.sequence)
	}
	if it.Headline != "" {
		parts = append(parts, story.SHA256Hex([]byte(it.Headline))[:8])
	} else {
		parts = append(parts, story.SHA256Hex([]byte(m.text))[:8])
	}
	return strings.Join(parts, ":")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// trimSpace trims the whitespace of markup and teleprinters, never a
// no-break space: that is part of the agency's text.
func trimSpace(s string) string { return strings.Trim(s, " \t\r\n\f\v") }
