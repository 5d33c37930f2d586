package site

import (
	"strings"
	"unicode/utf8"

	"github.com/wiredesk/wiredesk/internal/story"
)

// excerptRunes bounds the home page's first lines of a story: about two
// lines on a desktop, four on a phone.
const excerptRunes = 240

// excerpt is the first lines of a story's body as plain text, for the home
// page list; htmlText extracts the text of an HTML body.
func excerpt(it *story.Item, htmlText func(string) string) string {
	text := it.BodyText
	if strings.TrimSpace(text) == "" && strings.TrimSpace(it.BodyHTML) != "" {
		text = htmlText(it.BodyHTML)
	}
	if strings.TrimSpace(text) == "" {
		text = it.Description
	}
	return shorten(strings.Join(strings.Fields(text), " "), excerptRunes)
}

// shorten cuts s to at most limit runes at a word boundary, marking the cut
// with an ellipsis.
func shorten(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	cut := string(runes[:limit])
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.-") + "…"
}
