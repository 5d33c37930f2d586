package sanitize

import (
	"fmt"
	"strings"
)

// VerbatimCheck proves that sanitizing removed markup and never words
// (DESIGN §4 rule 10): it compares the visible words of the source HTML with
// those of the sanitized HTML and returns an error naming the first word
// that differs. Text that is never shown (script, style and the other
// content the policy drops with its element) does not count. Words are split
// on markup whitespace only, so a no-break space turned into a space, or two
// words run together, is a difference.
func VerbatimCheck(sourceHTML, sanitizedHTML string) error {
	src := words(plainText(sourceHTML))
	got := words(plainText(sanitizedHTML))
	for i := 0; i < len(src) || i < len(got); i++ {
		switch {
		case i >= len(got):
			return fmt.Errorf("verbatim: word %d %q was removed (%s)", i+1, src[i], context(src, i))
		case i >= len(src):
			return fmt.Errorf("verbatim: word %d %q was added after the end of the source text", i+1, got[i])
		case src[i] != got[i]:
			return fmt.Errorf("verbatim: word %d %q became %q (%s)", i+1, src[i], got[i], context(src, i))
		}
	}
	return nil
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(asciiSpace, r) })
}

// context quotes the words before word i so an operator can find the place.
func context(ws []string, i int) string {
	from := max(i-5, 0)
	return fmt.Sprintf("after %q", strings.Join(ws[from:i], " "))
}
