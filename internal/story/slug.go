package story

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slug turns a headline into the readable part of a story URL: lowercase
// letters and digits joined by hyphens, at most 80 bytes. Letters outside
// ASCII are kept (browsers show them; the router escapes them). The story id
// in the URL is what identifies the story; the slug is only for people, so it
// may be empty and a wrong slug still finds the story.
func Slug(headline string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range headline {
		if b.Len() >= 80 {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '\'' || r == '\u2019' {
			continue // "Gov't" reads better as "govt" than "gov-t"
		}
		hyphen = true
	}
	s := b.String()
	for len(s) > 80 || !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.Trim(s, "-")
}
