package wire

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// earliestRealDate is the first instant ParseDate accepts. Feeds send the
// zero time (0001-01-01), the Unix epoch or a zero Unix time in their own
// zone when they have no date; no wire story dates from before 1980, so
// anything earlier means "unknown".
const earliestRealDate = 315532800 // 1980-01-01T00:00:00Z as a Unix time

// latestRealDateYears is how far ahead of the clock ParseDate accepts a date:
// embargoes and scheduled items are days ahead, not years; a date further
// out is a broken clock or a placeholder such as 9999-12-31.
const latestRealDateYears = 10

// maxDateLen bounds the input ParseDate looks at: no real date is longer, and
// a long string would only make it try its layouts for nothing.
const maxDateLen = 128

// ParseDate reads a date as real feeds write it: RFC 1123/822 with or without
// seconds and day names, numeric offsets with or without a colon, zone
// abbreviations (RFC 822's named and military zones among them), RFC 3339
// and ISO 8601 variants, US "Jan 2, 2006 3:04 PM", German "2.1.2006", Unix
// timestamps, and day and month names in German, French, Spanish,
// Portuguese, Dutch and Italian. A date written without a zone is read in loc
// (UTC when nil). Placeholder dates (0001-01-01, 1970-01-01, anything before
// 1980 or more than ten years ahead of the clock) and anything unreadable give
// ok == false: a decoder never invents a date.
func ParseDate(s string, loc *time.Location) (t time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if s == "" || len(s) > maxDateLen {
		return time.Time{}, false
	}
	// The common, well-formed cases first, on the input as sent.
	for _, layout := range [...]string{time.RFC3339Nano, time.RFC1123Z} {
		if t, err := time.Parse(layout, s); err == nil {
			return realDate(t)
		}
	}
	if t, ok := parseUnixTime(s); ok {
		return realDate(t)
	}
	norm, zoned := normalizeDate(s)
	if norm == "" {
		return time.Time{}, false
	}
	var (
		dates = [...]string{
			"2 Jan 2006", "2 Jan 06", "Jan 2 2006", "2006-1-2", "20060102",
			"2.1.2006", "2.1.06", "2006/1/2",
		}
		clocks = [...]string{
			"", " 15:04:05", " 15:04", " 3:04:05 PM", " 3:04 PM",
			"T15:04:05", "T15:04", "T150405", "T1504",
		}
	)
	for _, d := range dates {
		for _, c := range clocks {
			if t, ok := parseLayout(d+c, norm, zoned, loc); ok {
				return realDate(t)
			}
		}
	}
	// Unix date(1) and ANSI C asctime() put the year last.
	// (normalizeDate has moved any zone to the end).
	if t, ok := parseLayout("Jan 2 15:04:05 2006", norm, zoned, loc); ok {
		return realDate(t)
	}
	return time.Time{}, false
}

// parseLayout tries one layout, with the canonical numeric zone when
// normalizeDate found one and in loc otherwise.
func parseLayout(layout, value string, zoned bool, loc *time.Location) (time.Time, bool) {
	if zoned {
		// Parsing in UTC gives a fixed offset zone for anything else, so the
		// result does not depend on the machine's local zone.
		t, err := time.ParseInLocation(layout+" -0700", value, time.UTC)
		return t, err == nil
	}
	t, err := time.ParseInLocation(layout, value, loc)
	return t, err == nil
}

func realDate(t time.Time) (time.Time, bool) {
	if t.Unix() < earliestRealDate || t.After(time.Now().AddDate(latestRealDateYears, 0, 0)) {
		return time.Time{}, false
	}
	return t, true
}

// parseUnixTime reads seconds (10 digits) or milliseconds (13 digits) since
// the epoch, as some JSON feeds send.
func parseUnixTime(s string) (time.Time, bool) {
	if len(s) != 10 && len(s) != 13 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	if len(s) == 13 {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}

// dateToken is one run of a date string: letters, digits, or a single
// punctuation character. space says whether a separator preceded it.
type dateToken struct {
	text  string
	kind  byte // 'a' letters, '0' digits, 'p' punctuation
	space bool
}

func tokenizeDate(s string) []dateToken {
	var toks []dateToken
	space := false
	runes := []rune(s)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case unicode.IsSpace(r) || r == ',':
			space = true
			i++
			continue
		case unicode.IsLetter(r):
			j := i
			for j < len(runes) && unicode.IsLetter(runes[j]) {
				j++
			}
			toks = append(toks, dateToken{text: string(runes[i:j]), kind: 'a', space: space})
			i = j
		case r >= '0' && r <= '9':
			j := i
			for j < len(runes) && runes[j] >= '0' && runes[j] <= '9' {
				j++
			}
			toks = append(toks, dateToken{text: string(runes[i:j]), kind: '0', space: space})
			i = j
		default:
			toks = append(toks, dateToken{text: string(r), kind: 'p', space: space})
			i++
		}
		space = false
	}
	return toks
}

// normalizeDate rewrites a date into the canonical form ParseDate's layouts
// expect: English month abbreviations, no day names or filler words, commas
// as spaces, and any zone as a trailing " +hhmm". zoned reports whether a
// zone was found.
func normalizeDate(s string) (norm string, zoned bool) {
	toks := tokenizeDate(s)

	// A token that is both a month and a day name ("mar": March, or French
	// mardi / Spanish martes) is the month only when no other month is named.
	months := 0
	for _, t := range toks {
		if t.kind == 'a' {
			if _, ok := monthAbbrev(strings.ToLower(t.text)); ok && !isDayName(strings.ToLower(t.text)) {
				months++
			}
		}
	}

	var b strings.Builder
	zone := ""
	write := func(t dateToken, text string) {
		if t.space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(text)
	}
	inClock := false // inside a time of day: a sign now starts a zone
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.space {
			inClock = false
		}
		switch t.kind {
		case 'a':
			w := strings.ToLower(t.text)
			if m, ok := monthAbbrev(w); ok && (!isDayName(w) || months == 0) {
				write(t, m)
				months = -1 // later ambiguous tokens are day names
				i = skipDot(toks, i)
				continue
			}
			if isDayName(w) {
				i = skipDot(toks, i)
				// Portuguese "segunda-feira".
				if i+2 < len(toks) && toks[i+1].text == "-" && !toks[i+1].space && strings.EqualFold(toks[i+2].text, "feira") {
					i += 2
				}
				continue
			}
			if off, ok := zoneAbbrevOffset(w); ok {
				// "GMT+1" and "UTC-05:00": the numeric offset that follows wins.
				if i+1 < len(toks) && !toks[i+1].space && (toks[i+1].text == "+" || toks[i+1].text == "-") {
					inClock = true // so the sign reads as a zone
					continue
				}
				zone = off
				continue
			}
			// RFC 822's one-letter military zones, only where a zone goes:
			// last, after a space.
			if off, ok := militaryZoneOffset(w); ok && t.space && i == len(toks)-1 {
				zone = off
				continue
			}
			switch w {
			case "t":
				write(t, "T")
				inClock = true
			case "h":
				// French "10h30".
				if i > 0 && toks[i-1].kind == '0' && i+1 < len(toks) && toks[i+1].kind == '0' && !toks[i+1].space {
					b.WriteByte(':')
					inClock = true
				}
			case "am", "pm":
				// Only after a time; German "am 12. März" means "on".
				if i > 0 && toks[i-1].kind == '0' && inClockBefore(toks, i) {
					b.WriteByte(' ')
					b.WriteString(strings.ToUpper(w))
				}
			default:
				if !isDateFiller(w) {
					write(t, t.text) // unknown word: let the layouts fail
				}
			}
		case '0':
			write(t, t.text)
		case 'p':
			switch t.text {
			case ":":
				inClock = true
				write(t, t.text)
			case "+", "-":
				if inClock || t.space && i > 0 {
					if off, next, ok := numericOffset(toks, i); ok {
						zone = off
						i = next - 1
						continue
					}
				}
				write(t, t.text)
			case ".":
				// "12. März": the ordinal dot of German dates.
				if i > 0 && toks[i-1].kind == '0' && (i+1 == len(toks) || toks[i+1].space) {
					continue
				}
				write(t, t.text)
			default:
				write(t, t.text)
			}
		}
	}
	norm = strings.TrimSpace(b.String())
	if zone != "" {
		norm += " " + zone
		zoned = true
	}
	return norm, zoned
}

// inClockBefore reports whether the tokens before i, back to the last
// separator-preceded token, hold a time of day (a colon).
func inClockBefore(toks []dateToken, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if toks[j].text == ":" {
			return true
		}
		if toks[j].space {
			return false
		}
	}
	return false
}

// skipDot returns the index of the token to continue from after an
// abbreviation at i, swallowing the abbreviation's dot ("Okt.", "janv.").
func skipDot(toks []dateToken, i int) int {
	if i+1 < len(toks) && toks[i+1].text == "." && !toks[i+1].space {
		return i + 1
	}
	return i
}

// numericOffset reads a numeric zone offset starting with the sign at i:
// "+1", "+01", "+0100", "+01:00". It returns the offset as "+hhmm" and the
// index after it.
func numericOffset(toks []dateToken, i int) (off string, next int, ok bool) {
	sign := toks[i].text
	if i+1 >= len(toks) || toks[i+1].kind != '0' || toks[i+1].space {
		return "", 0, false
	}
	digits := toks[i+1].text
	next = i + 2
	var hh, mm string
	switch len(digits) {
	case 1:
		hh = "0" + digits
	case 2:
		hh = digits
	case 3:
		hh, mm = "0"+digits[:1], digits[1:]
	case 4:
		hh, mm = digits[:2], digits[2:]
	default:
		return "", 0, false
	}
	if mm == "" {
		mm = "00"
		if next+1 < len(toks) && toks[next].text == ":" && toks[next+1].kind == '0' && len(toks[next+1].text) == 2 {
			mm = toks[next+1].text
			next += 2
		}
	}
	if h, _ := strconv.Atoi(hh); h > 14 {
		return "", 0, false
	}
	if m, _ := strconv.Atoi(mm); m > 59 {
		return "", 0, false
	}
	return sign + hh + mm, next, true
}

// monthAbbrev maps a lowercase month name or abbreviation in English,
// German, French, Spanish, Portuguese, Dutch or Italian to Go's "Jan" form.
func monthAbbrev(w string) (string, bool) {
	switch w {
	case "jan", "january", "januar", "jänner", "jän", "janvier", "janv", "enero", "ene", "janeiro", "januari", "gennaio", "gen":
		return "Jan", true
	case "feb", "february", "februar", "feber", "février", "fevrier", "févr", "fevr", "fév", "fev", "febrero", "fevereiro",
		"februari", "febbraio":
		return "Feb", true
	case "mar", "march", "märz", "mär", "maerz", "marz", "mrz", "mars", "marzo", "março", "marco", "maart", "mrt":
		return "Mar", true
	case "apr", "april", "avril", "avr", "abril", "abr", "aprile":
		return "Apr", true
	case "may", "mai", "mayo", "maio", "mei", "maggio", "mag":
		return "May", true
	case "jun", "june", "juni", "juin", "junio", "junho", "giugno", "giu":
		return "Jun", true
	case "jul", "july", "juli", "juillet", "juil", "julio", "julho", "luglio", "lug":
		return "Jul", true
	case "aug", "august", "août", "aout", "agosto", "ago", "augustus":
		return "Aug", true
	case "sep", "sept", "september", "septembre", "septiembre", "setiembre", "setembro", "set", "settembre":
		return "Sep", true
	case "oct", "october", "oktober", "okt", "octobre", "octubre", "outubro", "out", "ottobre", "ott":
		return "Oct", true
	case "nov", "november", "novembre", "noviembre", "novembro":
		return "Nov", true
	case "dec", "december", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dezembro", "dicembre":
		return "Dec", true
	}
	return "", false
}

// isDayName reports whether w is a lowercase weekday name or abbreviation in
// one of the languages monthAbbrev knows. Weekdays are redundant with the
// date, so they are dropped rather than checked.
func isDayName(w string) bool {
	switch w {
	case "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs", "thursday",
		"fri", "friday", "sat", "saturday", "sun", "sunday",
		// German
		"mo", "di", "mi", "do", "fr", "sa", "so", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
		"samstag", "sonnabend", "sonntag",
		// French
		"lun", "mar", "mer", "jeu", "ven", "sam", "dim", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
		"samedi", "dimanche",
		// Spanish
		"mié", "mie", "jue", "vie", "sáb", "sab", "dom", "lunes", "martes", "miércoles", "miercoles",
		"jueves", "viernes", "sábado", "sabado", "domingo",
		// Portuguese (also "segunda-feira": see normalizeDate)
		"seg", "ter", "qua", "qui", "sex", "segunda", "terça", "terca", "quarta", "quinta", "sexta",
		// Dutch
		"ma", "wo", "vr", "za", "zo", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
		// Italian
		"gio", "lunedì", "lunedi", "martedì", "martedi", "mercoledì", "mercoledi", "giovedì", "giovedi",
		"venerdì", "venerdi", "sabato", "domenica":
		return true
	}
	return false
}

// isDateFiller reports whether w is a word that joins the parts of a
// written-out date without adding to it: Spanish "12 de marzo de 2024",
// German "um 10:30 Uhr", French "le 12 mars à 10h30", Dutch "om", Italian
// "alle ore".
func isDateFiller(w string) bool {
	switch w {
	case "de", "del", "le", "à", "a", "um", "uhr", "am", "om", "uur", "alle", "ore", "el", "den", "at", "on", "the":
		return true
	}
	return false
}

// zoneAbbrevOffset maps the zone abbreviations news feeds use to their
// offsets. Go's own parsing would give unknown abbreviations a zero offset,
// silently moving the time; ambiguous ones (IST, BST outside the UK) are left
// out so that such dates fail instead.
func zoneAbbrevOffset(w string) (string, bool) {
	switch w {
	case "z", "gmt", "ut", "utc", "wet":
		return "+0000", true
	case "bst", "cet", "mez", "west":
		return "+0100", true
	case "cest", "mesz", "eet":
		return "+0200", true
	case "eest", "msk":
		return "+0300", true
	case "edt":
		return "-0400", true
	case "est", "cdt":
		return "-0500", true
	case "cst", "mdt":
		return "-0600", true
	case "mst", "pdt":
		return "-0700", true
	case "pst":
		return "-0800", true
	case "hkt", "sgt", "awst":
		return "+0800", true
	case "jst", "kst":
		return "+0900", true
	case "aest":
		return "+1000", true
	case "aedt":
		return "+1100", true
	case "nzst":
		return "+1200", true
	case "nzdt":
		return "+1300", true
	case "akst":
		return "-0900", true
	case "akdt":
		return "-0800", true
	case "hst":
		return "-1000", true
	case "nst":
		return "-0330", true
	case "ndt":
		return "-0230", true
	case "wat":
		return "+0100", true
	case "sast":
		return "+0200", true
	case "eat":
		return "+0300", true
	case "pkt":
		return "+0500", true
	case "wib", "ict":
		return "+0700", true
	case "acst":
		return "+0930", true
	case "acdt":
		return "+1030", true
	}
	return "", false
}

// militaryZoneOffset reads RFC 822's one-letter military zones (Z is read
// with the other abbreviations). RFC 822 gave their signs backwards, so
// RFC 1123 says they carry no information and RFC 5322 section 4.3 says to
// read them as -0000: the time is in UTC, the sender's zone unknown. J is not
// a zone.
func militaryZoneOffset(w string) (string, bool) {
	if len(w) == 1 && w[0] >= 'a' && w[0] <= 'y' && w[0] != 'j' {
		return "+0000", true
	}
	return "", false
}
