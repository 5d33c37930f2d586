package xmldoc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name           string
		in             string
		wantMsg        string
		wantLine, wCol int
	}{
		{"truncated", "<a>\n<b>x</b>\n<c>", "truncated XML: the document ends inside an element", 3, 4},
		{"mismatched end tag", "<a>\n  <b></c>\n</a>", "malformed XML: element <b> closed by </c>", 2, 10},
		{"second root", "<a/>\n<b/>", "a second root element <b> after the document's root", 2, 5},
		{"text after root", "<a/>x", "text outside the root element", 1, 6},
		{"no root", "<?xml version=\"1.0\"?>\n<!-- only a comment -->", "no root element", 0, 0},
		{"entity declarations", "<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>", "the document type declares entities (<!ENTITY>); refused without expanding them", 1, 31},
		{"undefined entity", "<a>&x;</a>", "malformed XML: invalid character entity &x;", 1, 7},
		{"too deep", strings.Repeat("<a>", MaxDepth+1), "elements nested deeper than 256 levels", 1, 3*MaxDepth + 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, want a *SyntaxError", err)
			}
			got := [3]any{se.Msg, se.Line, se.Column}
			want := [3]any{tt.wantMsg, tt.wantLine, tt.wCol}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("message, line, column mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	doc := `<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "r.dtd">
<R xmlns="urn:r" xmlns:x="urn:x" x:lang="de"><!-- c --><Item Qcode="a:b">one<![CDATA[ & two]]>&nbsp;three<br/>four</Item><item/></R>`
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !root.Is("r") || root.Name.Space != "urn:r" {
		t.Errorf("root = %+v, want <R> in urn:r", root.Name)
	}
	if got := root.Attr("lang"); got != "de" {
		t.Errorf(`Attr("lang") = %q, want "de" (any namespace)`, got)
	}
	if got := root.Attr("xmlns"); got != "" {
		t.Errorf(`Attr("xmlns") = %q, want "": declarations are not data`, got)
	}
	items := root.Children("item")
	if len(items) != 2 {
		t.Fatalf("Children(item) = %d, want 2 (case-insensitive)", len(items))
	}
	if got := items[0].Attr("qcode"); got != "a:b" {
		t.Errorf(`Attr("qcode") = %q`, got)
	}
	if got, want := items[0].Content(), "one & two\u00a0three\nfour"; got != want {
		t.Errorf("Content() = %q, want %q", got, want)
	}
	if !items[1].Blank() || items[0].Blank() {
		t.Error("Blank() wrong")
	}
	var missing *Node
	if missing.Path("a", "b").Child("c") != nil || missing.Content() != "" || missing.Attr("x") != "" {
		t.Error("a nil node must read as empty")
	}
}

func TestRender(t *testing.T) {
	doc := `<body xmlns="http://www.w3.org/1999/xhtml" xmlns:h="urn:h"><P Class="a" h:x="1">a &lt; b &amp; "c"<br/>d<img src="x.jpg"></img></P><p/></body>`
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := HTML(root.Kids), `<p class="a">a &lt; b &amp; &#34;c&#34;<br>d<img src="x.jpg"></p><p></p>`; got != want {
		t.Errorf("HTML = %q, want %q", got, want)
	}
	if got, want := string(XML(root)), `<body><P Class="a">a &lt; b &amp; &#34;c&#34;<br/>d<img src="x.jpg"/></P><p/></body>`; got != want {
		t.Errorf("XML = %q, want %q", got, want)
	}
	// What XML writes reads back the same.
	again, err := Parse(XML(root))
	if err != nil {
		t.Fatal(err)
	}
	if HTML(again.Kids) != HTML(root.Kids) {
		t.Error("XML did not round-trip")
	}
}

func TestParseErrorKinds(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ErrorKind
	}{
		{"malformed", "<a></b>", Malformed},
		{"truncated", "<a><b>", Truncated},
		{"second root", "<a/><b/>", SecondRoot},
		{"text before root", "words <a/>", TextBeforeRoot},
		{"text after root", "<a/> words", TextAfterRoot},
		{"too deep", strings.Repeat("<a>", MaxDepth+1), TooDeep},
		{"entities", `<!DOCTYPE a [<!ENTITY x "y">]><a/>`, DeclaresEntities},
		{"no root", "<!-- c -->", NoRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, want a *SyntaxError", err)
			}
			if got := se.Kind; got != tt.want {
				t.Errorf("Kind = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseFragment(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // each top-level node: an element's local name or a text's characters
		wantErr bool
	}{
		{"text and elements", "lead <p>one</p> <p>two</p>tail", []string{"lead ", "<p>", " ", "<p>", "tail"}, false},
		{"text only", "just words", []string{"just words"}, false},
		{"empty", "", nil, false},
		{"text across a comment is one node", "a<!-- c -->b<x/>", []string{"ab", "<x>"}, false},
		{"still strict", "<p>open", nil, true},
		{"still refuses entity declarations", `<!DOCTYPE a [<!ENTITY x "y">]><a/>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top, err := ParseFragment([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseFragment error = %v, want error %v", err, tt.wantErr)
			}
			var got []string
			for _, n := range top {
				if n.IsText() {
					got = append(got, n.Text)
				} else {
					got = append(got, "<"+n.Name.Local+">")
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("top-level nodes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContentSkip(t *testing.T) {
	root, err := Parse([]byte(`<byline>By <person>Ann Lee</person>, <byttl>Staff <b>Writer</b></byttl><br/>Paris</byline>`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		skip []string
		want string
	}{
		{nil, "By Ann Lee, Staff Writer\nParis"},
		{[]string{"byttl"}, "By Ann Lee, \nParis"},
		{[]string{"BYTTL", "person"}, "By , \nParis"},
	}
	for _, tt := range tests {
		if got := root.Content(tt.skip...); got != tt.want {
			t.Errorf("Content(%q) = %q, want %q", tt.skip, got, tt.want)
		}
	}
}
