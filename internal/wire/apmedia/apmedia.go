// Package apmedia decodes AP Media API JSON (a feed or search response, an
// item metadata response, or a bare item) into items.
package apmedia

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/jsonread"
)

// Format is the source.format value of items decoded from the AP Media API.
const Format = "ap-media"

// Match reports whether a payload is AP Media API JSON: an envelope whose
// data member holds an item or a list of items (with AP's api_version, or
// items carrying AP's altids), or a bare item whose altids carry AP's
// itemid and etag.
func Match(s *wire.Shape) bool {
	if s == nil || s.Kind != wire.ShapeJSONObject {
		return false
	}
	if hasAPAltIDs(s.JSON["altids"]) {
		return true
	}
	raw, ok := s.JSON["data"]
	if !ok {
		return false
	}
	var data struct {
		Item  json.RawMessage   `json:"item"`
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(raw, &data) != nil || (data.Item == nil && data.Items == nil) {
		return false
	}
	if _, ok := s.JSON["api_version"]; ok {
		return true
	}
	if data.Item != nil {
		return hasAPAltIDs(member(data.Item, "altids"))
	}
	return len(data.Items) > 0 && hasAPAltIDs(member(member(data.Items[0], "item"), "altids"))
}

// hasAPAltIDs reports whether raw is an altids object with AP's itemid and
// etag.
func hasAPAltIDs(raw json.RawMessage) bool {
	var alt map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &alt) != nil {
		return false
	}
	_, item := alt["itemid"]
	_, etag := alt["etag"]
	return item && etag
}

// member returns one member of a raw JSON object, or nil.
func member(raw json.RawMessage, key string) json.RawMessage {
	var obj map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	return obj[key]
}

// envelope is an AP Media API response: a feed or search response lists
// items in data.items, an item metadata response has data.item. A bare
// item has neither.
type envelope struct {
	Data *struct {
		Item     json.RawMessage `json:"item"`
		Items    []feedEntry     `json:"items"`
		NextPage string          `json:"next_page"`
	} `json:"data"`
	AltIDs json.RawMessage `json:"altids"`
}

// feedEntry is one entry of a feed response: the item and AP's metadata
// about its place in the feed.
type feedEntry struct {
	Item json.RawMessage `json:"item"`
}

// NextPage returns the next_page link of a feed response: the URL to poll
// for what follows this page. ok is false when the payload has none.
func NextPage(data []byte) (string, bool) {
	var env envelope
	if json.Unmarshal(wire.JSONToUTF8(data), &env) != nil || env.Data == nil {
		return "", false
	}
	next := strings.TrimSpace(env.Data.NextPage)
	return next, next != ""
}

// Decode reads an AP Media API payload into its items, in feed order. An
// entry of a feed that cannot be made an item (no item, no itemid, a type
// error) is left out with a *wire.PartialError saying why; the other items
// are returned. A single-item payload that cannot be read is a *wire.Error.
// The story text is not in these payloads (AP sends it as a NITF rendition
// to fetch separately), so body_html stays empty.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	doc, err := jsonread.Prepare(Format, data)
	if err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(doc, &env); err != nil {
		return nil, jsonread.Error(Format, doc, err)
	}
	b := builder{policy: sanitize.New(), opts: opts}
	switch {
	case env.Data != nil && env.Data.Item != nil:
		it, err := b.decodeItem(env.Data.Item)
		if err != nil {
			return nil, &wire.Error{Format: Format, Reason: "data.item: " + err.Error()}
		}
		return []story.Item{it}, nil
	case env.Data != nil && env.Data.Items != nil:
		items := make([]story.Item, 0, len(env.Data.Items))
		var skipped []wire.Skip
		for i, e := range env.Data.Items {
			if e.Item == nil || jsonread.Kind(e.Item) == "null" {
				skipped = append(skipped, wire.Skip{Index: i, Reason: "feed entry has no item"})
				continue
			}
			it, err := b.decodeItem(e.Item)
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
	case env.AltIDs != nil:
		it, err := b.decodeItem(doc)
		if err != nil {
			return nil, &wire.Error{Format: Format, Reason: err.Error()}
		}
		return []story.Item{it}, nil
	}
	return nil, &wire.Error{Format: Format, Reason: `not an AP Media API response: no "data" with an item or items, and no item "altids"`}
}

// apItem is the part of an AP item this package reads.
type apItem struct {
	AltIDs struct {
		ItemID string `json:"itemid"`
		ETag   string `json:"etag"`
	} `json:"altids"`
	Version        jsonread.Scalar `json:"version"`
	Type           string          `json:"type"`
	Urgency        jsonread.Scalar `json:"urgency"`
	Language       string          `json:"language"`
	VersionCreated string          `json:"versioncreated"`
	FirstCreated   string          `json:"firstcreated"`
	Embargoed      string          `json:"embargoed"`
	PubStatus      string          `json:"pubstatus"`
	EditorialTypes []string        `json:"editorialtypes"`
	EdNote         string          `json:"ednote"`

	Headline           string `json:"headline"`
	HeadlineExtended   string `json:"headline_extended"`
	DescriptionSummary string `json:"description_summary"`
	DescriptionCaption string `json:"description_caption"`
	Slugline           string `json:"slugline"`
	Bylines            []struct {
		By string `json:"by"`
	} `json:"bylines"`
	Photographer *struct {
		Name string `json:"name"`
	} `json:"photographer"`
	Located          string `json:"located"`
	DatelineLocation *struct {
		City string `json:"city"`
	} `json:"datelinelocation"`

	CopyrightNotice string        `json:"copyrightnotice"`
	UsageTerms      jsonread.Text `json:"usageterms"`
	Keywords        []string      `json:"keywords"`
	Subject         []apEntity    `json:"subject"`
	Person          []apEntity    `json:"person"`
	Organisation    []apEntity    `json:"organisation"`
	Place           []apEntity    `json:"place"`
	// Provider is "AP" in AP's own items; read only when it is a string.
	Provider   json.RawMessage `json:"provider"`
	Renditions map[string]struct {
		Href  string          `json:"href"`
		Words jsonread.Scalar `json:"words"`
	} `json:"renditions"`
}

// apEntity is a subject, person, organisation or place in AP's
// classification.
type apEntity struct {
	Code   jsonread.Scalar `json:"code"`
	Name   string          `json:"name"`
	Scheme string          `json:"scheme"`
}

// builder maps AP items to items with one sanitizing policy.
type builder struct {
	policy *sanitize.Policy
	opts   *wire.Options
}

// decodeItem reads one AP item; the error says why it is not an item.
func (b *builder) decodeItem(raw json.RawMessage) (story.Item, error) {
	var a apItem
	if err := json.Unmarshal(raw, &a); err != nil {
		return story.Item{}, fmt.Errorf("%s", jsonread.Error(Format, nil, err).Reason)
	}
	return b.item(&a)
}

func (b *builder) item(a *apItem) (story.Item, error) {
	var it story.Item
	// altids.itemid stays the same through every version of a story; the
	// item's uri is an API address that changes with each query.
	it.URI = strings.TrimSpace(a.AltIDs.ItemID)
	if it.URI == "" {
		return it, fmt.Errorf(`missing required key "altids.itemid"`)
	}
	// DESIGN §4 rule 2: AP's version key is the etag when no version is
	// given.
	it.Version = wire.FirstNonBlank(string(a.Version), strings.TrimSpace(a.AltIDs.ETag))

	status, err := pubStatus(a.PubStatus)
	if err != nil {
		return it, err
	}
	it.PubStatus = status
	// AP's own signals member (newscontent, whitelisted...) describes
	// licensing, not the story's lifecycle, and is not copied.
	it.Signals = editorialSignals(a.EditorialTypes)
	if slices.Contains(it.Signals, "kill") {
		it.PubStatus = story.Canceled
	}

	it.Type = strings.ToLower(strings.TrimSpace(a.Type))
	it.Language = wire.LanguageTag(a.Language)
	loc := b.opts.Loc()
	it.VersionCreated = wire.OptionalDate(a.VersionCreated, loc)
	it.FirstCreated = wire.OptionalDate(a.FirstCreated, loc)
	it.Embargoed = wire.OptionalDate(a.Embargoed, loc)
	if n, ok, err := a.Urgency.WholeNumber(); err != nil {
		return it, fmt.Errorf("urgency: %w", err)
	} else if ok {
		it.Urgency = &n
	}

	it.Headline = wire.OneLine(a.Headline)
	it.Slugline = wire.OneLine(a.Slugline)
	it.Description = strings.Trim(wire.FirstNonBlank(a.DescriptionSummary, a.DescriptionCaption, a.HeadlineExtended), asciiSpace)
	it.EdNote = strings.Trim(a.EdNote, asciiSpace)
	var bylines []string
	for _, by := range a.Bylines {
		if v := wire.OneLine(by.By); v != "" {
			bylines = append(bylines, v)
		}
	}
	it.Byline = strings.Join(bylines, ", ")
	if it.Byline == "" && a.Photographer != nil {
		it.Byline = wire.OneLine(a.Photographer.Name)
	}
	place := wire.OneLine(a.Located)
	if place == "" && a.DatelineLocation != nil {
		place = wire.OneLine(a.DatelineLocation.City)
	}
	if place != "" {
		it.Dateline = &story.Dateline{Place: place}
	}

	// The words are in the NITF rendition, fetched separately; its word
	// count is the story's.
	if r, ok := a.Renditions["nitf"]; ok {
		if n, ok, _ := r.Words.WholeNumber(); ok && n > 0 {
			it.WordCount = &n
		}
	}

	it.Subjects = entities(a.Subject)
	it.People = entities(a.Person)
	it.Organisations = entities(a.Organisation)
	it.Places = entities(a.Place)
	for _, k := range a.Keywords {
		if k = wire.OneLine(k); k != "" {
			it.Keywords = append(it.Keywords, k)
		}
	}
	it.Copyright = strings.Trim(a.CopyrightNotice, asciiSpace)
	it.UsageTerms = strings.Trim(string(a.UsageTerms), asciiSpace)

	var provider string
	_ = json.Unmarshal(a.Provider, &provider) // not a string: not a name
	it.Source = story.ItemSource{
		Format: Format,
		Agency: strings.TrimSpace(wire.FirstNonBlank(provider, wire.ConfiguredAgency(b.opts))),
		SHA256: wire.DeliverySHA256(b.opts),
	}
	return it, nil
}

// asciiSpace is the whitespace trimmed from the ends of notes; a no-break
// space is text and stays.
const asciiSpace = " \t\r\n\f"

// pubStatus reads AP's pubstatus. AP's "embargoed" is a usable item with
// an embargo time (its embargoed member), which the lifecycle honours.
func pubStatus(s string) (story.PubStatus, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "usable", "embargoed":
		return story.Usable, nil
	case "withheld":
		return story.Withheld, nil
	case "canceled", "cancelled":
		return story.Canceled, nil
	default:
		return "", fmt.Errorf("pubstatus %q is not usable, embargoed, withheld or canceled", s)
	}
}

// editorialSignals turns AP's editorial types (Kill, Correction, Advisory,
// Writethru...) into signal words: lower case, with AP's Corrective (a
// corrective to a previous story) read as a correction.
func editorialSignals(types []string) []string {
	var out []string
	for _, t := range types {
		sig := strings.ToLower(strings.Join(strings.Fields(t), ""))
		switch sig {
		case "":
			continue
		case "corrective":
			sig = "correction"
		}
		if !slices.Contains(out, sig) {
			out = append(out, sig)
		}
	}
	return out
}

func entities(es []apEntity) []story.Entity {
	var out []story.Entity
	for _, e := range es {
		ent := story.Entity{Code: string(e.Code), Name: wire.OneLine(e.Name), Scheme: strings.TrimSpace(e.Scheme)}
		if ent != (story.Entity{}) {
			out = append(out, ent)
		}
	}
	return out
}
