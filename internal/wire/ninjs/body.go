package ninjs

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/nitf"
)

// chosenBody is the body a document's item gets: HTML not yet sanitized,
// and the word count stated for it.
type chosenBody struct {
	html      string
	wordCount *int
}

// bodyKind is what a body rendition holds, in the order of preference:
// HTML is published as it is, NITF is converted to HTML, plain text is
// turned into paragraphs. Anything else (an agency's own XML) is not read.
type bodyKind int

const (
	bodyOther bodyKind = iota
	bodyText
	bodyNITF
	bodyHTML
)

// chooseBody picks the document's body: of 2.x bodies the first HTML
// rendition, else the first NITF one, else the first plain-text one; of 1.x
// members body_html, body_xhtml, then body_text.
func chooseBody(d *document) (chosenBody, error) {
	if len(d.Bodies) > 0 {
		return chooseRendition(d.Bodies)
	}
	switch {
	case strings.TrimSpace(d.BodyHTML) != "":
		return chosenBody{html: documentBody(d.BodyHTML)}, nil
	case strings.TrimSpace(d.BodyXHTML) != "":
		return chosenBody{html: documentBody(d.BodyXHTML)}, nil
	case strings.TrimSpace(d.BodyText) != "":
		return chosenBody{html: wire.PlainTextToHTML(d.BodyText)}, nil
	}
	return chosenBody{}, nil
}

func chooseRendition(bodies []rendered) (chosenBody, error) {
	best := -1
	for i, r := range bodies {
		if strings.TrimSpace(r.Value) == "" {
			continue
		}
		if k := renditionKind(r); k != bodyOther && (best < 0 || k > renditionKind(bodies[best])) {
			best = i
		}
	}
	if best < 0 {
		return chosenBody{}, nil
	}
	r := bodies[best]
	var out chosenBody
	// A count of 0 next to a body with words is a placeholder (AAP sends
	// charCount and wordCount 0), not a statement.
	if n, ok, _ := r.WordCount.WholeNumber(); ok && n > 0 {
		out.wordCount = &n
	}
	switch renditionKind(r) {
	case bodyHTML:
		out.html = documentBody(r.Value)
	case bodyNITF:
		h, err := nitf.BodyToHTML([]byte(r.Value))
		if err != nil {
			if text := firstOfKind(bodies, bodyText); text != nil {
				// The plain-text rendition is the same story, complete.
				out.html = wire.PlainTextToHTML(text.Value)
				return out, nil
			}
			return chosenBody{}, fmt.Errorf("NITF body (role %q): %w", r.Role, err)
		}
		out.html = h
	case bodyText:
		out.html = wire.PlainTextToHTML(r.Value)
	}
	return out, nil
}

func firstOfKind(bodies []rendered, k bodyKind) *rendered {
	for i := range bodies {
		if renditionKind(bodies[i]) == k && strings.TrimSpace(bodies[i].Value) != "" {
			return &bodies[i]
		}
	}
	return nil
}

// renditionKind tells a body's kind from its content type, else its role,
// else (a bare {"value": ...}, which ninjs allows) its content.
func renditionKind(r rendered) bodyKind {
	ct := strings.ToLower(strings.TrimSpace(r.ContentType))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	role := strings.ToLower(strings.TrimSpace(r.Role))
	switch {
	case isHTML(ct):
		return bodyHTML
	case strings.Contains(ct, "nitf"):
		return bodyNITF
	case ct == "text/plain":
		return bodyText
	case ct != "":
		return bodyOther
	}
	switch role {
	case "html", "html5", "richhtml5", "xhtml":
		return bodyHTML
	case "nitf":
		return bodyNITF
	case "text", "plain", "plaintext":
		return bodyText
	}
	if looksLikeHTML.MatchString(r.Value) {
		return bodyHTML
	}
	return bodyText
}

// isHTML reports whether a content type is HTML or XHTML.
func isHTML(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	return strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "application/xhtml+xml")
}

// looksLikeHTML finds the tags that mark an untyped body as HTML.
var looksLikeHTML = regexp.MustCompile(`(?i)<(p|br|div|span|h[1-6]|ul|ol|li|a|b|i|em|strong|section|article|blockquote|table)[\s/>]`)

// fullDocument finds the start of a whole HTML document, as TT sends in its
// html5 bodies.
var fullDocument = regexp.MustCompile(`(?i)^\s*(<!doctype[^>]*>\s*)?<html[\s>]`)

// documentBody returns what a browser shows of an HTML body: the content of
// <body> when the value is a whole document (its <title> is not shown), the
// value itself otherwise.
func documentBody(s string) string {
	if !fullDocument.MatchString(s) {
		return s
	}
	root, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return s
	}
	body := findElement(root, atom.Body)
	if body == nil {
		return s
	}
	var b strings.Builder
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return s
		}
	}
	return b.String()
}

func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}
