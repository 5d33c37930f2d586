package nitf

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/wire"
)

func TestBodyToHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"paragraphs keep their text as sent",
			"<p>   One,  two.</p>\n<p>Three &amp; &lt;four&gt;</p>",
			"<p>   One,  two.</p>\n<p>Three &amp; &lt;four&gt;</p>"},
		{"entity markup unwrapped, text kept",
			`<p><person idsrc="x" value="1">George Osborne</person> met <org>WTO</org> in <location><city>Geneva</city></location> on <chron norm="20160101">Friday</chron>, paying <money unit="GBP">£5</money> for <num>3</num> <q>items</q> <lang lang="fr">à la carte</lang>, <pronounce guide="suh-VEEN">Sevigne</pronounce>, <virtloc>example.org</virtloc>, <classifier>x</classifier>.</p>`,
			`<p>George Osborne met WTO in Geneva on Friday, paying £5 for 3 items à la carte, Sevigne, example.org, x.</p>`},
		{"hl1 and hl2 become h2, block gives its content",
			"<hl1>Top</hl1><block><hl2>Sub</hl2><p>Text</p></block>",
			"<h2>Top</h2><h2>Sub</h2><p>Text</p>"},
		{"pre keeps every space and line break, and its first line break",
			"<pre>\nName    Score\nAnn        10\n</pre>",
			"<pre>\n\nName    Score\nAnn        10\n</pre>"},
		{"media are not body text",
			`<media media-type="image"><media-reference source="x.jpg" alternate-text="Alt"/><media-caption>Caption</media-caption><media-producer>Karben</media-producer></media><p>Text</p>`,
			"<p>Text</p>"},
		{"non-publishable note left out, standard note kept",
			`<note type="npa"><p>Do not publish</p></note><note type="std"><p>Note for readers</p></note>`,
			"<p>Note for readers</p>"},
		{"empty paragraphs left out",
			"<p>One</p><p/><p>  </p><p>Two</p>",
			"<p>One</p><p>Two</p>"},
		{"no-break space and entities kept as characters",
			"<p>10&nbsp;km &#163;5 &pound;6 &#x2013; «x»</p>",
			"<p>10\u00a0km £5 £6 – «x»</p>"},
		{"tables keep shape, spans and empty cells",
			`<nitf-table><nitf-table-metadata><nitf-col/></nitf-table-metadata><table><caption>Results</caption><colgroup><col/></colgroup><tbody><tr><th colspan="2">Team</th></tr><tr><td></td><td rowspan="1">1</td></tr></tbody></table></nitf-table>`,
			`<table><caption>Results</caption><tbody><tr><th colspan="2">Team</th></tr><tr><td></td><td rowspan="1">1</td></tr></tbody></table>`},
		{"lists and block quotes",
			`<ul><li>a</li></ul><ol><li>b</li></ol><bq><block><p>quoted</p></block><credit>Someone</credit></bq>`,
			`<ul><li>a</li></ul><ol><li>b</li></ol><blockquote><p>quoted</p><p>Someone</p></blockquote>`},
		{"byline as a block is a paragraph, in a line it is text",
			`<block><byline>By A</byline><byline>By B</byline></block><p><dateline>PARIS</dateline> - Text</p>`,
			`<p>By A</p><p>By B</p><p>PARIS - Text</p>`},
		{"links keep their address, br and emphasis stay",
			`<p><a href="https://example.org/x?a=1&amp;b=2">site</a><br/><em>e</em> H<sub>2</sub>O x<sup>2</sup></p>`,
			`<p><a href="https://example.org/x?a=1&amp;b=2">site</a><br><em>e</em> H<sub>2</sub>O x<sup>2</sup></p>`},
		{"link without address is its text",
			`<p><a id="x">text</a></p>`, `<p>text</p>`},
		{"unknown elements keep their text",
			`<p><mystery>kept</mystery> words</p>`, `<p>kept words</p>`},
		{"CDATA is text",
			`<p><![CDATA[a < b]]></p>`, `<p>a &lt; b</p>`},
		{"a whole body.content element",
			"\n  <body.content><p>Inside</p></body.content>\n",
			"<p>Inside</p>"},
		{"a whole namespaced nitf document: body.content and body.end",
			`<?xml version="1.0" encoding="UTF-8"?>
<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><head><title>T</title></head><body><body.head><hedline><hl1>Headline</hl1></hedline></body.head><body.content><p>Text</p></body.content><body.end><tagline>Tag</tagline></body.end></body></nitf>`,
			"<p>Text</p><p>Tag</p>"},
		{"a prefixed body", `<n:body.content xmlns:n="http://iptc.org/std/NITF/2006-10-18/"><n:p>x</n:p></n:body.content>`, "<p>x</p>"},
		{"Latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><body.content><p>\xa366</p></body.content>", "<p>£66</p>"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BodyToHTML([]byte(tt.in))
			if err != nil {
				t.Fatalf("BodyToHTML: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BodyToHTML(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestBodyToHTMLErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantReason string // in the error text
	}{
		{"unclosed element", "<p>one\n<p>two</p>", "line 2"},
		{"mismatched end", "<p><em>x</p></em>", "element <em> closed by </p>"},
		{"undeclared entity", "<p>&bogus;</p>", "line 1, column"},
		{"entity declarations", `<!DOCTYPE p [<!ENTITY a "aaaa">]><p>&a;</p>`, "declares entities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BodyToHTML([]byte(tt.in))
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("BodyToHTML(%q) = %q, %v; want a *wire.Error", tt.in, got, err)
			}
			if we.Format != Format || !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("error %q (format %q), want format %q and %q in it", err, we.Format, Format, tt.wantReason)
			}
		})
	}
}
