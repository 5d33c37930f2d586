package corpus

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// writer writes one story's copy in one language with the story's own
// random source, so the same seed always gives the same words.
type writer struct {
	r   *rand.Rand
	lex *lexicon
}

// word picks one word: a function word about a third of the time, as in
// running text, else a content word.
func (w *writer) word() string {
	if w.r.IntN(3) == 0 {
		return w.lex.function[w.r.IntN(len(w.lex.function))]
	}
	return w.lex.content[w.r.IntN(len(w.lex.content))]
}

// sentence writes n words as a sentence: a capital first, maybe a comma
// in the middle, a full stop at the end.
func (w *writer) sentence(n int) string {
	var b strings.Builder
	comma := -1
	if n > 10 && w.r.IntN(2) == 0 {
		comma = 4 + w.r.IntN(n-8)
	}
	for i := range n {
		word := w.word()
		if i == 0 {
			word = capitalize(word)
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(word)
		if i == comma {
			b.WriteByte(',')
		}
	}
	b.WriteByte('.')
	return b.String()
}

// headline is 6 to 12 words in sentence case, without a full stop.
func (w *writer) headline() string {
	return strings.TrimSuffix(w.sentence(6+w.r.IntN(7)), ".")
}

// paragraphs writes about words words of copy in paragraphs of one to three
// sentences, the way wire copy is cut; every fifth paragraph or so is a
// quote.
func (w *writer) paragraphs(words int) []string {
	var out []string
	for words > 0 {
		var sentences []string
		for range 1 + w.r.IntN(3) {
			n := 8 + w.r.IntN(22)
			if n > words {
				n = max(words, 4)
			}
			sentences = append(sentences, w.sentence(n))
			words -= n
			if words <= 0 {
				break
			}
		}
		p := strings.Join(sentences, " ")
		if len(out) > 0 && w.r.IntN(5) == 0 {
			p = "\u201c" + strings.TrimSuffix(p, ".") + ",\u201d " + w.speaker() + " " + w.lex.said[w.r.IntN(len(w.lex.said))] + "."
		}
		out = append(out, p)
	}
	return out
}

// speaker is a made-up person's name.
func (w *writer) speaker() string {
	return firstNames[w.r.IntN(len(firstNames))] + " " + lastNames[w.r.IntN(len(lastNames))]
}

// bodyWords draws a body length with the spread of agency copy: most
// stories between 150 and 1,200 words, short ones common, and about one in
// thirty a long feature or document of 1,500 to 3,800.
func (w *writer) bodyWords() int {
	if w.r.IntN(30) == 0 {
		return 1500 + w.r.IntN(2301)
	}
	f := w.r.Float64()
	return 150 + int(1050*f*f)
}

// reword changes a few words of a text, as another agency rewriting the
// same copy or a correction does: n words, each replaced by another of
// the lexicon, capitals and punctuation kept.
func (w *writer) reword(paragraphs []string, n int) []string {
	out := append([]string(nil), paragraphs...)
	for range n {
		i := w.r.IntN(len(out))
		fields := strings.Fields(out[i])
		j := w.r.IntN(len(fields))
		core, tail := splitPunct(fields[j])
		if core == "" {
			continue
		}
		repl := w.lex.content[w.r.IntN(len(w.lex.content))]
		if startsUpper(core) {
			repl = capitalize(repl)
		}
		fields[j] = repl + tail
		out[i] = strings.Join(fields, " ")
	}
	return out
}

// splitPunct splits a word from the punctuation after it.
func splitPunct(s string) (core, tail string) {
	end := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
	if end < 0 {
		return "", s
	}
	// A word opening a quote is left alone: its quotation mark is in front.
	if r, _ := utf8.DecodeRuneInString(s); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return "", s
	}
	_, size := utf8.DecodeRuneInString(s[end:])
	return s[:end+size], s[end+size:]
}

func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func countWords(paragraphs []string) int {
	n := 0
	for _, p := range paragraphs {
		n += len(strings.Fields(p))
	}
	return n
}
