package dedup

import (
	"html"
	"regexp"
	"strings"
	"unicode"
)

// Lead-matter patterns, matched against the start of the whitespace
// collapsed text, so that "<p>LONDON (Reuters) -</p><p>..." and a plain
// "LONDON (Reuters) - ..." lose the same prefix.
var (
	// A version note in parentheses opening the body: Reuters' "(Adds
	// comments, detail)", "(Corrects paragraph 3)". It describes the version,
	// not the story, so two versions of one story differ by it.
	versionNote = regexp.MustCompile(`^\([^()]{1,120}\)\s*`)

	// An agency dateline: up to 80 characters of place and date without
	// parentheses, the agency credit in parentheses, then a dash. The dash
	// may be a hyphen (Reuters, dpa), a double hyphen (ninjs AP copy), an
	// underscore (AP's ANPA and automated copy, which had no dash character)
	// or an en or em dash. Examples: "PORT ALDER, Nov 29 (HWS) - ",
	// "LONDON (Reuters) -", "FORT WASHINGTON, Pa. (AP) _",
	// "Jan 30 (Gracenote) - ", "London (dpa) - ".
	agencyDateline = regexp.MustCompile(`^[^()]{0,80}?\(\s*\p{L}[^()]{0,39}\)\s*(?:-{1,3}|_{1,2}|[\x{2012}-\x{2015}])(?:\s+|$)`)

	// A newspaper dateline without a credit: a place in capitals with at
	// least one run of three capitals (so "U.S. - China talks" keeps its
	// words), an optional ", state" and ", date", then a dash between
	// spaces: "WASHINGTON — ", "ST. LOUIS, Mo. -- ".
	capitalDateline = regexp.MustCompile(`^(?:[\p{Lu}\p{M}.'’-]+ )*[\p{Lu}\p{M}.'’-]*\p{Lu}{3}[\p{Lu}\p{M}.'’-]*(?: [\p{Lu}\p{M}.'’-]+)*(?:,[^,()_\-\x{2012}-\x{2015}]{1,40}){0,2}\s+(?:-{1,3}|_{1,2}|[\x{2012}-\x{2015}])\s+`)
)

// Normalize returns the words of a story body as they are compared: the
// same story sent by two feeds, or by two agencies, yields the same words
// whatever its markup, whitespace or dateline. It is for comparison only;
// the published text is never touched. The steps, in order:
//
//  1. Markup goes: comments, scripts and styles with their content, other
//     tags without it. Every tag counts as a word boundary, so
//     "end.</p><p>Start" still gives two words (and the rare "Hel<b>lo</b>"
//     gives two as well, in every copy alike).
//  2. Character references are decoded ("&amp;", "&#8217;"), so an escaped
//     and a literal copy read alike.
//  3. Whitespace of every kind (newlines, tabs, no-break spaces) collapses
//     to one space, so reflowed and re-wrapped copy reads alike.
//  4. Lead matter that belongs to the delivery rather than the story goes:
//     a version note such as "(Adds comments, detail)", then the dateline
//     with its agency credit ("LONDON (Reuters) - ", "FORT WASHINGTON, Pa.
//     (AP) _ ") or a capitalised newspaper dateline ("WASHINGTON — "). Two
//     agencies carrying one story each put their own dateline on it; the
//     words after it are what they share. Whatever short run of text
//     precedes the credit goes with it (at most 80 characters: a byline or
//     a headline run into the dateline); when that is the story's own
//     opening words, every copy loses the same words, which costs the
//     comparison nothing.
//  5. The rest splits into words, lower-cased rune by rune (Unicode-aware,
//     so "Tränen" and "TRÄNEN" match). Letters, digits and combining marks
//     make words; punctuation, quotes («», „“, "") and symbols separate
//     them, so "fourth-quarter" and "fourth quarter" match. Apostrophes
//     inside a word are dropped ("Gov't" reads "govt") because feeds
//     disagree on straight and curly ones. Numbers are kept whole, with a
//     point or comma between digits ("10.9", "1,000"): figures are what
//     tell one templated earnings or results story from another.
//     Invisible format characters (soft hyphens, zero-width spaces, byte
//     order marks) are dropped, since one feed inserts them and another
//     does not.
//
// Text is compared as given: a body in decomposed Unicode (NFD) does not
// match the same body in composed form (NFC); decoders are expected to
// hand over NFC, as nearly every feed already is.
func Normalize(text string) []string {
	text = stripMarkup(text)
	text = html.UnescapeString(text)
	text = strings.Join(strings.Fields(text), " ")
	text = stripLeadMatter(text)
	return words(text)
}

// stripMarkup replaces every tag with a space and drops comments, processing instructions, CDATA markers,
// and scripts and styles with their content. A "<" that does not open a
// tag is text. It is a scanner rather than regexps because it runs on
// every version of every story and a regexp pass over a long body costs
// ten times as much.
func stripMarkup(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "<!--"):
			end := strings.Index(s, "-->")
			if end < 0 {
				return b.String() // an unclosed comment runs to the end, as in HTML
			}
			s = s[end+3:]
			b.WriteByte(' ')
		case strings.HasPrefix(s, "<![CDATA["):
			s = s[len("<![CDATA["):] // the content is text; "]]>" is punctuation
		default:
			name, closing, end := parseTag(s)
			if end == 0 {
				b.WriteByte('<')
				s = s[1:]
				continue
			}
			s = s[end:]
			if !closing && (name == "script" || name == "style") {
				s = skipElement(s, name)
			}
			b.WriteByte(' ')
		}
	}
}

// parseTag reads the tag at the start of s ("<p>", "</P>", "<br/>",
// `<a href="...">`, "<!DOCTYPE ...>", "<?xml ...?>"): its lower-cased
// name, whether it closes an element, and its length; end is 0 when s
// does not start with a tag.
func parseTag(s string) (name string, closing bool, end int) {
	j := 1
	switch {
	case len(s) > 1 && (s[1] == '!' || s[1] == '?'):
		j = 2
	case len(s) > 1 && s[1] == '/':
		closing = true
		j = 2
	}
	start := j
	for j < len(s) && isNameByte(s[j], j == start) {
		j++
	}
	if j == start {
		return "", false, 0
	}
	name = strings.ToLower(s[start:j])
	rest := strings.IndexAny(s[j:], "<>")
	if rest < 0 || s[j+rest] == '<' {
		return "", false, 0
	}
	if rest > 0 && s[1] != '!' && s[1] != '?' {
		if c := s[j]; c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '/' {
			return "", false, 0 // "<a+b>" is not a tag
		}
	}
	return name, closing, j + rest + 1
}

func isNameByte(c byte, first bool) bool {
	letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	if first {
		return letter
	}
	return letter || c >= '0' && c <= '9' || c == ':' || c == '.' || c == '_' || c == '-'
}

// skipElement returns s after the closing tag of element name (script or
// style), or "" when it is never closed.
func skipElement(s, name string) string {
	for {
		i := strings.Index(s, "</")
		if i < 0 {
			return ""
		}
		s = s[i:]
		if n, closing, end := parseTag(s); closing && n == name {
			return s[end:]
		}
		s = s[2:]
	}
}

// stripLeadMatter removes version notes and a dateline from the start of
// whitespace-collapsed text. A few rounds cover a note before the dateline
// and a byline run into it; the cap keeps a pathological text from being
// eaten note by note.
func stripLeadMatter(text string) string {
	for range 3 {
		before := text
		text = versionNote.ReplaceAllString(text, "")
		if loc := agencyDateline.FindStringIndex(text); loc != nil {
			text = text[loc[1]:]
		} else if loc := capitalDateline.FindStringIndex(text); loc != nil {
			text = text[loc[1]:]
		}
		if text == before {
			break
		}
	}
	return text
}

// words splits text into lower-cased words (step 5 of Normalize).
func words(text string) []string {
	var (
		out  []string
		word strings.Builder
	)
	runes := []rune(text)
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for i, r := range runes {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			word.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Cf, r):
			// invisible: neither part of a word nor a boundary
		case isApostrophe(r) && between(runes, i, unicode.IsLetter):
			// "Gov't", "company’s": joined, whichever apostrophe was used
		case (r == '.' || r == ',') && between(runes, i, unicode.IsDigit):
			word.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u02bc'
}

// between reports whether the runes either side of position i satisfy is.
func between(runes []rune, i int, is func(rune) bool) bool {
	return i > 0 && i+1 < len(runes) && is(runes[i-1]) && is(runes[i+1])
}
