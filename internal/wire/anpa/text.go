package anpa

import (
	"github.com/wiredesk/wiredesk/internal/wire/ctlframe"
	"html"
	"regexp"
	"sort"
	"strings"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// storyText is what the text between STX and ETX says.
type storyText struct {
	slugline string
	headline string
	byline   string
	dateline *story.Dateline
	ednote   string
	bodyHTML string // unsanitized
	signals  []string
	canceled bool
	revision bool // a lead, writethru, correction or kill of an earlier story
}

var (
	// The AP slug line opens the "^" header lines: service and category
	// codes, the keyword, the take, and the take's word count after a
	// comma: "BC-US--Ethanol-Losing Grassland, 1st Ld-Writethru,1140".
	apSlug          = regexp.MustCompile(`^[A-Za-z]{2}-[A-Za-z]{2,4}--`)
	slugWordCount   = regexp.MustCompile(`,\s*[0-9]+$`)
	bylineLine      = regexp.MustCompile(`^By \S`)
	noteLine        = regexp.MustCompile(`^(Eds:|EDITOR'S NOTE|AP Photos?\b|With AP Photos?\b|Editors:)`)
	leadTake        = regexp.MustCompile(`(?i)(^|[^a-z])([0-9]+(st|nd|rd|th))?\s*(ld|lead)([^a-z]|$)`)
	writethruTake   = regexp.MustCompile(`(?i)write-?thru|writethrough`)
	correctionTake  = regexp.MustCompile(`(?i)\bcorrect(ive|ion|ed|s)?\b`)
	killTake        = regexp.MustCompile(`(?i)\b(kill|killed|elimination|eliminaci[oó]n)\b`)
	advisoryTake    = regexp.MustCompile(`(?i)\badvisory\b`)
	correctsNote    = regexp.MustCompile(`^Eds:.*\b(CORRECTS|Corrects|corrects|CORRECTION|Correction)\b`)
	killNote        = regexp.MustCompile(`^(Eds: )?(URGENT )?(KILL|ELIMINATION|ELIMINACI[OÓ]N)\b`)
	datelineStart   = regexp.MustCompile(`^([^\s()][^()]{0,58}?) \(([^()\s][^()]{0,29})\) [-–—_] `)
	columnGap       = regexp.MustCompile(`[^\s.!?:;,"'»«)] {2,}\S`)
	leadingTabSpace = regexp.MustCompile(`^\t[ ]*`)
)

// parseText reads the "^" header lines (slug, headline, notes, byline) and
// the body paragraphs of a message.
func parseText(m *message) *storyText {
	t := &storyText{}
	if strings.ContainsRune(m.text, ctlframe.BEL) {
		// The bells ring the newsroom alarm.
		if m.priority == 'b' || m.priority == 'B' {
			t.signal("bulletin")
		} else {
			t.signal("flash")
		}
	}
	lines := strings.Split(m.text, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(ctlframe.StripControls(lines[i]), " \t")
	}
	i := 0
	for i < len(lines) && ctlframe.TrimSpace(lines[i]) == "" {
		i++
	}
	var header []headerLine
	for i < len(lines) && strings.HasPrefix(strings.TrimLeft(lines[i], " "), "^") {
		l := strings.TrimPrefix(strings.TrimLeft(lines[i], " "), "^")
		i++
		// A header line runs on until its end-of-line code: wrapped
		// lines read as one line, as a browser shows them.
		for lineEndCode(l) == "" && i < len(lines) && continuesHeader(lines[i]) {
			l += " " + ctlframe.TrimSpace(lines[i])
			i++
		}
		header = append(header, readHeaderLine(l))
	}
	t.readHeader(header, m)
	t.readSignals(m)
	t.readBody(lines[i:], m.tabular)
	sort.Strings(t.signals)
	return t
}

// headerLine is one "^" line without its codes; credit says it ended with
// "=", the code AP puts after the byline and its credit line.
type headerLine struct {
	text   string
	credit bool
}

func readHeaderLine(l string) headerLine {
	end := lineEndCode(l)
	return headerLine{
		text:   ctlframe.TrimSpace(strings.TrimSuffix(l, end)),
		credit: strings.Contains(end, "="),
	}
}

// lineEndCode returns the typesetting code that ends a header line, a run
// of "<", "=" and "@" with the spaces around it, or "" when there is none.
func lineEndCode(l string) string {
	t := strings.TrimRight(l, " \t")
	c := strings.TrimRight(t, "<=@")
	if len(c) == len(t) {
		return ""
	}
	return l[len(strings.TrimRight(c, " \t")):]
}

// continuesHeader reports a line that carries on the "^" line before it.
func continuesHeader(l string) bool {
	return ctlframe.TrimSpace(l) != "" && !strings.HasPrefix(l, "\t") && !strings.HasPrefix(strings.TrimLeft(l, " "), "^")
}

func (t *storyText) signal(s string) {
	for _, have := range t.signals {
		if have == s {
			return
		}
	}
	t.signals = append(t.signals, s)
}

// readHeader sorts the "^" lines: the slug line, the headline, the byline
// (its "=" credit line, "Associated Press" or the writer's title, names the
// agency rather than the writers and is left out), and the notes to
// editors (photo references, "Eds:", "EDITOR'S NOTE") as the ednote.
func (t *storyText) readHeader(header []headerLine, m *message) {
	var notes []string
	afterByline := false
	for i, h := range header {
		l := h.text
		switch {
		case l == "":
		case i == 0 && isSlugLine(l, m.keyword):
			t.slugline = ctlframe.TrimSpace(slugWordCount.ReplaceAllString(l, ""))
		case bylineLine.MatchString(l) && t.byline == "":
			t.byline = wire.OneLine(l)
			afterByline = true
		case afterByline && h.credit:
		case t.headline == "" && !noteLine.MatchString(l) && !afterByline:
			t.headline = wire.OneLine(l)
		default:
			afterByline = false
			notes = append(notes, l)
			if correctsNote.MatchString(l) {
				t.signal("correction")
			}
			if killNote.MatchString(l) {
				t.signal("kill")
			}
		}
	}
	t.ednote = strings.Join(notes, "\n")
}

// isSlugLine recognises the slug line: AP's "BC-US--" codes, a trailing
// take word count, or the header's keyword.
func isSlugLine(l, keyword string) bool {
	if apSlug.MatchString(l) || slugWordCount.MatchString(l) {
		return true
	}
	k := keyword
	if len(k) > 10 {
		k = k[:10]
	}
	return k != "" && strings.HasPrefix(l, k)
}

// readSignals reads the take key (the header's version field and the take
// in the slug line): leads and writethrus update a story, "Corrective"
// corrects it, "Kill" and "Elimination" withdraw it.
func (t *storyText) readSignals(m *message) {
	take := m.version
	if _, after, ok := strings.Cut(t.slugline, ","); ok {
		take += " " + after
	}
	if leadTake.MatchString(take) {
		t.signal("update")
	}
	if writethruTake.MatchString(take) {
		t.signal("update")
		t.signal("writethru")
	}
	if correctionTake.MatchString(take) {
		t.signal("correction")
	}
	if killTake.MatchString(take) {
		t.signal("kill")
	}
	if advisoryTake.MatchString(take) || advisoryTake.MatchString(m.keyword) {
		t.signal("advisory")
	}
	for _, s := range t.signals {
		switch s {
		case "kill":
			t.canceled = true
			t.revision = true
		case "update", "correction", "writethru":
			t.revision = true
		}
	}
}

// readBody turns the body lines into HTML: a tab starts a paragraph, a
// blank line ends one, other lines continue it (joined by a space, as a
// browser shows a line break). Tabular matter (agate) keeps its lines and
// columns in <pre>, the whole body when the format identifier says so.
func (t *storyText) readBody(lines []string, tabular bool) {
	for i, l := range lines {
		// "<" at the end of a line is the typesetting code for its end.
		lines[i] = strings.TrimSuffix(l, "<")
	}
	if tabular {
		t.bodyHTML = preHTML(trimBlankLines(lines))
		return
	}
	var paras [][]string
	var cur []string
	for _, l := range lines {
		switch {
		case ctlframe.TrimSpace(l) == "":
			if len(cur) > 0 {
				paras = append(paras, cur)
				cur = nil
			}
		case strings.HasPrefix(l, "\t"):
			if len(cur) > 0 {
				paras = append(paras, cur)
			}
			cur = []string{leadingTabSpace.ReplaceAllString(l, "")}
		default:
			cur = append(cur, l)
		}
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	var b strings.Builder
	for i, p := range paras {
		if i < 3 && t.dateline == nil {
			if d := datelineStart.FindStringSubmatch(ctlframe.TrimSpace(p[0])); d != nil {
				t.dateline = &story.Dateline{Place: d[1], Source: d[2]}
			}
		}
		if isTable(p) {
			b.WriteString(preHTML(p))
			continue
		}
		b.WriteString("<p>")
		for j, l := range p {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(html.EscapeString(ctlframe.TrimSpace(l)))
		}
		b.WriteString("</p>")
	}
	t.bodyHTML = b.String()
}

func preHTML(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<pre>")
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(html.EscapeString(strings.TrimPrefix(l, "\t")))
	}
	b.WriteString("</pre>")
	return b.String()
}

func trimBlankLines(lines []string) []string {
	for len(lines) > 0 && ctlframe.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && ctlframe.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// isTable reports agate: two or more lines, each with columns set apart by
// runs of spaces (a gap after sentence punctuation is prose typed with two
// spaces).
func isTable(p []string) bool {
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
