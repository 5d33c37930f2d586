package wire

import (
	"encoding/xml"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSniffShape(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind ShapeKind
		wantRoot xml.Name
		wantDesc string
	}{
		{"empty", "", ShapeEmpty, xml.Name{}, "empty"},
		{"whitespace and BOM", "\xEF\xBB\xBF \r\n\t", ShapeEmpty, xml.Name{}, "empty"},
		{"rss past prolog, comments and doctype",
			"\xEF\xBB\xBF\n<?xml version=\"1.0\"?>\n<!-- generator -->\n<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"x.dtd\">\n<rss version=\"0.91\"><channel/></rss>",
			ShapeXML, xml.Name{Local: "rss"}, "XML root element <rss>"},
		{"namespaced root", `<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header/></newsMessage>`,
			ShapeXML, xml.Name{Space: "http://iptc.org/std/nar/2006-10-01/", Local: "newsMessage"},
			`XML root element <newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">`},
		{"prefixed root", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>`,
			ShapeXML, xml.Name{Space: "http://www.w3.org/1999/02/22-rdf-syntax-ns#", Local: "RDF"}, ""},
		{"Latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><nitf>\xa3</nitf>", ShapeXML, xml.Name{Local: "nitf"}, ""},
		{"HTML doctype", "<!DOCTYPE html>\n<html><head>", ShapeHTML, xml.Name{}, ""},
		{"HTML without doctype", "<head><title>Document Moved</title></head>", ShapeHTML, xml.Name{Local: "head"}, ""},
		{"HTML with unquoted attributes", "<HTML lang=en><body>hi", ShapeHTML, xml.Name{Local: "HTML"}, ""},
		{"XHTML", `<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>`, ShapeHTML, xml.Name{Space: "http://www.w3.org/1999/xhtml", Local: "html"}, ""},
		{"broken before the root", "<?xml version=\"1.0\"?>\n<!-- unterminated", ShapeMalformed, xml.Name{}, ""},
		{"JSON object", `{"version":"https://jsonfeed.org/version/1.1","items":[]}`, ShapeJSONObject, xml.Name{}, "JSON object with keys items, version"},
		{"JSON array", ` [{"uri":"x"}]`, ShapeJSONArray, xml.Name{}, ""},
		{"broken JSON", `{"items": [`, ShapeMalformed, xml.Name{}, ""},
		{"plain text", "\x01\x16\x16 ZCZC", ShapeText, xml.Name{}, `not XML or JSON, starts with "\x01\x16\x16 ZCZC"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SniffShape([]byte(tt.in))
			if got.Kind != tt.wantKind {
				t.Fatalf("SniffShape(%q).Kind = %v (err %v), want %v", tt.in, got.Kind, got.Err, tt.wantKind)
			}
			if diff := cmp.Diff(tt.wantRoot, got.Root); diff != "" {
				t.Errorf("SniffShape(%q).Root mismatch (-want +got):\n%s", tt.in, diff)
			}
			if tt.wantDesc != "" {
				if d := got.Describe(); d != tt.wantDesc {
					t.Errorf("Describe() = %q, want %q", d, tt.wantDesc)
				}
			}
		})
	}
}

func TestShapeAccessors(t *testing.T) {
	s := SniffShape([]byte(`<rss xmlns:a="urn:a" version="2.0" a:x="y"/>`))
	if got := s.RootAttr("version"); got != "2.0" {
		t.Errorf(`RootAttr("version") = %q, want "2.0"`, got)
	}
	if got := s.RootAttr("missing"); got != "" {
		t.Errorf(`RootAttr("missing") = %q, want ""`, got)
	}
	j := SniffShape([]byte(`{"version":"1","n":2}`))
	if got := j.JSONString("version"); got != "1" {
		t.Errorf(`JSONString("version") = %q, want "1"`, got)
	}
	if got := j.JSONString("n"); got != "" {
		t.Errorf(`JSONString("n") = %q, want "" for a number`, got)
	}
}

func TestCheckXML(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantLine int // 0: no error
	}{
		{"complete", "<a>\n<b>x &amp; y</b>\n</a>", 0},
		{"lenient like gofeed: stray ampersand and HTML entity", "<a>Fish & chips&nbsp;</a>", 0},
		{"truncated", "<rss>\n<channel>\n<title>x</title>\n", 4},
		{"broken tag", "<a>\n<b\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckXML([]byte(tt.in))
			if tt.wantLine == 0 {
				if err != nil {
					t.Errorf("CheckXML = %v, want nil", err)
				}
				return
			}
			var syn *xml.SyntaxError
			if !errors.As(err, &syn) {
				t.Fatalf("CheckXML = %v, want *xml.SyntaxError", err)
			}
			if syn.Line != tt.wantLine {
				t.Errorf("CheckXML line = %d, want %d (%v)", syn.Line, tt.wantLine, err)
			}
		})
	}
}
