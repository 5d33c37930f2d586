package nitf

import (
	"errors"

	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
)

// NITF's tree is xmldoc's: element names are compared by local name with
// the namespace ignored (NITF 3.4+ puts its elements in a namespace, older
// versions and embedders do not).

// parseDocument reads a UTF-8 NITF document and returns its root element.
// Errors are *xmldoc.SyntaxError.
func parseDocument(data []byte) (*xmldoc.Node, error) {
	root, err := xmldoc.Parse(data)
	return root, nitfWording(err)
}

// parseFragment reads the inner XML of body.content (any run of text and
// elements) and returns its top-level nodes.
func parseFragment(data []byte) ([]*xmldoc.Node, error) {
	top, err := xmldoc.ParseFragment(data)
	return top, nitfWording(err)
}

// nitfWording rewords the few xmldoc errors whose text NITF worded its own
// way before the readers were shared, so that its error messages stay as
// they were.
func nitfWording(err error) error {
	var se *xmldoc.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Kind {
	case xmldoc.Truncated:
		se.Msg = "truncated XML: unexpected end of document"
	case xmldoc.TextBeforeRoot:
		se.Msg = "not XML: text where the root element should start"
	case xmldoc.TextAfterRoot:
		se.Msg = "text after the root element"
	}
	return err
}
