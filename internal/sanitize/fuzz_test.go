package sanitize

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzHTML checks the policy's two promises on arbitrary input: every
// visible word survives (VerbatimCheck), and the output holds only allowed
// elements and attributes, with http(s) URLs only.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		`<p>a <b>b</b></p><div>c<div>d</div></div>`,
		`<table><tr><td>1</td><td>2</td></tr></table>`,
		`<script>x</script><style>y</style><p>z&nbsp;w</p>`,
		`<a href="https://x/">l</a><img src="https://x/i.png" alt="i">`,
		`<ul><li>a<li>b</ul><pre> c</pre><h1>d</h1>`,
		`<span style="display:block">e</span>f`,
		`<img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>`,
	} {
		f.Add(s)
	}
	p := New()
	f.Fuzz(func(t *testing.T, s string) {
		out := p.HTML(s)
		if err := VerbatimCheck(s, out); err != nil {
			t.Errorf("HTML(%q) = %q: %v", s, out, err)
		}
		if problem := disallowedMarkup(out); problem != "" {
			t.Errorf("HTML(%q) = %q: %s", s, out, problem)
		}
	})
}

// disallowedMarkup returns what in sanitized HTML the policy should not
// have let through, or "".
func disallowedMarkup(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.CommentToken, html.DoctypeToken:
			return "comment or doctype in output"
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedElement(tok.Data) {
				return "element <" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				switch {
				case tok.Data == "a" && a.Key == "href", tok.Data == "img" && a.Key == "src":
					if !isHTTPURL(a.Val) {
						return "URL " + a.Val
					}
				case tok.Data == "a" && a.Key == "rel" && a.Val == "nofollow noopener":
				case tok.Data == "img" && a.Key == "alt":
				case (tok.Data == "td" || tok.Data == "th") && (a.Key == "colspan" || a.Key == "rowspan"):
				default:
					return "attribute " + a.Key + " on <" + tok.Data + ">"
				}
			}
		}
	}
}

func allowedElement(name string) bool {
	switch name {
	case "p", "br", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
		"a", "strong", "em", "b", "i", "u", "sub", "sup", "pre", "code",
		"table", "caption", "thead", "tbody", "tr", "td", "th", "figure", "figcaption", "img":
		return true
	}
	return false
}
