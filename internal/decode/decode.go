// Package decode tells a delivery's wire format from its content and hands
// it to that format's decoder.
package decode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/anpa"
	"github.com/wiredesk/wiredesk/internal/wire/apmedia"
	"github.com/wiredesk/wiredesk/internal/wire/dpa"
	"github.com/wiredesk/wiredesk/internal/wire/iptc7901"
	"github.com/wiredesk/wiredesk/internal/wire/newsml1"
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
	"github.com/wiredesk/wiredesk/internal/wire/nitf"
	"github.com/wiredesk/wiredesk/internal/wire/rss"
)

// formatAuto names the format in errors raised before one is known.
const formatAuto = "auto"

// Skip is an entry a decoder left out of a delivery, and why.
type Skip = wire.Skip

// Result is what one delivery decoded to.
type Result struct {
	// Format is the detected format: "rss", "rdf", "atom", "jsonfeed".
	Format string
	// Items are the decoded items, in delivery order.
	Items []story.Item
	// Skipped are the entries left out; the items are still good.
	Skipped []Skip
}

// format is one row of the detection table: a name, how to recognise it
// from a payload's shape, and its decoder.
type format struct {
	name   string
	match  func(*wire.Shape) bool
	decode func(data []byte, opts *wire.Options) ([]story.Item, error)
}

// formats is the detection table, tried in order; the first match wins. A
// new format is one more row: its root element or JSON members, and its
// package's Decode.
func formats() []format {
	return []format{
		{rss.FormatRSS, func(s *wire.Shape) bool { return rss.XMLFormat(s) == rss.FormatRSS }, rss.Decode},
		{rss.FormatRDF, func(s *wire.Shape) bool { return rss.XMLFormat(s) == rss.FormatRDF }, rss.Decode},
		{rss.FormatAtom, func(s *wire.Shape) bool { return rss.XMLFormat(s) == rss.FormatAtom }, rss.Decode},
		{rss.FormatJSONFeed, rss.IsJSONFeed, rss.Decode},
		{newsmlg2.Format, newsmlg2.Match, newsmlg2.Decode},
		{newsml1.Format, newsml1.Match, newsml1.Decode},
		{nitf.Format, nitf.Match, nitf.Decode},
		{anpa.Format, anpa.Match, anpa.Decode},
		{iptc7901.Format, iptc7901.Match, iptc7901.Decode},
		{apmedia.Format, apmedia.Match, apmedia.Decode},
		{dpa.Format, dpa.Match, dpa.Decode},
		{ninjs.Format, ninjs.Match, ninjs.Decode},
	}
}

// Formats lists the format names Decode knows, in detection order.
func Formats() []string {
	var names []string
	for _, f := range formats() {
		names = append(names, f.name)
	}
	return names
}

func named(name string) *format {
	for _, f := range formats() {
		if f.name == name {
			return &f
		}
	}
	return nil
}

// Detect names the wire format of a payload from its content alone (never a
// file name): it looks past any byte order mark, whitespace, XML
// declaration, comments and doctype to the root element, or at the members
// of a JSON object. Anything it cannot name is a *wire.Error saying what the
// payload is instead.
func Detect(data []byte) (string, error) {
	shape := wire.SniffShape(data)
	f, err := detect(&shape)
	if err != nil {
		return "", err
	}
	return f.name, nil
}

func detect(shape *wire.Shape) (*format, error) {
	switch shape.Kind {
	case wire.ShapeEmpty:
		return nil, &wire.Error{Format: formatAuto, Reason: "empty document"}
	case wire.ShapeHTML:
		return nil, &wire.Error{Format: formatAuto, Reason: "not a feed: an HTML page"}
	case wire.ShapeMalformed:
		return nil, &wire.Error{Format: formatAuto, Reason: "cannot tell the format of a " + shape.Describe(), Err: shape.Err}
	}
	for _, f := range formats() {
		if f.match(shape) {
			return &f, nil
		}
	}
	return nil, &wire.Error{Format: formatAuto, Reason: "unknown format: " + shape.Describe()}
}

// Decode detects a payload's format and decodes it with that format's
// decoder. Entries a decoder had to leave out are in Result.Skipped, with
// the other items kept; any failure is a *wire.Error. Decode never panics.
// A payload over wire.MaxDocumentBytes is refused before anything reads it:
// the fetcher caps what it downloads, but files and pushed bodies come here
// too.
func Decode(data []byte, opts *wire.Options) (res *Result, err error) {
	return DecodeAs(data, "", opts)
}

// DecodeAs is Decode with the format named by the source's configuration
// instead of detected, for payloads whose content cannot tell (an empty dpa
// wireq response is just "{}" with an empty list). An empty format detects.
func DecodeAs(data []byte, formatName string, opts *wire.Options) (res *Result, err error) {
	if err := wire.CheckSize(formatAuto, data); err != nil {
		return nil, err
	}
	name := formatAuto
	// A decoder bug must fail this one delivery, visibly, and not the ingest
	// worker that runs every source.
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = &wire.Error{Format: name, Reason: fmt.Sprintf("decoder failed: panic: %v", r)}
		}
	}()
	var f *format
	if formatName != "" {
		if f = named(formatName); f == nil {
			return nil, &wire.Error{Format: formatName, Reason: "no decoder for this format: want one of " + strings.Join(Formats(), ", ")}
		}
	} else {
		shape := wire.SniffShape(data)
		if f, err = detect(&shape); err != nil {
			return nil, err
		}
	}
	name = f.name
	items, err := f.decode(data, opts)
	var partial *wire.PartialError
	switch {
	case errors.As(err, &partial):
		return &Result{Format: f.name, Items: items, Skipped: partial.Skipped}, nil
	case err != nil:
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, err
		}
		return nil, &wire.Error{Format: f.name, Reason: "cannot decode", Err: err}
	}
	return &Result{Format: f.name, Items: items}, nil
}
