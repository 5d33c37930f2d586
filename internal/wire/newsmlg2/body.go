package newsmlg2

import (
	"html"
	"regexp"
	"strconv"
	"strings"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/nitf"
	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
)

// body fills the body from the first content of the contentSet that has
// one (inlineXML or inlineData; a remoteContent is a rendition held
// elsewhere, such as a picture file), with the word count the source
// states for it. Headline, byline and dateline missing from contentMeta
// (and the language) are taken from an embedded NITF document. It returns why the item cannot
// be used, or "".
func (d *decoder) body(it *story.Item, set *xmldoc.Node) string {
	for _, c := range set.Elements() {
		var raw, body string
		switch {
		case c.Is("inlineXML"):
			if el := firstElement(c); el.Is("nitf") {
				// The NITF decoder sanitizes what it returns.
				b, reason := d.embeddedNITF(it, el)
				if reason != "" {
					return reason
				}
				body = b
				break
			}
			raw = d.inlineXML(it, c)
		case c.Is("inlineData"):
			text := c.Content()
			if strings.Contains(strings.ToLower(c.Attr("contenttype")), "html") {
				raw = text
			} else {
				raw = wire.PlainTextToHTML(text)
			}
		default:
			continue
		}
		if raw != "" {
			body = d.policy.HTML(raw)
		}
		if body == "" {
			continue
		}
		it.BodyHTML = body
		it.BodyText = d.policy.Text(body)
		// An empty wordcount attribute (Reuters sends wordcount="") is
		// unknown, not zero.
		if n, err := strconv.Atoi(strings.TrimSpace(c.Attr("wordcount"))); err == nil && n >= 0 {
			it.WordCount = &n
		}
		return ""
	}
	return ""
}

// firstElement returns n's first child element, or nil.
func firstElement(n *xmldoc.Node) *xmldoc.Node {
	if els := n.Elements(); len(els) > 0 {
		return els[0]
	}
	return nil
}

// inlineXML returns the XHTML body of an inlineXML content as unsanitized
// HTML: an XHTML document or body, or (when the content type says HTML)
// any other XHTML fragment.
func (d *decoder) inlineXML(it *story.Item, c *xmldoc.Node) string {
	switch el := firstElement(c); {
	case el == nil:
		return ""
	case el.Is("html"):
		if it.Headline == "" {
			it.Headline = oneLine(el.Path("head", "title"))
		}
		return xhtmlBody(el.Child("body"))
	case el.Is("body"):
		return xhtmlBody(el)
	}
	if strings.Contains(strings.ToLower(c.Attr("contenttype")), "html") {
		return xmldoc.HTML(c.Kids)
	}
	return ""
}

// embeddedNITF reads the NITF document of an inlineXML. NewsML-G2 says
// what the envelope says (id, version, status, dates); the NITF head gives
// only what contentMeta left out. Scoop, for one, sends its headline only
// as the NITF title.
func (d *decoder) embeddedNITF(it *story.Item, el *xmldoc.Node) (string, string) {
	// Re-serialized without namespaces: the NITF may sit in the G2
	// namespace it inherits (Scoop), or in its own.
	doc, err := nitf.ParseDocument(xmldoc.XML(el), d.opts)
	if err != nil {
		return "", "cannot read the embedded NITF document: " + err.Error()
	}
	if it.Headline == "" {
		it.Headline = doc.Headline
	}
	if it.Byline == "" {
		it.Byline = doc.Byline
	}
	if it.Dateline == nil {
		it.Dateline = doc.Dateline
	}
	if it.Language == "" {
		it.Language = doc.Language
	}
	return doc.BodyHTML, ""
}

// xhtmlBody renders an XHTML body as HTML. The body's own <header> is left
// out: it is the document's head matter (dpa puts the headline, the
// slugline list, the genre and the publication time there), which the item
// already has as fields, not story text.
func xhtmlBody(body *xmldoc.Node) string {
	var kids []*xmldoc.Node
	for _, k := range body.Kids {
		if k.Is("header") {
			continue
		}
		kids = append(kids, k)
	}
	if text, ok := wireText(kids); ok {
		return wireTextHTML(text)
	}
	return xmldoc.HTML(kids)
}

// wireText recognises a body that is one paragraph of wire copy with its
// line breaks (Reuters): a single <p> holding only text, with line breaks
// in it. It returns that text.
func wireText(kids []*xmldoc.Node) (string, bool) {
	var p *xmldoc.Node
	for _, k := range kids {
		switch {
		case k.IsText():
			if strings.Trim(k.Text, " \t\r\n") != "" {
				return "", false
			}
		case k.Is("p") && p == nil:
			p = k
		default:
			return "", false
		}
	}
	if p == nil || len(p.Elements()) > 0 {
		return "", false
	}
	text := p.Content()
	return text, strings.Contains(text, "\n")
}

// columnGap is a run of spaces inside a line: the alignment of a table.
var columnGap = regexp.MustCompile(`\S {2,}\S`)

// wireTextHTML lays out wire copy as HTML that shows it as the wire does.
// A table (results, standings: most lines aligned in columns) is kept
// exactly, as preformatted text. Otherwise an indented line or a blank line
// starts a paragraph, the wire's convention, and the other line breaks are
// the wrapping of a fixed-width line, shown as the space a browser shows.
// Only whitespace changes: every word stays as sent.
func wireTextHTML(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	nonBlank, aligned := 0, 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		nonBlank++
		if columnGap.MatchString(l) {
			aligned++
		}
	}
	if aligned >= 3 && 3*aligned >= nonBlank {
		return "<pre>" + html.EscapeString(strings.Trim(text, "\r\n")) + "</pre>"
	}

	var b strings.Builder
	var para []string
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(strings.Join(para, " ")))
			b.WriteString("</p>")
			para = para[:0]
		}
	}
	for _, l := range lines {
		trimmed := strings.Trim(l, " \t\r")
		switch {
		case trimmed == "":
			flush()
			continue
		case l[0] == ' ' || l[0] == '\t':
			flush()
		}
		para = append(para, trimmed)
	}
	flush()
	return b.String()
}
