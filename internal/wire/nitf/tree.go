package nitf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxDepth bounds element nesting. NITF documents nest a dozen levels; the
// bound keeps the recursive walks over the tree, and the HTML parser the
// sanitizer runs afterwards (512 levels), far from their limits.
const maxDepth = 256

// node is one element or run of text of a parsed document. The tree keeps
// what the decoder reads (element local names, attributes, text) and drops
// comments and processing instructions.
type node struct {
	// name is the element's local name, namespace ignored (NITF 3.4+ puts
	// its elements in a namespace, older versions and embedders do not);
	// "" for a text node.
	name  string
	attrs []xml.Attr
	text  string // a text node's characters, entities resolved
	kids  []*node
}

// parseError is a document that cannot be read, with where it broke.
type parseError struct {
	msg          string
	line, column int // 0 when unknown
	err          error
}

func (e *parseError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s at line %d, column %d", e.msg, e.line, e.column)
	}
	return e.msg
}

func (e *parseError) Unwrap() error { return e.err }

// parseXML reads UTF-8 XML into a tree and returns a synthetic root whose
// kids are the top-level nodes. With single, the input must be a document:
// exactly one root element, nothing but whitespace around it. Without it,
// the input is a fragment (the inner XML of body.content): any run of text
// and elements.
//
// The reader is strict (a malformed document is an error, never a repaired
// half item) and knows the HTML entities (&nbsp; &pound; ...) that NITF's
// DTD declares and that producers therefore send. A document type that
// declares entities of its own is refused: encoding/xml would not expand
// them, and NITF needs none, so such a document is either broken or an
// entity bomb.
func parseXML(data []byte, single bool) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	// XMLToUTF8 has already converted the input and said so in its
	// declaration; anything it did not recognise is read as UTF-8.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	root := &node{}
	stack := []*node{root}
	rootElements := 0
	// pending collects the text of the current element up to its next
	// child or end: a run of text, CDATA and comments is one text node,
	// built in linear time however many pieces it comes in.
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			top := stack[len(stack)-1]
			top.kids = append(top.kids, &node{text: string(pending)})
			pending = pending[:0]
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := d.InputPos()
			msg := "malformed XML"
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				msg = "malformed XML: " + syn.Msg
				if syn.Msg == "unexpected EOF" {
					msg = "truncated XML: unexpected end of document"
				}
				line = syn.Line
			}
			return nil, &parseError{msg: msg, line: line, column: col, err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			if len(stack) == 1 {
				rootElements++
				if single && rootElements > 1 {
					line, col := d.InputPos()
					return nil, &parseError{msg: fmt.Sprintf("a second root element <%s> after the document's root", t.Name.Local), line: line, column: col}
				}
			}
			if len(stack) > maxDepth {
				line, col := d.InputPos()
				return nil, &parseError{msg: fmt.Sprintf("elements nested deeper than %d levels", maxDepth), line: line, column: col}
			}
			n := &node{name: t.Name.Local, attrs: t.Attr}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			flush()
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if single && len(stack) == 1 {
				if len(bytes.TrimSpace(t)) > 0 {
					line, col := d.InputPos()
					msg := "text after the root element"
					if rootElements == 0 {
						msg = "not XML: text where the root element should start"
					}
					return nil, &parseError{msg: msg, line: line, column: col}
				}
				continue
			}
			pending = append(pending, t...)
		case xml.Directive:
			if declaresEntities(t) {
				line, col := d.InputPos()
				return nil, &parseError{msg: "the document type declares entities (<!ENTITY>); refused without expanding them", line: line, column: col}
			}
		}
	}
	flush()
	if single && rootElements == 0 {
		return nil, &parseError{msg: "no root element"}
	}
	return root, nil
}

// declaresEntities reports whether a directive is a DOCTYPE with an
// internal subset declaring entities.
func declaresEntities(d xml.Directive) bool {
	return bytes.Contains(bytes.ToUpper(d), []byte("<!ENTITY"))
}

// child returns n's first child element with the given local name, or nil.
// It is safe on a nil node, so that paths read without checks in between.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// children returns n's child elements with the given local name.
func (n *node) children(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// path follows child elements by name: n.path("head", "docdata").
func (n *node) path(names ...string) *node {
	for _, name := range names {
		n = n.child(name)
	}
	return n
}

// attr returns the value of the attribute with the given local name (any
// namespace, so that xml:lang is "lang"), or "".
func (n *node) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// elements returns n's child elements, in order.
func (n *node) elements() []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name != "" {
			out = append(out, k)
		}
	}
	return out
}

// textContent returns the characters of n and everything inside it: a <br>
// is a line break, and elements named in skip are left out with their
// content.
func (n *node) textContent(skip ...string) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	n.writeText(&b, skip)
	return b.String()
}

func (n *node) writeText(b *strings.Builder, skip []string) {
	if n.name == "" {
		b.WriteString(n.text)
		return
	}
	if n.name == "br" {
		b.WriteByte('\n')
		return
	}
	for _, s := range skip {
		if n.name == s {
			return
		}
	}
	for _, k := range n.kids {
		k.writeText(b, skip)
	}
}

// blank reports whether n holds nothing a reader would see: no element and
// no text other than markup whitespace (a no-break space is content).
func (n *node) blank() bool {
	for _, k := range n.kids {
		if k.name != "" || strings.Trim(k.text, " \t\r\n") != "" {
			return false
		}
	}
	return true
}
