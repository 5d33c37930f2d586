// Package iptc7901 decodes IPTC 7901 plain-text wire messages (SOH/STX/ETX framed, as dpa sends them) into items.
package iptc7901

import (
	"bytes"
	"fmt"
	"github.com/wiredesk/wiredesk/internal/wire/ctlframe"
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
	codec := ctlframe.Codec[*message]{Format: Format, Name: "IPTC 7901", Parse: parseMessage, Build: buildItem}
	return codec.Decode(data, opts)
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
	stxAt := bytes.IndexByte(seg, ctlframe.STX)
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
		return nil, fmt.Errorf("message at byte %d: header %q is not an IPTC 7901 header (source and number, priority digit, category, word count)", start, ctlframe.StartOf([]byte(head)))
	}
	etxAt, err := ctlframe.TextEnd(seg, start, end, stxAt)
	if err != nil {
		return nil, err
	}
	m := &message{
		offset:   start,
		sourceID: h[1],
		sequence: h[2],
		category: h[4],
		text:     ctlframe.LineText(seg[stxAt+1 : etxAt]),
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
	for _, l := range strings.Split(ctlframe.LineText(seg[lineEnd:stxAt]), "\n") {
		if l = ctlframe.TrimSpace(ctlframe.StripControls(l)); l != "" {
			m.slugLines = append(m.slugLines, l)
		}
	}
	tail := ctlframe.Trailer(seg, etxAt)
	for _, l := range strings.Split(ctlframe.LineText(tail), "\n") {
		if l = ctlframe.TrimSpace(ctlframe.StripControls(l)); l != "" {
			m.dateLine = l
			break
		}
	}
	return m, nil
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
			if k = ctlframe.TrimSpace(k); k != "" {
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
		agency = ctlframe.TrimSpace(opts.Agency)
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
