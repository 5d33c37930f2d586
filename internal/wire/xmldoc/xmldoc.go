// Package xmldoc reads an agency XML document into a small element tree and
// renders parts of it back as HTML or XML; the NITF, NewsML-G2 and NewsML 1
// decoders share it.
package xmldoc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
)

// MaxDepth bounds element nesting. News documents nest a dozen or two
// levels; the bound keeps the recursive walks over the tree, and the HTML
// parser the sanitizer runs afterwards (512 levels), far from their limits.
const MaxDepth = 256

// Node is one element or one run of text of a parsed document. Comments,
// processing instructions and the document type are not kept.
type Node struct {
	// Name is the element's name: Space is its namespace URI, Local its
	// local name as written. Local is "" for a text node.
	Name  xml.Name
	Attrs []xml.Attr
	// Text is a text node's characters, entities resolved.
	Text string
	// Kids are the element's children, text and elements, in order.
	Kids []*Node
}

// SyntaxError is a document that cannot be read, with where it broke.
type SyntaxError struct {
	Msg          string
	Kind         ErrorKind
	Line, Column int // 0 when unknown
	Err          error
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s at line %d, column %d", e.Msg, e.Line, e.Column)
	}
	return e.Msg
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Parse reads a UTF-8 XML document (see wire.XMLToUTF8) into a tree and
// returns its root element. Errors are *SyntaxError.
//
// The reader is strict: a malformed or truncated document is an error, never
// a repaired half document. It knows the HTML entities (&nbsp; ...) that
// XHTML and NITF bodies carry. A document type that declares entities of its
// own is refused: encoding/xml would not expand them, and no news format
// needs them, so such a document is broken or an entity bomb.
func Parse(data []byte) (*Node, error) {
	top, err := parse(data, true)
	if err != nil {
		return nil, err
	}
	for _, n := range top {
		if !n.IsText() {
			return n, nil
		}
	}
	return nil, &SyntaxError{Msg: "no root element", Kind: NoRoot}
}

// ParseFragment reads UTF-8 XML that need not be a document (the inner XML
// of an element, such as NITF's body.content): any run of text and elements.
// It returns the top-level nodes. It is as strict as Parse about everything
// else.
func ParseFragment(data []byte) ([]*Node, error) {
	return parse(data, false)
}

// ErrorKind says what broke, for callers whose own wording predates this
// package's.
type ErrorKind int

// The kinds of SyntaxError.
const (
	Malformed        ErrorKind = iota // encoding/xml refused the markup
	Truncated                         // the input ends inside an element
	SecondRoot                        // a second element after the root
	TextBeforeRoot                    // text where the root element should start
	TextAfterRoot                     // text after the root element
	TooDeep                           // nesting beyond MaxDepth
	DeclaresEntities                  // a DOCTYPE declaring entities
	NoRoot                            // no element at all
)

// parse reads data into a list of top-level nodes. With document, the input
// must be one root element with nothing but whitespace around it.
func parse(data []byte, document bool) ([]*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	// The input is UTF-8 already, whatever its declaration says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	// The synthetic top holds the top-level nodes; stack[0] is always it.
	top := &Node{}
	stack := []*Node{top}
	rootElements := 0
	// pending collects the text of the current element up to its next
	// child or end: a run of text, CDATA and comments is one text node,
	// built in linear time however many pieces it comes in.
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			parent := stack[len(stack)-1]
			parent.Kids = append(parent.Kids, &Node{Text: string(pending)})
			pending = pending[:0]
		}
	}
	fail := func(kind ErrorKind, msg string) error {
		line, col := d.InputPos()
		return &SyntaxError{Msg: msg, Kind: kind, Line: line, Column: col}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := d.InputPos()
			msg := "malformed XML"
			kind := Malformed
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				msg = "malformed XML: " + syn.Msg
				if syn.Msg == "unexpected EOF" {
					msg = "truncated XML: the document ends inside an element"
					kind = Truncated
				}
				line = syn.Line
			}
			return nil, &SyntaxError{Msg: msg, Kind: kind, Line: line, Column: col, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			if len(stack) == 1 {
				rootElements++
				if document && rootElements > 1 {
					return nil, fail(SecondRoot, fmt.Sprintf("a second root element <%s> after the document's root", t.Name.Local))
				}
			}
			if len(stack) > MaxDepth {
				return nil, fail(TooDeep, fmt.Sprintf("elements nested deeper than %d levels", MaxDepth))
			}
			n := &Node{Name: t.Name, Attrs: t.Attr}
			parent := stack[len(stack)-1]
			parent.Kids = append(parent.Kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			flush()
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if document && len(stack) == 1 {
				if len(bytes.TrimSpace(t)) > 0 {
					kind := TextAfterRoot
					if rootElements == 0 {
						kind = TextBeforeRoot
					}
					return nil, fail(kind, "text outside the root element")
				}
				continue
			}
			pending = append(pending, t...)
		case xml.Directive:
			if bytes.Contains(bytes.ToUpper(t), []byte("<!ENTITY")) {
				return nil, fail(DeclaresEntities, "the document type declares entities (<!ENTITY>); refused without expanding them")
			}
		}
	}
	flush()
	return top.Kids, nil
}

// IsText reports whether n is a text node.
func (n *Node) IsText() bool { return n.Name.Local == "" }

// Is reports whether n is an element with the given local name, compared
// case-insensitively: producers disagree on case (<Header>, <ednote>).
func (n *Node) Is(local string) bool {
	return n != nil && n.Name.Local != "" && strings.EqualFold(n.Name.Local, local)
}

// Child returns n's first child element with the given local name, or nil.
// It is safe on a nil node, so that paths read without checks in between.
func (n *Node) Child(local string) *Node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Is(local) {
			return k
		}
	}
	return nil
}

// Children returns n's child elements with the given local name.
func (n *Node) Children(local string) []*Node {
	if n == nil {
		return nil
	}
	var out []*Node
	for _, k := range n.Kids {
		if k.Is(local) {
			out = append(out, k)
		}
	}
	return out
}

// Path follows child elements by local name: n.Path("itemMeta", "pubStatus").
func (n *Node) Path(locals ...string) *Node {
	for _, l := range locals {
		n = n.Child(l)
	}
	return n
}

// Elements returns n's child elements, in order.
func (n *Node) Elements() []*Node {
	if n == nil {
		return nil
	}
	var out []*Node
	for _, k := range n.Kids {
		if !k.IsText() {
			out = append(out, k)
		}
	}
	return out
}

// Attr returns the value of the attribute with the given local name (any
// namespace, so that xml:lang is "lang"), or "".
func (n *Node) Attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attrs {
		if strings.EqualFold(a.Name.Local, local) && !isNamespaceDecl(a) {
			return a.Value
		}
	}
	return ""
}

// HasAttr reports whether n has the attribute at all, empty or not.
func (n *Node) HasAttr(local string) bool {
	if n == nil {
		return false
	}
	for _, a := range n.Attrs {
		if strings.EqualFold(a.Name.Local, local) && !isNamespaceDecl(a) {
			return true
		}
	}
	return false
}

// Content returns the characters of n and everything inside it, in
// document order, as written; a <br> counts as a line break. Elements
// inside n named in skip are left out with their content (a byline's
// <byttl> title, say).
func (n *Node) Content(skip ...string) string {
	if n == nil {
		return ""
	}
	if n.IsText() {
		return n.Text
	}
	var b strings.Builder
	n.writeContent(&b, skip)
	return b.String()
}

func (n *Node) writeContent(b *strings.Builder, skip []string) {
	for _, k := range n.Kids {
		if k.IsText() {
			b.WriteString(k.Text)
			continue
		}
		// A line break is the space a browser would show between words.
		if strings.EqualFold(k.Name.Local, "br") {
			b.WriteByte('\n')
			continue
		}
		if slices.ContainsFunc(skip, k.Is) {
			continue
		}
		k.writeContent(b, skip)
	}
}

// Blank reports whether n holds nothing a reader would see: no element and
// no text other than markup whitespace (a no-break space is content).
func (n *Node) Blank() bool {
	if n == nil {
		return true
	}
	for _, k := range n.Kids {
		if !k.IsText() || strings.Trim(k.Text, markupSpace) != "" {
			return false
		}
	}
	return true
}

// markupSpace is the whitespace markup collapses; U+00A0 is text.
const markupSpace = " \t\r\n\f"

// isNamespaceDecl reports whether an attribute is an xmlns declaration
// rather than data.
func isNamespaceDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}

// voidElement reports the HTML elements that have no end tag.
func voidElement(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
		"source", "track", "wbr":
		return true
	}
	return false
}

// HTML renders nodes as HTML: element local names in lower case,
// attributes without a namespace, text escaped. It is for XHTML content;
// nothing is sanitized here.
func HTML(nodes []*Node) string {
	var b strings.Builder
	for _, n := range nodes {
		writeHTML(&b, n)
	}
	return b.String()
}

func writeHTML(b *strings.Builder, n *Node) {
	if n.IsText() {
		b.WriteString(html.EscapeString(n.Text))
		return
	}
	name := strings.ToLower(n.Name.Local)
	b.WriteByte('<')
	b.WriteString(name)
	for _, a := range n.Attrs {
		if a.Name.Space != "" || isNamespaceDecl(a) {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(strings.ToLower(a.Name.Local))
		b.WriteString(`="`)
		b.WriteString(html.EscapeString(a.Value))
		b.WriteByte('"')
	}
	b.WriteByte('>')
	if voidElement(name) {
		return
	}
	for _, k := range n.Kids {
		writeHTML(b, k)
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// XML renders n as a standalone XML element: local names, attributes
// without a namespace, text escaped. Namespaces are left out on purpose:
// an embedded document (NITF in NewsML) may inherit a namespace, or
// prefixes, from the envelope, and its reader goes by local names.
func XML(n *Node) []byte {
	var b bytes.Buffer
	writeXML(&b, n)
	return b.Bytes()
}

func writeXML(b *bytes.Buffer, n *Node) {
	if n.IsText() {
		_ = xml.EscapeText(b, []byte(n.Text)) // a bytes.Buffer does not fail
		return
	}
	b.WriteByte('<')
	b.WriteString(n.Name.Local)
	for _, a := range n.Attrs {
		if a.Name.Space != "" || isNamespaceDecl(a) {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(a.Name.Local)
		b.WriteString(`="`)
		_ = xml.EscapeText(b, []byte(a.Value))
		b.WriteByte('"')
	}
	if len(n.Kids) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, k := range n.Kids {
		writeXML(b, k)
	}
	b.WriteString("</")
	b.WriteString(n.Name.Local)
	b.WriteByte('>')
}
