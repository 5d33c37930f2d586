package dedup

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fixtureDir is the shared wire fixtures, beside the repository (see
// /work/shared/fixtures/wire/MANIFEST.md); relative so CI's layout works.
const fixtureDir = "../../../shared/fixtures/wire"

// fixtureStory is the body of one story found in a shared fixture file,
// extracted crudely: this package must stay free of the decoders, and the
// evaluation only needs paragraphs of real agency prose.
type fixtureStory struct {
	// Name is the file path under fixtureDir, with "#n" for the n-th story
	// in a file of many.
	Name string
	// File is the path under fixtureDir.
	File  string
	Paras []string
}

// Extraction patterns: crude on purpose, good enough to lift paragraphs
// out of RSS, Atom, NewsML-G2, NITF and NewsML 1 files.
var (
	xmlItem       = regexp.MustCompile(`(?is)<(item|entry|newsItem|NewsItem)\b.*?</(?:item|entry|newsItem|NewsItem)>`)
	xmlParagraph  = regexp.MustCompile(`(?is)<p\b[^>]*>(.*?)</p>`)
	xmlCDATA      = regexp.MustCompile(`<!\[CDATA\[|\]\]>`)
	xmlAnyTag     = regexp.MustCompile(`<[^>]*>`)
	xmlDescLike   = regexp.MustCompile(`(?is)<(description|summary|content|content:encoded)\b[^>]*>(.*?)</(?:description|summary|content|content:encoded)>`)
	latin1Decl    = regexp.MustCompile(`(?i)encoding=["']iso-8859-1["']`)
	indentedLine  = regexp.MustCompile(`\n[ \t]{3,}\S[^\n]*\n[ \t]{3,}\S`)
	escapedMarkup = regexp.MustCompile(`(?i)&lt;(p|br|div)\b`)
)

// readFixtureStories reads every fixture file and returns the stories with
// enough prose to be varied: at least minWords words. It skips the test
// when the fixtures are absent locally and fails in CI.
func readFixtureStories(t *testing.T, minWords int) []fixtureStory {
	t.Helper()
	var files []string
	err := filepath.WalkDir(fixtureDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("read shared fixtures: %v", err)
		}
		t.Skipf("shared fixtures not found: %v", err)
	}
	slices.Sort(files)
	var out []fixtureStory
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read fixture: %v", err)
		}
		rel, _ := filepath.Rel(fixtureDir, path)
		rel = filepath.ToSlash(rel)
		var bodies [][]string
		switch filepath.Ext(path) {
		case ".json":
			bodies = jsonBodies(raw)
		case ".tst", ".txt", ".iptc":
			if paras := plainParagraphs(decodeCharset(raw)); len(paras) > 0 {
				bodies = [][]string{paras}
			}
		default:
			bodies = markupBodies(raw)
		}
		n := 0
		for _, paras := range bodies {
			if countWords(paras) < minWords {
				continue
			}
			name := rel
			if len(bodies) > 1 {
				name = rel + "#" + string(rune('a'+n%26)) + strings.Repeat("'", n/26)
			}
			n++
			out = append(out, fixtureStory{Name: name, File: rel, Paras: paras})
		}
	}
	return out
}

func countWords(paras []string) int {
	n := 0
	for _, p := range paras {
		n += len(strings.Fields(p))
	}
	return n
}

// markupBodies lifts paragraphs out of XML-ish and plain text files: one
// body per item/entry/newsItem, else one for the whole file.
func markupBodies(raw []byte) [][]string {
	text := decodeCharset(raw)
	chunks := xmlItem.FindAllString(text, -1)
	if len(chunks) == 0 {
		chunks = []string{text}
	}
	var bodies [][]string
	for _, c := range chunks {
		if paras := paragraphsOf(c); len(paras) > 0 {
			bodies = append(bodies, paras)
		}
	}
	return bodies
}

// paragraphsOf finds the paragraphs of one chunk: <p> elements (escaped
// or not), else description-like elements, else blank-line separated text.
func paragraphsOf(chunk string) []string {
	chunk = xmlCDATA.ReplaceAllString(chunk, "")
	if !strings.Contains(strings.ToLower(chunk), "<p") && escapedMarkup.MatchString(chunk) {
		chunk = html.UnescapeString(chunk)
	}
	var paras []string
	for _, m := range xmlParagraph.FindAllStringSubmatch(chunk, -1) {
		if indentedLine.MatchString(m[1]) {
			paras = append(paras, plainParagraphs(m[1])...)
			continue
		}
		paras = appendProse(paras, m[1])
	}
	if len(paras) > 0 {
		return paras
	}
	for _, m := range xmlDescLike.FindAllStringSubmatch(chunk, -1) {
		inner := html.UnescapeString(m[2])
		for _, p := range xmlParagraph.FindAllStringSubmatch(inner, -1) {
			paras = appendProse(paras, p[1])
		}
		if len(paras) == 0 {
			paras = appendProse(paras, inner)
		}
	}
	return paras
}

// plainParagraphs splits plain wire text (ANPA, IPTC 7901, Reuters'
// preformatted paragraphs): a paragraph ends at a blank line or where an
// indented line begins; header and trailer lines (starting with "^", "#",
// "-" or a control character) are dropped.
func plainParagraphs(text string) []string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = appendProse(paras, strings.Join(cur, " "))
			cur = cur[:0]
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
			continue
		case strings.ContainsAny(t[:1], "^#-*\x01\x02\x03\x16\x7f"):
			flush()
			continue
		case line[0] == ' ' || line[0] == '\t':
			flush()
		}
		cur = append(cur, t)
	}
	flush()
	return paras
}

// appendProse cleans one paragraph (tags, entities, control characters,
// whitespace) and appends it when it reads as prose: a few words, mostly
// letters.
func appendProse(paras []string, p string) []string {
	p = xmlAnyTag.ReplaceAllString(p, " ")
	p = html.UnescapeString(p)
	p = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, p)
	p = strings.Join(strings.Fields(p), " ")
	if len(strings.Fields(p)) < 6 {
		return paras
	}
	letters := 0
	for _, r := range p {
		if unicode.IsLetter(r) || r == ' ' {
			letters++
		}
	}
	if letters*10 < utf8.RuneCountInString(p)*7 {
		return paras // a table row, a URL list
	}
	return append(paras, p)
}

// decodeCharset turns ISO-8859-1 files into UTF-8; everything else in the
// fixtures is UTF-8 already.
func decodeCharset(raw []byte) string {
	head := raw[:min(len(raw), 200)]
	if !latin1Decl.Match(head) {
		return strings.TrimPrefix(string(raw), "\uFEFF")
	}
	var b strings.Builder
	for _, c := range raw {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// bodyKeys are the JSON keys that hold a story body, best first: ninjs 1.x
// and 2.x, dpa digitalwires, JSON Feed.
var bodyKeys = []string{"body_html", "body_xhtml", "article_html", "content_html", "body_text", "content_text"}

// jsonBodies finds story bodies in a JSON document: one per object that
// has a body key (not looking deeper into it), and the first rendition of
// a ninjs 2.x "bodies" array.
func jsonBodies(raw []byte) [][]string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	var bodies [][]string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range bodyKeys {
				if s, ok := v[k].(string); ok && s != "" {
					bodies = append(bodies, bodyParagraphs(s))
					return
				}
			}
			if list, ok := v["bodies"].([]any); ok && len(list) > 0 {
				if first, ok := list[0].(map[string]any); ok {
					if s, ok := first["value"].(string); ok {
						bodies = append(bodies, bodyParagraphs(s))
						return
					}
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return bodies
}

// bodyParagraphs splits a JSON body string, HTML or plain, into paragraphs.
func bodyParagraphs(s string) []string {
	if strings.Contains(s, "<") {
		return paragraphsOf(s)
	}
	var paras []string
	for _, p := range strings.Split(s, "\n") {
		paras = appendProse(paras, p)
	}
	return paras
}
