package rss

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// titleKind is how an Atom entry's title is to be read.
type titleKind int

const (
	titleHTML titleKind = iota // type="html", "xhtml", or markup inside
	titleText                  // type="text" (the default): shown as it is
)

// scanAtom reads a whole UTF-8 Atom document as leniently as gofeed does,
// returning the first error that would stop a parser (as wire.CheckXML
// does) and, for each entry in document order, how its title is to be read:
// gofeed decodes a text title and an HTML title alike into a string, and
// only the type attribute tells whether "<b>" in it is markup or words.
func scanAtom(doc []byte) ([]titleKind, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	var (
		titles  []titleKind
		depth   int
		inTitle bool // inside an entry's title element
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return titles, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if !atomNative(t.Name.Space) {
				continue
			}
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 2 && name == "entry":
				titles = append(titles, titleHTML)
			case depth == 3 && name == "title" && len(titles) > 0:
				inTitle = true
				titles[len(titles)-1] = textConstructKind(t.Attr)
			case depth > 3 && inTitle:
				// Elements inside a title are markup whatever its type says.
				titles[len(titles)-1] = titleHTML
			}
		case xml.EndElement:
			if depth == 3 {
				inTitle = false
			}
			depth--
		}
	}
}

// atomNative reports whether an element is in a namespace gofeed reads as
// Atom rather than as an extension.
func atomNative(space string) bool {
	switch strings.TrimSpace(space) {
	case "", nsAtom10, nsAtom03:
		return true
	}
	return false
}

// textConstructKind reads an Atom text construct's type: Atom 1.0 "text",
// "html", "xhtml", or Atom 0.3 media types ("text/plain", "text/html").
// Absent means text in both.
func textConstructKind(attrs []xml.Attr) titleKind {
	for _, a := range attrs {
		if a.Name.Local != "type" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(a.Value)) {
		case "", "text", "text/plain":
			return titleText
		}
		return titleHTML
	}
	return titleText
}
