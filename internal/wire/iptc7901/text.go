package iptc7901

import (
	"github.com/wiredesk/wiredesk/internal/wire/ctlframe"
	"html"
	"regexp"
	"sort"
	"strings"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// maxHeadlineLines bounds the headline block: dpa's has a marker, a
// correction note, a genre line, the headline, a byline and a picture note,
// each wrapped at 69 characters.
const maxHeadlineLines = 16

// storyText is what the text between STX and ETX says.
type storyText struct {
	headline string
	byline   string
	dateline *story.Dateline
	ednote   string
	bodyHTML string // unsanitized
	signals  []string
	canceled bool
}

// revision reports whether the message revises an earlier one.
func (t *storyText) revision() bool {
	for _, s := range t.signals {
		switch s {
		case "correction", "update", "kill":
			return true
		}
	}
	return false
}

// Markers of dpa's headline block (its converter writes them in German,
// English and other languages; German and English are read here).
var (
	// "(Eil)" / "(Blitz)" once the alarm bells are removed: the urgent and
	// flash marker line.
	alarmMarker = regexp.MustCompile(`^\((Eil|Blitz)\s*\)$`)
	// International services put the marker in front of the headline.
	alarmPrefix    = regexp.MustCompile(`^(FLASH|URGENT): `)
	correctionNote = regexp.MustCompile(`^\((Berichtigung|Korrektur|Correction)\b`)
	correctionLine = regexp.MustCompile(`^(Berichtigung|Korrektur|Correction)$`)
	updateNote     = regexp.MustCompile(`^\(?(Aktualisierung|Update)\)?$`)
	killLine       = regexp.MustCompile(`^(KILL KILL KILL|\*+ ELIMINAR - ELIMINAR \*+)$`)
	bylineLine     = regexp.MustCompile(`^(Von|By|Por|Par) \S`)
	// The notepad (editors' information) and its non-public part.
	notepadStart  = regexp.MustCompile(`^#\s`)
	notForPublish = regexp.MustCompile(`(?i)not (intended )?for publication|nicht zur Veröffentlichung bestimmt`)
	// A dateline: place, the agency in parentheses, a dash.
	datelineStart = regexp.MustCompile(`^([^\s()][^()]{0,58}?) \(([^()\s][^()]{0,29})\) [-–—_] `)
	// A table row: framed by "|", or columns set apart by runs of spaces
	// (a gap after sentence punctuation is prose typed with two spaces).
	columnGap = regexp.MustCompile(`[^\s.!?:;,"'»«)] {2,}\S`)
)

// parseText splits the text of a message into headline block, body and
// notepad.
func parseText(text string, m *message) *storyText {
	t := &storyText{}
	lines := strings.Split(text, "\n")
	first := 0
	for first < len(lines) && isBlank(lines[first]) {
		first++
	}
	// The headline block runs to the line ending in " =", dpa's end of
	// headline sign; without one, the first line alone is the headline, as
	// in plain IPTC 7901.
	last := first
	for i := first; i < len(lines) && i < first+maxHeadlineLines; i++ {
		if isBlank(lines[i]) {
			break
		}
		if strings.HasSuffix(strings.TrimRight(ctlframe.StripControls(lines[i]), " \t"), "=") {
			last = i
			break
		}
	}
	if first < len(lines) {
		t.readHeadlineBlock(lines[first:last+1], m.priority)
		lines = lines[last+1:]
	} else {
		lines = nil
	}
	t.readBody(lines, m.agency)
	sort.Strings(t.signals)
	return t
}

func isBlank(s string) bool { return ctlframe.TrimSpace(ctlframe.StripControls(s)) == "" }

func (t *storyText) signal(s string) {
	for _, have := range t.signals {
		if have == s {
			return
		}
	}
	t.signals = append(t.signals, s)
}

// readHeadlineBlock reads the marker, note, headline and byline lines from
// STX to the " =".
func (t *storyText) readHeadlineBlock(block []string, priority int) {
	var (
		raw      []string
		headline []string
		notes    []string
	)
	for i, l := range block {
		if strings.ContainsRune(l, ctlframe.BEL) {
			// The bells ring the newsroom alarm for an urgent or flash
			// message.
			t.signal("flash")
		}
		l = ctlframe.TrimSpace(ctlframe.StripControls(l))
		if i == len(block)-1 {
			l = ctlframe.TrimSpace(strings.TrimSuffix(l, "="))
		}
		raw = append(raw, l)
	}
	for i := 0; i < len(raw); i++ {
		l := raw[i]
		// A note in parentheses may be wrapped over several lines.
		if strings.HasPrefix(l, "(") && !strings.HasSuffix(l, ")") {
			for j := i + 1; j < len(raw); j++ {
				if strings.HasSuffix(raw[j], ")") {
					l = strings.Join(raw[i:j+1], " ")
					i = j
					break
				}
			}
		}
		switch {
		case l == "":
		case alarmMarker.MatchString(l):
			t.signal("flash")
		case killLine.MatchString(l):
			t.signal("kill")
			t.canceled = true
		case correctionNote.MatchString(l) && strings.HasSuffix(l, ")"):
			t.signal("correction")
			notes = append(notes, strings.TrimSuffix(strings.TrimPrefix(l, "("), ")"))
		case correctionLine.MatchString(l):
			t.signal("correction")
		case updateNote.MatchString(l):
			t.signal("update")
		case strings.HasPrefix(l, "(") && strings.HasSuffix(l, ")"):
			// Genre, embargo and picture notes are for the editors.
			notes = append(notes, l)
		case len(headline) > 0 && bylineLine.MatchString(l):
			t.byline = wire.OneLine(l)
		case t.byline != "":
			notes = append(notes, l)
		default:
			if len(headline) == 0 && priority > 0 && priority <= 2 {
				if p := alarmPrefix.FindString(l); p != "" {
					t.signal("flash")
					l = strings.TrimPrefix(l, p)
				}
			}
			headline = append(headline, l)
		}
	}
	// Wrapped headline lines read as one line, as a browser shows them.
	t.headline = wire.OneLine(strings.Join(headline, " "))
	t.ednote = strings.Join(notes, "\n")
}

// readBody turns the lines after the headline block into HTML paragraphs,
// and the notepad after them into the editor's note. The closing line of
// editors' initials ("dpa wsz jln npr") is neither.
func (t *storyText) readBody(lines []string, agency string) {
	var paras [][]string
	var cur []string
	for _, l := range lines {
		l = strings.TrimRight(ctlframe.StripControls(l), " \t")
		if ctlframe.TrimSpace(l) == "" {
			if len(cur) > 0 {
				paras = append(paras, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, l)
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	if n := len(paras); n > 0 && isClosingLine(paras[n-1], agency) {
		paras = paras[:n-1]
	}
	body := paras
	var notepad [][]string
	for i, p := range paras {
		if notepadStart.MatchString(p[0]) || ctlframe.TrimSpace(p[0]) == "* * * *" || notForPublish.MatchString(p[0]) {
			body, notepad = paras[:i], paras[i:]
			break
		}
	}
	var b strings.Builder
	for i, p := range body {
		if i < 3 && t.dateline == nil {
			if d := datelineStart.FindStringSubmatch(ctlframe.TrimSpace(p[0])); d != nil {
				t.dateline = &story.Dateline{Place: d[1], Source: d[2]}
			}
		}
		writeParagraph(&b, p)
	}
	t.bodyHTML = b.String()
	if len(notepad) > 0 {
		var n []string
		for _, p := range notepad {
			n = append(n, strings.Join(p, "\n"))
		}
		t.ednote = ctlframe.TrimSpace(strings.Join([]string{t.ednote, strings.Join(n, "\n\n")}, "\n\n"))
	}
}

// isClosingLine recognises the sign-off before ETX: the agency's name and
// the editors' initials, one short line.
func isClosingLine(p []string, agency string) bool {
	if len(p) != 1 || agency == "" {
		return false
	}
	f := strings.Fields(p[0])
	if len(f) < 2 || len(f) > 10 || f[0] != agency {
		return false
	}
	for _, w := range f[1:] {
		if len([]rune(w)) > 12 {
			return false
		}
	}
	return true
}

// writeParagraph writes one paragraph of wire text as HTML. Wrapped lines
// are joined by a space, as a browser would show them; tables keep their
// lines and columns in <pre>; list items keep their own lines.
func writeParagraph(b *strings.Builder, p []string) {
	if isTable(p) {
		b.WriteString("<pre>")
		for i, l := range p {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(html.EscapeString(l))
		}
		b.WriteString("</pre>")
		return
	}
	dashList := strings.HasPrefix(ctlframe.TrimSpace(p[0]), "- ")
	b.WriteString("<p>")
	for i, l := range p {
		l = ctlframe.TrimSpace(l)
		if i > 0 {
			if startsListItem(l, dashList) {
				b.WriteString("<br>")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(html.EscapeString(l))
	}
	b.WriteString("</p>")
}

// startsListItem reports a line that begins a list item. A "- " only does
// in a paragraph that starts with one: elsewhere it is a dash that the line
// wrap put first.
func startsListItem(l string, dashList bool) bool {
	for _, m := range []string{"+ ", "* ", "• "} {
		if strings.HasPrefix(l, m) {
			return true
		}
	}
	return dashList && strings.HasPrefix(l, "- ")
}

func isTable(p []string) bool {
	framed := true
	for _, l := range p {
		if !strings.HasPrefix(ctlframe.TrimSpace(l), "|") {
			framed = false
			break
		}
	}
	if framed {
		return true
	}
	if len(p) < 2 {
		return false
	}
	for _, l := range p {
		if !columnGap.MatchString(ctlframe.TrimSpace(l)) {
			return false
		}
	}
	return true
}
