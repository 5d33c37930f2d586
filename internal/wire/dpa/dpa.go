// Package dpa decodes dpa digitalwires JSON (one entry, or a wireq response's
// entries) into items.
package dpa

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/jsonread"
)

// Format is the source.format value of items decoded from dpa digitalwires.
const Format = "dpa-digitalwires"

// Match reports whether a payload is dpa digitalwires JSON: an entry (its
// urn with an entry_id, version_created or article_html beside it, or a
// format naming digitalwires), or a wireq response whose first entry is
// one. An empty wireq response cannot be told from other JSON and is not
// claimed.
func Match(s *wire.Shape) bool {
	if s == nil || s.Kind != wire.ShapeJSONObject {
		return false
	}
	if isEntry(s.JSON) {
		return true
	}
	var entries []map[string]json.RawMessage
	if raw, ok := s.JSON["entries"]; !ok || json.Unmarshal(raw, &entries) != nil || len(entries) == 0 {
		return false
	}
	return isEntry(entries[0])
}

func isEntry(obj map[string]json.RawMessage) bool {
	if _, ok := obj["urn"]; !ok {
		return false
	}
	for _, k := range []string{"entry_id", "version_created", "article_html"} {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	var format string
	return json.Unmarshal(obj["format"], &format) == nil && strings.HasPrefix(format, "digitalwires")
}

// Decode reads a digitalwires payload into its items, in delivery order.
// An entry of a wireq response that cannot be made an item is left out with
// a *wire.PartialError saying why; a single entry that cannot be is a
// *wire.Error.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	doc, err := jsonread.Prepare(Format, data)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, jsonread.Error(Format, doc, err)
	}
	b := builder{policy: sanitize.New(), opts: opts}
	if _, single := top["urn"]; single || top["entries"] == nil {
		var e entry
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, jsonread.Error(Format, doc, err)
		}
		it, err := b.item(&e)
		if err != nil {
			return nil, &wire.Error{Format: Format, Reason: err.Error()}
		}
		return []story.Item{it}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(top["entries"], &list); err != nil {
		return nil, &wire.Error{Format: Format, Reason: `"entries" is not an array`, Err: err}
	}
	items := make([]story.Item, 0, len(list))
	var skipped []wire.Skip
	for i, raw := range list {
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			skipped = append(skipped, wire.Skip{Index: i, Reason: jsonread.Error(Format, nil, err).Reason})
			continue
		}
		it, err := b.item(&e)
		if err != nil {
			skipped = append(skipped, wire.Skip{Index: i, Reason: err.Error()})
			continue
		}
		items = append(items, it)
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: Format, Skipped: skipped}
	}
	return items, nil
}

// entry is the part of a digitalwires entry this package reads.
type entry struct {
	URN            string          `json:"urn"`
	Version        jsonread.Scalar `json:"version"`
	VersionCreated string          `json:"version_created"`
	// Updated is when the entry was last delivered, the version's time
	// when version_created is missing.
	Updated   string          `json:"updated"`
	Embargoed string          `json:"embargoed"`
	PubStatus string          `json:"pubstatus"`
	Signal    string          `json:"signal"`
	Language  string          `json:"language"`
	Urgency   jsonread.Scalar `json:"urgency"`

	Headline        string `json:"headline"`
	Teaser          string `json:"teaser"`
	Byline          string `json:"byline"`
	Dateline        string `json:"dateline"`
	ArticleHTML     string `json:"article_html"`
	InfoboxHTML     string `json:"infobox_html"`
	LinkboxHTML     string `json:"linkbox_html"`
	Creditline      string `json:"creditline"`
	CopyrightNotice string `json:"copyrightnotice"`
	UsageTerms      string `json:"usageterms"`
	EdNotes         []struct {
		Role   string `json:"role"`
		EdNote string `json:"ednote"`
	} `json:"ednotes"`
	Categories []struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		QCode string `json:"qcode"`
	} `json:"categories"`
}

// builder maps entries to items with one sanitizing policy.
type builder struct {
	policy *sanitize.Policy
	opts   *wire.Options
}

// asciiSpace is the whitespace trimmed from the ends of notes; a no-break
// space is text and stays.
const asciiSpace = " \t\r\n\f"

// The ednote roles read as signals or left out.
const (
	roleClosingLine = "dpaednoterole:closingline"
	roleCorrection  = "dpaednoterole:correctionshort"
)

func (b *builder) item(e *entry) (story.Item, error) {
	var it story.Item
	it.URI = strings.TrimSpace(e.URN)
	if it.URI == "" {
		return it, fmt.Errorf(`missing required key "urn"`)
	}
	it.Version = string(e.Version)
	status, err := pubStatus(e.PubStatus)
	if err != nil {
		return it, err
	}
	it.PubStatus = status
	// dpa's signal is an IPTC signal QCode: sig:correction, sig:update,
	// sig:repeat.
	if sig := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(e.Signal), "sig:"))); sig != "" {
		it.Signals = append(it.Signals, sig)
	}

	loc := b.opts.Loc()
	it.VersionCreated = wire.OptionalDate(wire.FirstNonBlank(e.VersionCreated, e.Updated), loc)
	it.Embargoed = wire.OptionalDate(e.Embargoed, loc)
	it.Language = wire.LanguageTag(e.Language)
	if n, ok, err := e.Urgency.WholeNumber(); err != nil {
		return it, fmt.Errorf("urgency: %w", err)
	} else if ok {
		it.Urgency = &n
	}

	it.Headline = wire.OneLine(e.Headline)
	it.Byline = wire.OneLine(e.Byline)
	it.Description = strings.Trim(e.Teaser, asciiSpace)
	it.Dateline = dateline(e.Dateline)

	// The info box (facts) and link box are published below the article.
	body := e.ArticleHTML + e.InfoboxHTML + e.LinkboxHTML
	if strings.TrimSpace(e.ArticleHTML) != "" {
		// dpa's own converters make an entry with an article a text item,
		// whatever its type (often "composite": text with pictures).
		it.Type = "text"
	}
	if strings.TrimSpace(body) != "" {
		it.BodyHTML = b.policy.HTML(body)
		it.BodyText = b.policy.Text(it.BodyHTML)
	}

	var notes []string
	for _, n := range e.EdNotes {
		text := strings.Trim(n.EdNote, asciiSpace)
		switch {
		case text == "":
			continue
		case n.Role == roleClosingLine:
			// The editor's sign-off ("dpa abc yydd n1 sku"), not a note.
			continue
		case n.Role == roleCorrection && !slices.Contains(it.Signals, "correction"):
			it.Signals = append(it.Signals, "correction")
		}
		notes = append(notes, text)
	}
	it.EdNote = strings.Join(notes, "\n")

	var provider string
	for _, c := range e.Categories {
		name := wire.OneLine(c.Name)
		switch c.Type {
		case "dnltype:dpasubject", "dnltype:desk":
			it.Subjects = appendEntity(it.Subjects, qcodeEntity(c.QCode, name))
		case "dnltype:geosubject":
			it.Places = appendEntity(it.Places, qcodeEntity(c.QCode, name))
		case "dnltype:keyword":
			if name != "" && !slices.Contains(it.Keywords, name) {
				it.Keywords = append(it.Keywords, name)
			}
		case "dnltype:provider":
			if provider == "" {
				provider = name
			}
		}
	}

	it.Copyright = strings.Trim(e.CopyrightNotice, asciiSpace)
	it.UsageTerms = strings.Trim(e.UsageTerms, asciiSpace)
	it.Source = story.ItemSource{
		Format: Format,
		Agency: strings.TrimSpace(wire.FirstNonBlank(provider, e.Creditline, wire.ConfiguredAgency(b.opts))),
		SHA256: wire.DeliverySHA256(b.opts),
	}
	return it, nil
}

// pubStatus reads dpa's publishing status; absent means usable.
func pubStatus(s string) (story.PubStatus, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "usable":
		return story.Usable, nil
	case "withheld":
		return story.Withheld, nil
	case "canceled", "cancelled":
		return story.Canceled, nil
	default:
		return "", fmt.Errorf("pubstatus %q is not usable, withheld or canceled", s)
	}
}

// datelineParts reads dpa's dateline, "Berlin (dpa) - ": the place, then
// the agency in brackets, then a dash.
var datelineParts = regexp.MustCompile(`^(.*?)\s*\(([^()]+)\)\s*[-–—]?\s*$`)

// dateline splits a dateline into place and source, keeping both as
// written; one it cannot split is all place.
func dateline(s string) *story.Dateline {
	s = wire.OneLine(s)
	if s == "" {
		return nil
	}
	if m := datelineParts.FindStringSubmatch(s); m != nil && m[1] != "" {
		return &story.Dateline{Place: m[1], Source: strings.TrimSpace(m[2])}
	}
	place := strings.TrimRight(s, " -–—")
	if place == "" {
		return nil
	}
	return &story.Dateline{Place: place}
}

// qcodeEntity makes an entity of a QCode ("medtop:20000651"): scheme alias
// and code.
func qcodeEntity(qcode, name string) story.Entity {
	qcode = strings.TrimSpace(qcode)
	if scheme, code, ok := strings.Cut(qcode, ":"); ok && scheme != "" && code != "" {
		return story.Entity{Code: code, Name: name, Scheme: scheme}
	}
	return story.Entity{Code: qcode, Name: name}
}

func appendEntity(list []story.Entity, e story.Entity) []story.Entity {
	if e == (story.Entity{}) {
		return list
	}
	for _, have := range list {
		if have == e {
			return list
		}
	}
	return append(list, e)
}
