package wire

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ShapeKind is what a payload is at first sight.
type ShapeKind int

// The kinds of payload SniffShape tells apart.
const (
	// ShapeEmpty: nothing but whitespace (or a byte order mark).
	ShapeEmpty ShapeKind = iota
	// ShapeXML: an XML document; Shape.Root names its root element.
	ShapeXML
	// ShapeHTML: an HTML page, often served at a feed URL by mistake.
	ShapeHTML
	// ShapeJSONObject: a JSON object; Shape.JSON holds its members.
	ShapeJSONObject
	// ShapeJSONArray: a JSON array.
	ShapeJSONArray
	// ShapeMalformed: starts like XML or JSON but cannot be read up to its
	// root; Shape.Err says why.
	ShapeMalformed
	// ShapeText: anything else (plain text wire formats, binary).
	ShapeText
)

func (k ShapeKind) String() string {
	switch k {
	case ShapeEmpty:
		return "empty"
	case ShapeXML:
		return "XML"
	case ShapeHTML:
		return "HTML"
	case ShapeJSONObject:
		return "JSON object"
	case ShapeJSONArray:
		return "JSON array"
	case ShapeMalformed:
		return "malformed"
	case ShapeText:
		return "text"
	}
	return fmt.Sprintf("ShapeKind(%d)", int(k))
}

// Shape is what SniffShape learnt from a payload's content, enough for a
// detector to name its format.
type Shape struct {
	Kind ShapeKind
	// Root is the XML root element: Space is its namespace URI, Local its
	// name as written.
	Root xml.Name
	// RootAttrs are the root element's attributes (RSS carries its version
	// there), with namespace prefixes resolved.
	RootAttrs []xml.Attr
	// JSON holds the members of a top-level JSON object.
	JSON map[string]json.RawMessage
	// Err says why a ShapeMalformed payload could not be read.
	Err error
	// Start is the payload's first bytes after any byte order mark and
	// whitespace, as text for messages.
	Start string
}

// RootAttr returns the value of the root element's attribute with the given
// local name (any namespace), or "".
func (s *Shape) RootAttr(local string) string {
	for _, a := range s.RootAttrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// JSONString returns the top-level JSON member key when it is a string, or "".
func (s *Shape) JSONString(key string) string {
	raw, ok := s.JSON[key]
	if !ok {
		return ""
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v
}

// Describe says in a few words what the payload is, for "unknown format"
// messages: "XML root element <nitf>", "JSON object with keys a, b".
func (s *Shape) Describe() string {
	switch s.Kind {
	case ShapeXML, ShapeHTML:
		if s.Root.Local == "" {
			return s.Kind.String() + " document"
		}
		if s.Root.Space != "" {
			return fmt.Sprintf("%s root element <%s xmlns=%q>", s.Kind, s.Root.Local, s.Root.Space)
		}
		return fmt.Sprintf("%s root element <%s>", s.Kind, s.Root.Local)
	case ShapeJSONObject:
		keys := make([]string, 0, len(s.JSON))
		for k := range s.JSON {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		const most = 8
		if len(keys) > most {
			keys = append(keys[:most], "...")
		}
		if len(keys) == 0 {
			return "empty JSON object"
		}
		return "JSON object with keys " + strings.Join(keys, ", ")
	case ShapeMalformed:
		return fmt.Sprintf("malformed document (%v)", s.Err)
	case ShapeText:
		return fmt.Sprintf("not XML or JSON, starts with %q", s.Start)
	}
	return s.Kind.String()
}

// SniffShape looks at a payload's content (never a file name) past any byte
// order mark, whitespace, XML declaration, comments and doctype, to its root
// element or JSON shape. XML is read through XMLToUTF8, so any charset is
// fine. It reads no further than it must, except that a JSON object is parsed
// whole to list its members.
func SniffShape(data []byte) Shape {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte(utf8BOM)), " \t\r\n\f")
	if _, ok := utf16Decoder(trimmed); ok {
		trimmed = bytes.TrimLeft(XMLToUTF8(trimmed), " \t\r\n\f")
	}
	s := Shape{Start: startText(trimmed)}
	if len(trimmed) == 0 {
		s.Kind = ShapeEmpty
		return s
	}
	switch trimmed[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(RepairUTF8(trimmed), &obj); err != nil {
			s.Kind, s.Err = ShapeMalformed, fmt.Errorf("JSON: %w", err)
			return s
		}
		s.Kind, s.JSON = ShapeJSONObject, obj
		return s
	case '[':
		if !json.Valid(RepairUTF8(trimmed)) {
			s.Kind, s.Err = ShapeMalformed, errors.New("JSON array is not valid JSON")
			return s
		}
		s.Kind = ShapeJSONArray
		return s
	case '<':
		return sniffMarkup(XMLToUTF8(trimmed), s)
	}
	s.Kind = ShapeText
	return s
}

// sniffMarkup reads markup up to its root element.
func sniffMarkup(data []byte, s Shape) Shape {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false // as gofeed reads feeds: unquoted attributes, stray "&"
	for {
		tok, err := d.Token()
		if err != nil {
			if looksLikeHTML(data) {
				s.Kind = ShapeHTML
				return s
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("no root element")
			}
			s.Kind, s.Err = ShapeMalformed, err
			return s
		}
		switch t := tok.(type) {
		case xml.Directive:
			if isHTMLDoctype(t) {
				s.Kind = ShapeHTML
				return s
			}
		case xml.StartElement:
			s.Root, s.RootAttrs = t.Name, t.Attr
			s.Kind = ShapeXML
			switch strings.ToLower(t.Name.Local) {
			case "html", "head", "body":
				s.Kind = ShapeHTML
			}
			return s
		}
	}
}

func isHTMLDoctype(d xml.Directive) bool {
	f := strings.Fields(strings.ToLower(string(d)))
	return len(f) >= 2 && f[0] == "doctype" && f[1] == "html"
}

// looksLikeHTML recognises HTML that an XML tokenizer cannot read to its
// root: "<!doctype html>" or "<html lang=en>" with HTML-only syntax.
func looksLikeHTML(data []byte) bool {
	const most = 512
	if len(data) > most {
		data = data[:most]
	}
	lower := strings.ToLower(string(data))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body"} {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// startText returns up to 32 bytes of b as valid text for messages.
func startText(b []byte) string {
	const most = 32
	if len(b) > most {
		b = b[:most]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// CheckXML reads a whole UTF-8 XML document as leniently as gofeed does
// (non-strict: stray "&", unknown entities and mismatched end tags pass) and
// returns the first error that would stop a parser: a truncated or broken
// document. The *xml.SyntaxError it returns carries the line.
func CheckXML(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
