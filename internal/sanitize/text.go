package sanitize

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// asciiSpace is the whitespace HTML collapses. U+00A0 (no-break space) is
// not in it: it is part of the text.
const asciiSpace = " \t\n\r\f"

// separator is the break between two pieces of text, strongest wins.
type separator int

const (
	sepNone separator = iota
	sepCell           // between table cells: a tab
	sepLine           // between table rows, or a <br>: a newline
	sepPara           // between blocks, or two <br>: a blank line
)

func (s separator) String() string {
	switch s {
	case sepCell:
		return "\t"
	case sepLine:
		return "\n"
	case sepPara:
		return "\n\n"
	}
	return ""
}

// Text returns the plain text of an HTML fragment as a browser would show
// it: blocks separated by a blank line, <br> as a newline, table cells by
// tabs and rows by newlines, entities decoded. The text itself is never
// altered: whitespace inside a run of text is kept as written, and a
// no-break space stays U+00A0; only markup whitespace at block edges is
// dropped. Text that is never shown (script, style, template, noscript,
// frames, objects) is left out.
func (p *Policy) Text(s string) string {
	return plainText(s)
}

func plainText(s string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	// The HTML parser builds the tree a browser would (a stray <td> is
	// ignored, an unclosed <p> closes before a <div>), so the text is what
	// readers see, and the same tree HTML restructures.
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		// Only pathological input (over 512 nested elements) gets here.
		return tokenText(s)
	}
	var w textWriter
	for _, n := range nodes {
		w.node(n)
	}
	return w.String()
}

// textWriter collects text with the separators between blocks.
type textWriter struct {
	out     []byte
	pending separator
	pre     int // depth inside <pre>, where whitespace is text
}

func (w *textWriter) brk(s separator) {
	if s > w.pending {
		w.pending = s
	}
}

// br breaks the line; a second <br> makes a paragraph break.
func (w *textWriter) br() {
	if len(w.out) == 0 {
		return
	}
	if w.pending < sepLine {
		w.pending = sepLine
	} else {
		w.pending = sepPara
	}
}

func (w *textWriter) text(text string) {
	if w.pending != sepNone || len(w.out) == 0 {
		if w.pre == 0 {
			text = strings.TrimLeft(text, asciiSpace)
		}
		if text == "" {
			return
		}
		if len(w.out) > 0 {
			w.out = bytes.TrimRight(w.out, asciiSpace)
			w.out = append(w.out, w.pending.String()...)
		}
		w.pending = sepNone
	}
	w.out = append(w.out, text...)
}

// String returns the text. Leading markup whitespace never got in; a
// <pre> may start with spaces.
func (w *textWriter) String() string {
	return string(bytes.TrimRight(w.out, asciiSpace))
}

func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	default:
		return
	}
	name := n.Data
	if hiddenContent(name) {
		return
	}
	var after separator
	switch {
	case name == "br":
		w.br()
	case name == "td" || name == "th":
		w.brk(sepCell)
	case name == "tr":
		w.brk(sepLine)
		after = sepLine
	case blockElement(name) || styledBlock(n.Attr):
		w.brk(sepPara)
		after = sepPara
	}
	if name == "pre" {
		w.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
	if name == "pre" {
		w.pre--
	}
	w.brk(after)
}

// tokenText is plainText for input the HTML parser gives up on: the same
// rules, applied to the token stream.
func tokenText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var (
		w      textWriter
		hidden string // element whose content is being skipped
		depth  int    // nesting of hidden inside itself
		newPre bool   // the next text is the first inside a <pre>
	)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return w.String()
		}
		tok := z.Token()
		if hidden != "" {
			switch {
			case tt == html.StartTagToken && tok.Data == hidden:
				depth++
			case tt == html.EndTagToken && tok.Data == hidden:
				if depth--; depth == 0 {
					hidden = ""
				}
			}
			continue
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			name := tok.Data
			if hiddenContent(name) {
				if tt == html.StartTagToken && !voidElement(name) {
					hidden, depth = name, 1
				}
				continue
			}
			switch {
			case name == "br":
				w.br()
			case name == "td" || name == "th":
				w.brk(sepCell)
			case name == "tr":
				w.brk(sepLine)
			case blockElement(name) || styledBlock(tok.Attr):
				w.brk(sepPara)
			}
			if name == "pre" && tt == html.StartTagToken {
				w.pre++
				newPre = true
			}
		case html.EndTagToken:
			switch name := tok.Data; {
			case name == "tr":
				w.brk(sepLine)
			case blockElement(name):
				w.brk(sepPara)
			}
			if tok.Data == "pre" && w.pre > 0 {
				w.pre--
			}
		case html.TextToken:
			text := tok.Data
			if newPre {
				// HTML ignores one newline straight after <pre>.
				text = strings.TrimPrefix(text, "\n")
				newPre = false
			}
			w.text(text)
		}
	}
}

// blockElement reports whether an element starts a new block of text.
func blockElement(name string) bool {
	switch name {
	case "address", "article", "aside", "blockquote", "caption", "center", "dd", "details",
		"dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
		"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend",
		"li", "main", "menu", "nav", "ol", "p", "pre", "search", "section", "summary",
		"table", "tbody", "tfoot", "thead", "ul", "body", "html":
		return true
	}
	return false
}

// hiddenContent reports whether an element's content is never shown as text
// (or is foreign, embedded content the policy removes with its content).
func hiddenContent(name string) bool {
	switch name {
	case "script", "style", "template", "noscript", "iframe", "frame", "frameset",
		"noframes", "noembed", "nostyle", "object", "title":
		return true
	}
	return false
}

func voidElement(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
		"source", "track", "wbr", "frame":
		return true
	}
	return false
}
