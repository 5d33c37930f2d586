package nitf

import (
	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
	"html"
	"strings"

	"github.com/wiredesk/wiredesk/internal/wire"
)

// BodyToHTML converts NITF body markup to HTML that shows the same words. The
// HTML is not sanitized yet: run sanitize.Policy.HTML on it before it is
// published. The input is the inner XML of a body.content element, or a
// whole <body.content>, <body> or <nitf> element (as NewsML-G2 embeds it in
// inlineXML), of which the body.content and body.end parts are converted.
//
// NITF's meaning is kept: hl1 and hl2 become h2; block, fn and note give
// their content; bq becomes blockquote; tables and lists keep their shape;
// pre keeps every space and line break; tagline, byline, credit and dateline
// standing as blocks become paragraphs; the inline tags that mark up
// entities (person, org, location, chron, money, num, q, lang, pronounce,
// virtloc, classifier...) are dropped and their text kept. What is not body
// text is left out: media and their references, table metadata, and notes
// marked non-publishable (note type="npa"). Unknown elements keep their text.
//
// For example
//
//	<p>Shares of <org value="ACME">Acme</org> rose <num>3</num>%.</p>
//	<block><hl2>Outlook</hl2><p>More <em>soon</em>.</p></block>
//
// becomes
//
//	<p>Shares of Acme rose 3%.</p><h2>Outlook</h2><p>More <em>soon</em>.</p>
//
// (the whitespace between the input's elements is kept as it was). Errors are
// *wire.Error naming the line and column where the markup broke.
func BodyToHTML(bodyContentInner []byte) (string, error) {
	if err := wire.CheckSize(Format, bodyContentInner); err != nil {
		return "", err
	}
	top, err := parseFragment(wire.XMLToUTF8(bodyContentInner))
	if err != nil {
		return "", readError("cannot read the body", err)
	}
	return bodyHTML(fragmentBody(top)), nil
}

// fragmentBody finds the body parts of a fragment's top-level nodes: inside
// a lone nitf, body or body.content element, or the fragment itself.
func fragmentBody(top []*xmldoc.Node) []*xmldoc.Node {
	var els []*xmldoc.Node
	for _, n := range top {
		if !n.IsText() {
			els = append(els, n)
		}
	}
	if len(els) != 1 || !textIsMarkupSpace(top) {
		return top
	}
	switch el := els[0]; el.Name.Local {
	case "nitf":
		return bodyParts(el.Child("body"))
	case "body":
		return bodyParts(el)
	case "body.content":
		return el.Kids
	}
	return top
}

// textIsMarkupSpace reports whether the text nodes among nodes are all
// markup whitespace: the indentation around a lone element.
func textIsMarkupSpace(nodes []*xmldoc.Node) bool {
	for _, k := range nodes {
		if k.IsText() && strings.Trim(k.Text, " \t\r\n") != "" {
			return false
		}
	}
	return true
}

// bodyParts returns the body.content and body.end elements of a body, in
// document order: the story text and its end matter (tagline, bibliography).
func bodyParts(body *xmldoc.Node) []*xmldoc.Node {
	var out []*xmldoc.Node
	for _, k := range body.Elements() {
		if k.Name.Local == "body.content" || k.Name.Local == "body.end" {
			out = append(out, k)
		}
	}
	return out
}

// bodyHTML renders body nodes as HTML.
func bodyHTML(nodes []*xmldoc.Node) string {
	var w htmlWriter
	w.nodes(nodes, false)
	return strings.Trim(w.b.String(), " \t\r\n")
}

// htmlWriter renders NITF nodes as HTML.
type htmlWriter struct {
	b strings.Builder
}

// nodes renders a run of nodes. inline is true inside paragraphs and other
// text-level elements, where the elements that NITF lets stand either as
// blocks or in a line (byline, dateline...) must not start a paragraph.
func (w *htmlWriter) nodes(ns []*xmldoc.Node, inline bool) {
	for _, n := range ns {
		w.node(n, inline)
	}
}

func (w *htmlWriter) node(n *xmldoc.Node, inline bool) {
	if n.Name.Local == "" {
		w.b.WriteString(html.EscapeString(n.Text))
		return
	}
	switch n.Name.Local {
	case "p":
		w.element("p", n, true)
	case "hl1", "hl2":
		// The page has its own h1: the story's headline.
		w.element("h2", n, true)
	case "bq":
		w.element("blockquote", n, false)
	case "ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr":
		w.element(n.Name.Local, n, false)
	case "td", "th":
		w.tableCell(n)
	case "em", "sub", "sup":
		w.element(n.Name.Local, n, true)
	case "pre":
		w.pre(n)
	case "a":
		w.link(n, inline)
	case "br":
		w.b.WriteString("<br>")
	case "hr":
		w.b.WriteString("<hr>")
	case "tagline", "byline", "credit", "dateline", "bibliography", "distributor":
		if inline {
			w.nodes(n.Kids, true)
			return
		}
		w.element("p", n, true)
	case "note":
		// A non-publishable advisory is for editors, not readers.
		if strings.EqualFold(strings.TrimSpace(n.Attr("type")), "npa") {
			return
		}
		w.nodes(n.Kids, inline)
	case "media", "media-reference", "media-caption", "media-producer", "media-metadata",
		"media-object", "nitf-table-metadata", "col", "colgroup", "head", "body.head":
		// A picture reference and its caption are not body text, and table
		// metadata and column definitions have none.
	default:
		// block, fn, abstract, body.content, body.end, and the inline
		// markup of entities (person, org, chron, money, q...): the
		// content without the tag.
		w.nodes(n.Kids, inline)
	}
}

// element renders n as the HTML element tag. An element with nothing a
// reader sees (<p/>, as some agencies send between paragraphs) is left out.
func (w *htmlWriter) element(tag string, n *xmldoc.Node, inline bool) {
	if n.Blank() {
		return
	}
	w.b.WriteString("<" + tag + ">")
	w.nodes(n.Kids, inline)
	w.b.WriteString("</" + tag + ">")
}

// tableCell keeps a cell, empty or not (it holds a column's place), with its
// spans.
func (w *htmlWriter) tableCell(n *xmldoc.Node) {
	w.b.WriteString("<" + n.Name.Local)
	for _, a := range []string{"colspan", "rowspan"} {
		if v := strings.TrimSpace(n.Attr(a)); v != "" {
			w.b.WriteString(" " + a + `="` + html.EscapeString(v) + `"`)
		}
	}
	w.b.WriteString(">")
	w.nodes(n.Kids, false)
	w.b.WriteString("</" + n.Name.Local + ">")
}

// pre keeps preformatted text exactly. An HTML parser drops one line break
// right after <pre>, so a text that starts with one gets another.
func (w *htmlWriter) pre(n *xmldoc.Node) {
	var inner htmlWriter
	inner.nodes(n.Kids, true)
	w.b.WriteString("<pre>")
	if strings.HasPrefix(inner.b.String(), "\n") {
		w.b.WriteString("\n")
	}
	w.b.WriteString(inner.b.String())
	w.b.WriteString("</pre>")
}

// link keeps an <a> with its address; the sanitizer decides whether the
// address may stay. Without one it is just its text.
func (w *htmlWriter) link(n *xmldoc.Node, inline bool) {
	href := strings.TrimSpace(n.Attr("href"))
	if href == "" {
		w.nodes(n.Kids, inline)
		return
	}
	w.b.WriteString(`<a href="` + html.EscapeString(href) + `">`)
	w.nodes(n.Kids, true)
	w.b.WriteString("</a>")
}
