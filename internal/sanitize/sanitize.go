// Package sanitize holds wiredesk's HTML allowlist for agency copy, the
// HTML-to-text extraction, and the verbatim check that proves sanitizing
// removed markup, never words (DESIGN §4 rule 10).
package sanitize

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// linkRel is the only rel value links keep: the one restructure sets.
var linkRel = regexp.MustCompile(`^nofollow noopener$`)

// displayBlock matches an inline style that makes an element a block, as
// publishers do with <span style="display:block">: without its own block the
// text would run into the next words once the style is removed.
var displayBlock = regexp.MustCompile(`(?i)(^|;)\s*display\s*:\s*(block|flex|grid|list-item|table)\b`)

// tableSpan keeps table cell spans readable for results tables.
var tableSpan = regexp.MustCompile(`^[0-9]{1,3}$`)

// Policy is the allowlist applied to every body wiredesk publishes. It is
// safe for concurrent use.
type Policy struct {
	bm *bluemonday.Policy
}

// New returns the news-copy policy: paragraphs, headings h2-h6, quotes,
// lists, tables, figures, emphasis, code, links (http/https, rel="nofollow
// noopener") and images (http/https, src and alt only). Everything else is
// removed: scripts, styles, frames, embeds and objects with their content,
// event handler and style attributes, javascript: and data: URLs. Elements
// outside the list lose their tags but keep their text.
func New() *Policy {
	bm := bluemonday.NewPolicy()
	bm.AllowElements(
		"p", "br", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"ul", "ol", "li",
		"strong", "em", "b", "i", "u", "sub", "sup", "pre", "code",
		"table", "caption", "thead", "tbody", "tr", "td", "th",
		"figure", "figcaption",
	)
	bm.AllowAttrs("href").OnElements("a")
	bm.AllowAttrs("rel").Matching(linkRel).OnElements("a")
	bm.AllowAttrs("src", "alt").OnElements("img")
	bm.AllowAttrs("colspan", "rowspan").Matching(tableSpan).OnElements("td", "th")
	bm.AllowURLSchemes("http", "https")
	bm.RequireParseableURLs(true)
	bm.AllowRelativeURLs(false)
	bm.RequireNoFollowOnLinks(true)
	// bluemonday already drops the content of script, style, iframe,
	// object, noscript and the like; template content is never shown either.
	bm.SkipElementsContent("template")
	return &Policy{bm: bm}
}

// HTML returns s with only the allowed markup left. Block containers the
// policy does not allow (div, section, article, dl...) become paragraphs
// rather than vanishing, so that their words do not run together.
func (p *Policy) HTML(s string) string {
	return p.HTMLWithBase(s, nil)
}

// HTMLWithBase is HTML with relative link and image URLs resolved against
// base (the item's own link) first; without a base they are removed, since
// they would point into wiredesk's own site.
func (p *Policy) HTMLWithBase(s string, base *url.URL) string {
	if strings.Trim(s, asciiSpace) == "" {
		return ""
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		// The HTML parser only fails on reader errors; sanitize as is.
		return p.sanitize(s)
	}
	root := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	restructure(root, base)
	var b strings.Builder
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return p.sanitize(s)
		}
	}
	return p.sanitize(b.String())
}

// sanitize applies the allowlist and trims markup whitespace, never a
// no-break space, from the ends.
func (p *Policy) sanitize(s string) string {
	return strings.Trim(p.bm.Sanitize(s), asciiSpace)
}

// unwrappedBlock reports block containers outside the allowlist. Their inline
// content is wrapped in <p> so that it stays a block of its own.
func unwrappedBlock(name string) bool {
	switch name {
	case "div", "section", "article", "header", "footer", "main", "aside", "nav",
		"address", "center", "hgroup", "details", "summary", "dl", "dt", "dd",
		"fieldset", "form", "dialog", "search", "legend":
		return true
	}
	return false
}

// flowBlock reports whether an element is a block once restructured: such
// children are left alone when their unwrapped parent's inline runs become
// paragraphs.
func flowBlock(name string) bool {
	switch name {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
		"pre", "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th",
		"figure", "figcaption", "hr":
		return true
	}
	return unwrappedBlock(name)
}

// restructure rewrites the parsed tree into shapes the policy keeps: h1
// becomes h2 (the page has its own), menu and dir become ul, unlisted block
// containers are unwrapped into paragraphs, links get their rel, and
// relative URLs are resolved against base.
func restructure(n *html.Node, base *url.URL) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type != html.ElementNode {
			c = next
			continue
		}
		switch c.Data {
		case "h1":
			c.Data, c.DataAtom = "h2", atom.H2
		case "menu", "dir":
			c.Data, c.DataAtom = "ul", atom.Ul
		case "tfoot":
			c.Data, c.DataAtom = "tbody", atom.Tbody
		case "a":
			prepareLink(c, base)
		case "img":
			resolveAttr(c, "src", base)
			if !httpURLAttr(c, "src") {
				// An image the policy cannot show is removed whole; its alt
				// would otherwise be left on an image with no picture.
				n.RemoveChild(c)
				c = next
				continue
			}
		}
		restructure(c, base)
		if unwrappedBlock(c.Data) || (!flowBlock(c.Data) && styledBlock(c.Attr)) {
			unwrap(n, c)
		}
		c = next
	}
}

// unwrap replaces c, a child of parent, by its children, each run of inline
// children with any content in it wrapped in a new <p>.
func unwrap(parent, c *html.Node) {
	var kids []*html.Node
	for k := c.FirstChild; k != nil; k = k.NextSibling {
		kids = append(kids, k)
	}
	for _, k := range kids {
		c.RemoveChild(k)
	}
	var run []*html.Node
	// separated records whether a block took c's place; if none did, a <br>
	// does, so the words on either side of an empty block stay apart as a
	// browser shows them ("a<div></div>b" reads as two lines, not "ab").
	separated := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if !hasContent(run) {
			for _, k := range run {
				parent.InsertBefore(k, c)
			}
			run = run[:0]
			return
		}
		para := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
		for _, k := range run {
			para.AppendChild(k)
		}
		parent.InsertBefore(para, c)
		separated = true
		run = run[:0]
	}
	for _, k := range kids {
		if k.Type == html.ElementNode && flowBlock(k.Data) {
			flush()
			parent.InsertBefore(k, c)
			separated = true
			continue
		}
		run = append(run, k)
	}
	flush()
	if !separated {
		parent.InsertBefore(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br}, c)
	}
	parent.RemoveChild(c)
}

// styledBlock reports whether an element's style attribute makes it a
// block.
func styledBlock(attrs []html.Attribute) bool {
	for _, a := range attrs {
		if a.Namespace == "" && a.Key == "style" && displayBlock.MatchString(a.Val) {
			return true
		}
	}
	return false
}

// hasContent reports whether nodes hold anything a reader sees: an element,
// or text other than markup whitespace (a no-break space is content).
func hasContent(nodes []*html.Node) bool {
	for _, n := range nodes {
		switch n.Type {
		case html.ElementNode:
			return true
		case html.TextNode:
			if strings.Trim(n.Data, asciiSpace) != "" {
				return true
			}
		}
	}
	return false
}

// prepareLink resolves a link's href and keeps it only when it is an
// absolute http(s) URL, with rel="nofollow noopener": agency copy is not an
// endorsement, and the target must not get a handle on our page. A link
// without a usable href loses its tag and keeps its text.
func prepareLink(a *html.Node, base *url.URL) {
	resolveAttr(a, "href", base)
	keep := a.Attr[:0]
	linked := false
	for _, at := range a.Attr {
		if at.Namespace == "" && at.Key == "rel" {
			continue
		}
		if at.Namespace == "" && at.Key == "href" {
			if !isHTTPURL(at.Val) {
				continue
			}
			linked = true
		}
		keep = append(keep, at)
	}
	a.Attr = keep
	if linked {
		a.Attr = append(a.Attr, html.Attribute{Key: "rel", Val: "nofollow noopener"})
	}
}

// httpURLAttr reports whether n has the attribute key holding an absolute
// http(s) URL.
func httpURLAttr(n *html.Node, key string) bool {
	for _, at := range n.Attr {
		if at.Namespace == "" && at.Key == key {
			return isHTTPURL(at.Val)
		}
	}
	return false
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !u.IsAbs() || u.Host == "" {
		return false
	}
	sch := strings.ToLower(u.Scheme)
	return sch == "http" || sch == "https"
}

// resolveAttr makes a relative URL attribute absolute against base.
func resolveAttr(n *html.Node, key string, base *url.URL) {
	if base == nil {
		return
	}
	for i, at := range n.Attr {
		if at.Namespace != "" || at.Key != key {
			continue
		}
		ref, err := url.Parse(strings.TrimSpace(at.Val))
		if err != nil || ref.IsAbs() {
			continue
		}
		n.Attr[i].Val = base.ResolveReference(ref).String()
	}
}
