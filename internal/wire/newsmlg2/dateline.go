package newsmlg2

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// datelineSource finds the credit that closes a dateline, "(AFP) -", and
// the dash or colon after it.
var datelineSource = regexp.MustCompile(`^(.*?)\s*\(([^()]+)\)[\s\-–—_:]*$`)

// SplitDateline reads a dateline as agencies write it, "PLACE, DATE
// (SOURCE) -", into its parts, each as written: "STOCKHOLM, Aug 29, 2014
// (AFP) -" is place STOCKHOLM, date "Aug 29, 2014", source AFP; "London
// (dpa) - " is place London and source dpa; "FORT WASHINGTON, Pa." is all
// place. Only the separators between the parts are dropped. It returns nil
// for an empty dateline.
func SplitDateline(s string) *story.Dateline {
	s = wire.OneLine(s)
	if s == "" {
		return nil
	}
	var dl story.Dateline
	head := s
	if m := datelineSource.FindStringSubmatch(s); m != nil {
		head, dl.Source = m[1], strings.TrimSpace(m[2])
	}
	head = strings.TrimRight(strings.TrimSpace(head), ",")
	parts := strings.Split(head, ",")
	dateFrom := -1
	for i, p := range parts {
		if startsLikeDate(p) {
			dateFrom = i
			break
		}
	}
	switch dateFrom {
	case -1:
		dl.Place = head
	case 0:
		dl.Date = head
	default:
		dl.Place = strings.TrimSpace(strings.Join(parts[:dateFrom], ","))
		dl.Date = strings.TrimSpace(strings.Join(parts[dateFrom:], ","))
	}
	if dl == (story.Dateline{}) {
		return nil
	}
	return &dl
}

// startsLikeDate reports whether a dateline part starts with a day number
// or a month name (English or German, full or abbreviated).
func startsLikeDate(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' {
		return true
	}
	word := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(word) == 0 {
		return false
	}
	switch strings.ToLower(word[0]) {
	case "jan", "january", "januar", "feb", "february", "februar", "mar", "march", "märz",
		"apr", "april", "may", "mai", "jun", "june", "juni", "jul", "july", "juli",
		"aug", "august", "sep", "sept", "september", "oct", "october", "okt", "oktober",
		"nov", "november", "dec", "december", "dez", "dezember":
		return true
	}
	return false
}
