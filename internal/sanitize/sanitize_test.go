package sanitize

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "script element removed with its content",
			in:   `<p>Before</p><script>alert("x")</script><p>After</p>`,
			want: `<p>Before</p><p>After</p>`,
		},
		{
			name: "script split across case and attributes",
			in:   `<p>a<SCRIPT type="text/javascript" src="https://evil.example/x.js"></SCRIPT>b</p>`,
			want: `<p>ab</p>`,
		},
		{
			name: "style element and attribute removed",
			in:   `<style>p{color:red}</style><p style="color:red">Text</p>`,
			want: `<p>Text</p>`,
		},
		{
			name: "img onerror handler removed, unsafe src dropped with the image",
			in:   `<img src=x onerror="alert(1)"><p>Caption</p>`,
			want: `<p>Caption</p>`,
		},
		{
			name: "img keeps http src and alt, loses handlers",
			in:   `<img src="https://cdn.example/p.jpg" alt="Police at the scene" onload="steal()" width="10">`,
			want: `<img src="https://cdn.example/p.jpg" alt="Police at the scene"/>`,
		},
		{
			name: "img data URL removed",
			in:   `<img src="data:image/png;base64,AAAA" alt="x">`,
			want: ``,
		},
		{
			name: "javascript link loses its tag, keeps its text",
			in:   `<p>Click <a href="javascript:alert(document.cookie)">here</a> now</p>`,
			want: `<p>Click here now</p>`,
		},
		{
			name: "javascript link hidden with entities and case",
			in:   `<a href="JaVaScRiPt&#58;alert(1)">x</a>`,
			want: `x`,
		},
		{
			name: "http link gets rel nofollow noopener, loses target and handlers",
			in:   `<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="author" onclick="x()">y</a>`,
			want: `<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener">y</a>`,
		},
		{
			name: "relative link without base is dropped, text kept",
			in:   `<a href="/news/1">Story</a>`,
			want: `Story`,
		},
		{
			name: "iframe, object and embed removed",
			in:   `<p>A</p><iframe src="https://video.example/1">fallback</iframe><object data="x.swf"><param name="a" value="b"></object><embed src="y.swf"><p>B</p>`,
			want: `<p>A</p><p>B</p>`,
		},
		{
			name: "on attributes removed from allowed elements",
			in:   `<p onmouseover="x()" class="lead" id="p1">Lead</p>`,
			want: `<p>Lead</p>`,
		},
		{
			name: "no-break space preserved",
			in:   `<p>10&nbsp;km from Paris</p>`,
			want: "<p>10\u00a0km from Paris</p>",
		},
		{
			name: "div blocks become paragraphs so words do not run together",
			in:   `<div>first</div><div>second<div>third</div>fourth</div>`,
			want: `<p>first</p><p>second</p><p>third</p><p>fourth</p>`,
		},
		{
			name: "h1 becomes h2",
			in:   `<h1>Title</h1><h3>Sub</h3>`,
			want: `<h2>Title</h2><h3>Sub</h3>`,
		},
		{
			name: "span styled as a block becomes a paragraph",
			in:   `<blockquote><span>Quote.</span><span style="display:block;">Speaker</span></blockquote>`,
			want: `<blockquote>Quote.<p>Speaker</p></blockquote>`,
		},
		{
			name: "tables and figures kept",
			in:   `<figure><img src="https://x.example/a.png" alt="a"><figcaption>Cap</figcaption></figure><table><tr><th colspan="2">H</th></tr><tr><td>1</td><td onclick="x">2</td></tr></table>`,
			want: `<figure><img src="https://x.example/a.png" alt="a"/><figcaption>Cap</figcaption></figure><table><tbody><tr><th colspan="2">H</th></tr><tr><td>1</td><td>2</td></tr></tbody></table>`,
		},
		{
			name: "plain text is kept, escaped",
			in:   `Fish & chips < 5 euros`,
			want: `Fish &amp; chips &lt; 5 euros`,
		},
		{
			name: "empty",
			in:   "  \n ",
			want: "",
		},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.HTML(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HTML(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if err := VerbatimCheck(tt.in, got); err != nil {
				t.Errorf("HTML(%q) changed the text: %v", tt.in, err)
			}
		})
	}
}

func TestHTMLWithBase(t *testing.T) {
	base, err := url.Parse("https://news.example/world/story-1.html")
	if err != nil {
		t.Fatal(err)
	}
	got := New().HTMLWithBase(`<a href="/world/story-2.html">More</a> <img src="img/1.jpg" alt="">`, base)
	want := `<a href="https://news.example/world/story-2.html" rel="nofollow noopener">More</a> <img src="https://news.example/world/img/1.jpg" alt=""/>`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HTMLWithBase mismatch (-want +got):\n%s", diff)
	}
}

// TestHTMLNeverLeavesActiveContent feeds known XSS vectors through the
// policy and checks that nothing executable survives.
func TestHTMLNeverLeavesActiveContent(t *testing.T) {
	vectors := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)//`,
		`<svg/onload=alert(1)>`,
		`<body onload=alert(1)>`,
		`<iframe src="javascript:alert(1)"></iframe>`,
		`<a href="  javascript:alert(1)">x</a>`,
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<div style="background:url(javascript:alert(1))">x</div>`,
		`<object data="javascript:alert(1)"></object>`,
		`<form action="javascript:alert(1)"><button>x</button></form>`,
		`<p><a href="java&#x09;script:alert(1)">x</a></p>`,
		`<template><img src=x onerror=alert(1)></template>`,
	}
	p := New()
	for _, v := range vectors {
		got := strings.ToLower(p.HTML(v))
		for _, bad := range []string{"<script", "onerror", "onload", "javascript:", "vbscript:", "data:", "<iframe", "<object", "<svg", "<style", "style=", "<form"} {
			if strings.Contains(got, bad) {
				t.Errorf("HTML(%q) = %q, contains %q", v, got, bad)
			}
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"paragraphs", `<p>One.</p><p>Two.</p>`, "One.\n\nTwo."},
		{"br is a newline", `Line one<br>Line two`, "Line one\nLine two"},
		{"two br make a paragraph break", "A<br><br>\nB", "A\n\nB"},
		{"markup whitespace between blocks dropped", "\n  <p>\n   A\n  </p>\n  <p>B</p>\n", "A\n\nB"},
		{"entities decoded", `Tom &amp; Jerry &lt;3 &#8211; &eacute;t&eacute; &#x1F600;`, "Tom & Jerry <3 – été 😀"},
		{"no-break space kept", `10&nbsp;km`, "10\u00a0km"},
		{"text run unchanged: double space and inner newline", "<p>a  b\nc</p>", "a  b\nc"},
		{"inline markup does not split words", `<p>un<b>believ</b><i>able</i> <a href="x">link</a></p>`, "unbelievable link"},
		{"script, style and template hidden", `<p>A</p><script>var x = "B";</script><style>p{}</style><template>C</template><p>D</p>`, "A\n\nD"},
		{"lists", `<ul><li>one</li><li>two</li></ul>`, "one\n\ntwo"},
		{"table rows and cells", `<table><tr><th>Team</th><th>Pts</th></tr><tr><td>A</td><td>3</td></tr></table>`, "Team\tPts\nA\t3"},
		{"pre keeps its whitespace", "<pre>\n  x = 1\n    y</pre>", "  x = 1\n    y"},
		{"div blocks", `<div>a</div><div>b</div>`, "a\n\nb"},
		{"span styled as block", `<span>a</span><span style="display: block">b</span>c`, "a\n\nb\n\nc"},
		{"plain text", "Just text.", "Just text."},
		{"empty", "", ""},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestVerbatimCheck(t *testing.T) {
	tests := []struct {
		name      string
		source    string
		sanitized string
		wantErr   string // substring; "" means no error
	}{
		{"identical", `<p>a b</p>`, `<p>a b</p>`, ""},
		{"markup changes only", `<div class="x">a <span>b</span></div>`, `<p>a b</p>`, ""},
		{"script text does not count", `<p>a</p><script>evil()</script>`, `<p>a</p>`, ""},
		{"style text does not count", `<style>.x{}</style>a`, `a`, ""},
		{"word removed", `<p>The minister resigned today.</p>`, `<p>The minister today.</p>`, `word 3 "resigned" became "today."`},
		{"word at end removed", `<p>a b c</p>`, `<p>a b</p>`, `word 3 "c" was removed`},
		{"word added", `<p>a</p>`, `<p>a b</p>`, `word 2 "b" was added`},
		{"words run together", `<div>end</div><div>start</div>`, `endstart`, `word 1 "end" became "endstart"`},
		{"no-break space turned into space", "10&nbsp;km", "10 km", `word 1 "10\u00a0km" became "10"`},
		{"entity versus character is the same text", `caf&eacute;`, "café", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerbatimCheck(tt.source, tt.sanitized)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("VerbatimCheck = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("VerbatimCheck = nil, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("VerbatimCheck = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
