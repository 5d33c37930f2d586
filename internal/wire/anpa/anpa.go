// Package anpa decodes ANPA 1312 messages, the AP's classic control-character framed plain-text wire, into items.
package anpa

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
const Format = "anpa"

// dc2 is the second byte of a tabular format identifier: DC3 (body) or
// DC4 (agate), then DC1 (text) or DC2 (tabular).
const dc2 = 0x12

// selectorLine is the first header line after SOH: an optional service
// level designator letter, the message number (up to four digits), an
// optional UPI field, US, and the selector code: "W2870\x1fasian".
var selectorLine = regexp.MustCompile(`^([A-Za-z])?([0-9]{1,4})([^\x1f]{0,16})\x1f([A-Za-z0-9-]{0,8})[ \t\r]*$`)

// priorityLine is the second header line: priority letter, space, category
// letter, the two-byte format identifier, then keyword, version,
// reference, filing date and word count separated by spaces:
// "r a\x13\x11 BC-US--Ethanol-LosingGra 1stLd-Writethru   11-13 1693".
var priorityLine = regexp.MustCompile(`^([A-Za-z]) ([A-Za-z])([\x13\x14][\x11\x12])?[ \t]*(.*?)[ \t\r]*$`)

var (
	filingDate = regexp.MustCompile(`^([0-9]{1,2})-([0-9]{1,2})$`)
	wordCount  = regexp.MustCompile(`^[0-9]{1,5}$`)
	// trailer is the transmission line after ETX: agency, desk, date,
	// time and zone: "AP-WF-11-13-13 1509GMT", "02-26-18 2129ET".
	trailer = regexp.MustCompile(`(?:^|\s)(?:([A-Za-z]{1,8})-(?:[A-Za-z0-9]{1,8}-)?)?([0-9]{1,2})-([0-9]{1,2})-([0-9]{2}) ([0-9]{2})([0-9]{2}) ?([A-Za-z]{2,4})?`)
	// takeKey recognises a version field: leads, writethrus,
	// corrections, kills, advisories, and ordinal takes.
	takeKey = regexp.MustCompile(`(?i)(^|[^a-z])([0-9]+(st|nd|rd|th))?-?(ld|lead|writethru|write-thru|corrective|correction|kill|elimination|advisory|sub|insert|add|update|urgent|bulletin|adv[0-9]*)([^a-z]|$)|^[0-9]+(st|nd|rd|th)`)
)

// shapeStart is the start of an ANPA message as wire.SniffShape shows it:
// optional SYN, SOH, optional service level letter, message number, at most
// 16 bytes of UPI, then US.
var shapeStart = regexp.MustCompile(`^\x16*\x01[A-Za-z]?[0-9]{1,4}[^\x1f\x02\r\n]{0,16}\x1f`)

// shapeSecondLine is the start of the priority line: priority and category
// letters, then the format identifier.
var shapeSecondLine = regexp.MustCompile(`^[A-Za-z] [A-Za-z][\x13\x14]`)

// Match reports whether a payload is ANPA 1312. Plain text has no root
// element, so the rule is the framing itself: after whitespace, optional
// SYN characters, then SOH, a message number and a US (0x1F) within the
// next 22 bytes; when the shape's start reaches the second header line,
// that line must open with "<priority> <category>" and the DC3/DC4 format
// identifier. XML, HTML and JSON never start with SOH; IPTC 7901 follows
// SOH with letters, digits and a space, never US.
func Match(s *wire.Shape) bool {
	if s.Kind != wire.ShapeText || !shapeStart.MatchString(s.Start) {
		return false
	}
	_, second, ok := strings.Cut(s.Start, "\n")
	if !ok || len(second) < 4 {
		return true // the shape's 32 bytes end before the second line
	}
	return shapeSecondLine.MatchString(second)
}

// Decode reads every message (SOH ... STX ... ETX ... EOT) of an ANPA 1312
// payload, one item each. A message that cannot be read (bad header, no
// STX, truncated before ETX) is left out with a *wire.PartialError when
// others are good; when none is, Decode returns a *wire.Error naming the
// byte offset of the problem.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	codec := ctlframe.Codec[*message]{Format: Format, Name: "ANPA 1312", Parse: parseMessage, Build: buildItem}
	return codec.Decode(data, opts)
}

// message is one ANPA message split into its header fields and text.
type message struct {
	offset     int // byte offset of the SOH in the payload
	number     string
	selector   string
	priority   byte
	category   byte
	tabular    bool   // the format identifier says tabular (agate) matter
	keyword    string // the slug, at most 24 characters
	version    string // the take key: "1stLd-Writethru", "Corrective"
	reference  string
	filingDate string // "11-13": month and day
	wordCount  *int
	text       string // between STX and ETX, UTF-8, "\n" line ends
	trailer    string // after ETX
}

func parseMessage(doc []byte, start, end int) (*message, error) {
	seg := doc[start:end]
	stxAt := bytes.IndexByte(seg, ctlframe.STX)
	headEnd := len(seg)
	if stxAt >= 0 {
		headEnd = stxAt
	}
	head := strings.Split(string(wire.RepairUTF8(seg[1:headEnd])), "\n")
	l1 := selectorLine.FindStringSubmatch(head[0])
	if l1 == nil {
		return nil, fmt.Errorf("message at byte %d: header line %q is not ANPA 1312 (message number, US, selector code)", start, ctlframe.StartOf([]byte(head[0])))
	}
	if len(head) < 2 {
		return nil, fmt.Errorf("message at byte %d: truncated at byte %d: no priority line after the selector line", start, start+headEnd)
	}
	l2 := priorityLine.FindStringSubmatch(head[1])
	if l2 == nil {
		return nil, fmt.Errorf("message at byte %d: header line 2 %q is not ANPA 1312 (priority, category, format, keyword)", start, ctlframe.StartOf([]byte(head[1])))
	}
	etxAt, err := ctlframe.TextEnd(seg, start, end, stxAt)
	if err != nil {
		return nil, err
	}
	m := &message{
		offset:   start,
		number:   l1[2],
		selector: l1[4],
		priority: l2[1][0],
		category: l2[2][0],
		tabular:  len(l2[3]) == 2 && l2[3][1] == dc2,
		text:     ctlframe.LineText(seg[stxAt+1 : etxAt]),
	}
	m.readFields(strings.Fields(l2[4]))
	tail := ctlframe.Trailer(seg, etxAt)
	m.trailer = ctlframe.TrimSpace(ctlframe.StripControls(ctlframe.LineText(tail)))
	return m, nil
}

// readFields reads keyword, version, reference, filing date and word count.
// Producers pad empty fields with spaces, so the fields are read from both
// ends rather than by position: the keyword first, word count and filing
// date last, and between them the version (a take key) and the reference.
func (m *message) readFields(f []string) {
	if n := len(f); n >= 2 && wordCount.MatchString(f[n-1]) && filingDate.MatchString(f[n-2]) {
		// A zero count is what producers send when they have none.
		if c, err := strconv.Atoi(f[n-1]); err == nil && c > 0 {
			m.wordCount = &c
		}
		f = f[:n-1]
	}
	if n := len(f); n >= 1 && filingDate.MatchString(f[n-1]) {
		m.filingDate = f[n-1]
		f = f[:n-1]
	}
	if len(f) > 0 {
		m.keyword, f = f[0], f[1:]
	}
	switch len(f) {
	case 0:
	case 1:
		if takeKey.MatchString(f[0]) {
			m.version = f[0]
		} else {
			m.reference = f[0]
		}
	default:
		m.version, m.reference = f[0], strings.Join(f[1:], " ")
	}
}

// urgencyOf maps the ANPA priority letter to an urgency (1 highest). Only
// the three top levels are mapped: their order is the same in ANPA 1312,
// IPTC 7901 and NewsML-G2 use, while "r" (regular), "d" (deferred), the
// advance and rerun codes sit at different places on different agencies'
// scales, so their urgency is left unknown.
//
//	f  flash     1
//	b  bulletin  2
//	u  urgent    3
func urgencyOf(p byte) (int, bool) {
	switch p {
	case 'f', 'F':
		return 1, true
	case 'b', 'B':
		return 2, true
	case 'u', 'U':
		return 3, true
	}
	return 0, false
}

// transmitted reads the date and time of the trailer after ETX. GMT/UTC and
// the US Eastern zone abbreviations are understood; "ET" is US Eastern time
// with its daylight saving rule. A time without a zone is in loc.
func transmitted(s string, loc *time.Location) (time.Time, string, bool) {
	m := trailer.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, "", false
	}
	agency := m[1]
	switch strings.ToUpper(m[7]) {
	case "":
	case "GMT", "UTC", "UT", "Z":
		loc = time.UTC
	case "EST":
		loc = time.FixedZone("EST", -5*3600)
	case "EDT":
		loc = time.FixedZone("EDT", -4*3600)
	case "ET":
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			return time.Time{}, agency, false
		}
		loc = ny
	default:
		// An unknown zone must not be taken for UTC: the time is unknown.
		return time.Time{}, agency, false
	}
	t, err := time.ParseInLocation("1-2-06 1504", fmt.Sprintf("%s-%s-%s %s%s", m[2], m[3], m[4], m[5], m[6]), loc)
	if err != nil {
		return time.Time{}, agency, false
	}
	return t, agency, true
}

// buildItem maps a message to an item, or says why it cannot.
func buildItem(m *message, policy *sanitize.Policy, opts *wire.Options) (story.Item, string) {
	t := parseText(m)
	if t.headline == "" && t.bodyHTML == "" {
		return story.Item{}, fmt.Sprintf("message at byte %d has neither a headline nor text", m.offset)
	}
	it := story.Item{
		PubStatus: story.Usable,
		Type:      "text",
		Headline:  t.headline,
		Slugline:  t.slugline,
		Byline:    t.byline,
		Dateline:  t.dateline,
		EdNote:    t.ednote,
		WordCount: m.wordCount,
		Signals:   t.signals,
	}
	if it.Slugline == "" {
		it.Slugline = m.keyword
	}
	if t.canceled {
		it.PubStatus = story.Canceled
	}
	if u, ok := urgencyOf(m.priority); ok {
		it.Urgency = &u
	}
	it.Subjects = []story.Entity{{Code: string(m.category), Scheme: "anpa-category"}}
	when, agency, ok := transmitted(m.trailer, opts.Loc())
	if ok {
		it.VersionCreated = &when
		// An original story was created when it was sent; a lead,
		// writethru or correction was first created earlier.
		if m.version == "" && !t.revision {
			f := when
			it.FirstCreated = &f
		}
	}
	it.BodyHTML = policy.HTML(t.bodyHTML)
	it.BodyText = policy.Text(it.BodyHTML)

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

// deriveURI makes the story id ANPA does not carry: the message number
// names a transmission, and the reference field points at an earlier
// transmission, neither at the story. What stays the same across a story's
// leads, writethrus and corrections is its keyword (slug) on the day it was
// filed, on a given selector (service): "anpa:asian:2013-11-13:BC-US--
// Ethanol-LosingGra". The year comes from the trailer; without it the id
// has the month and day only. Without a keyword, the message number stands
// in (one story per transmission).
func deriveURI(m *message, it *story.Item) string {
	parts := []string{Format}
	if m.selector != "" {
		parts = append(parts, m.selector)
	}
	if d := filedOn(m.filingDate, it.VersionCreated); d != "" {
		parts = append(parts, d)
	}
	switch {
	case m.keyword != "":
		parts = append(parts, m.keyword)
	case m.number != "":
		parts = append(parts, "msg"+m.number)
	default:
		parts = append(parts, story.SHA256Hex([]byte(m.text))[:16])
	}
	return strings.Join(parts, ":")
}

// filedOn is the filing date as yyyy-mm-dd, the year taken from the
// transmission time (the year before when a December story is sent in
// January), or "mm-dd" when that is unknown.
func filedOn(filing string, sent *time.Time) string {
	f := filingDate.FindStringSubmatch(filing)
	if f == nil {
		return ""
	}
	month, _ := strconv.Atoi(f[1])
	day, _ := strconv.Atoi(f[2])
	if sent == nil {
		return fmt.Sprintf("%02d-%02d", month, day)
	}
	year := sent.Year()
	if month == 12 && sent.Month() == time.January {
		year--
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
}
