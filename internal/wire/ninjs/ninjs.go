// Package ninjs decodes IPTC ninjs (News in JSON) 1.x, 2.x and 3.x
// documents into items, and encodes items as ninjs 2.1.
package ninjs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/jsonread"
)

// Format is the source.format value of items decoded from ninjs.
const Format = "ninjs"

// signalURIPrefix marks the genres through which Encode carries an item's
// signals (ninjs 2.1 has no member for them); Decode reads them back.
const signalURIPrefix = "urn:wiredesk:signal:"

// idURIPrefix wraps an agency id that is not itself a URI, so that Encode's
// uri member is always one (the schema says so); Decode unwraps it.
const idURIPrefix = "urn:wiredesk:id:"

// Match reports whether a payload is a ninjs document: a JSON object with
// its identifier (uri, or guid as Superdesk's ninjs output has it) and at
// least one member only ninjs has, or a $schema / standard naming ninjs. It
// does not claim AP Media API items or dpa digitalwires entries, which look
// alike at first sight but have their own decoders.
func Match(s *wire.Shape) bool {
	if s == nil || s.Kind != wire.ShapeJSONObject {
		return false
	}
	if s.JSONString("uri") == "" && s.JSONString("guid") == "" {
		return false
	}
	if isAPItem(s) || isDPAEntry(s) {
		return false
	}
	if strings.Contains(strings.ToLower(s.JSONString("$schema")), "ninjs") {
		return true
	}
	var std struct {
		Name string `json:"name"`
	}
	if raw, ok := s.JSON["standard"]; ok && json.Unmarshal(raw, &std) == nil && strings.Contains(strings.ToLower(std.Name), "ninjs") {
		return true
	}
	for _, k := range []string{
		"versioncreated", "versionCreated", "firstcreated", "firstCreated",
		"pubstatus", "pubStatus", "headline", "headlines", "bodies",
		"body_html", "body_text", "body_xhtml",
	} {
		if _, ok := s.JSON[k]; ok {
			return true
		}
	}
	switch s.JSONString("type") {
	case "text", "picture", "graphic", "video", "audio", "composite", "component":
		return true
	}
	return false
}

// isAPItem recognises a bare AP Media API item: its altids object carries
// AP's itemid and etag.
func isAPItem(s *wire.Shape) bool {
	var alt map[string]json.RawMessage
	if raw, ok := s.JSON["altids"]; !ok || json.Unmarshal(raw, &alt) != nil {
		return false
	}
	_, item := alt["itemid"]
	_, etag := alt["etag"]
	return item && etag
}

// isDPAEntry recognises a dpa digitalwires entry by its urn and entry_id.
func isDPAEntry(s *wire.Shape) bool {
	_, urn := s.JSON["urn"]
	_, entry := s.JSON["entry_id"]
	return urn && entry
}

// Decode reads one ninjs document into its items: the document's own item
// first, then one item for each associated picture, graphic, video or audio
// object, with its own uri. Associations that are not media (a related text,
// a package) are left out with a *wire.PartialError saying so, as are
// associations that cannot be identified; the document's item is still
// returned. A document that cannot be read, or has no uri, is a *wire.Error
// and no items.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	doc, err := jsonread.Prepare(Format, data)
	if err != nil {
		return nil, err
	}
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, jsonread.Error(Format, doc, err)
	}
	b := builder{policy: sanitize.New(), opts: opts}
	main, err := b.item(&d, wire.ConfiguredAgency(opts))
	if err != nil {
		return nil, &wire.Error{Format: Format, Reason: err.Error()}
	}
	items := []story.Item{main}
	var skipped []wire.Skip
	for i, a := range d.Associations {
		index := i + 1
		var ad document
		if err := json.Unmarshal(a.raw, &ad); err != nil {
			skipped = append(skipped, wire.Skip{Index: index, Reason: fmt.Sprintf("association %q: %s", a.name, jsonread.Error(Format, nil, err).Reason)})
			continue
		}
		switch t := strings.ToLower(strings.TrimSpace(ad.Type)); t {
		case "picture", "graphic", "video", "audio":
		default:
			if t == "" {
				t = "untyped"
			}
			skipped = append(skipped, wire.Skip{Index: index, Reason: fmt.Sprintf("association %q is a %s object, not a media item of its own", a.name, t)})
			continue
		}
		it, err := b.item(&ad, main.Source.Agency)
		if err != nil {
			skipped = append(skipped, wire.Skip{Index: index, Reason: fmt.Sprintf("association %q: %v", a.name, err)})
			continue
		}
		it.Link = renditionLink(ad.Renditions)
		items = append(items, it)
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: Format, Skipped: skipped}
	}
	return items, nil
}

// document is one ninjs object as any version writes it. encoding/json
// matches member names without regard to case, so ninjs 3's camelCase
// (versionCreated, pubStatus, edNote, infoSources, charCount...) fills the
// same fields as 1.x and 2.x. Members that 1.x names in the singular and
// 2.x in the plural have a field each.
type document struct {
	URI string `json:"uri"`
	// GUID is Superdesk's identifier in its ninjs 1.x output, which may
	// have no uri.
	GUID           string          `json:"guid"`
	Type           string          `json:"type"`
	Version        jsonread.Scalar `json:"version"`
	VersionCreated string          `json:"versioncreated"`
	FirstCreated   string          `json:"firstcreated"`
	Embargoed      string          `json:"embargoed"`
	EmbargoedUntil string          `json:"embargoedUntil"` // ninjs 3
	PubStatus      string          `json:"pubstatus"`
	Urgency        jsonread.Scalar `json:"urgency"`
	Language       string          `json:"language"`

	Headline  string     `json:"headline"` // 1.x
	Headlines []rendered `json:"headlines"`
	Byline    string     `json:"byline"` // 1.x
	By        string     `json:"by"`
	Slugline  string     `json:"slugline"`
	Located   string     `json:"located"`
	EdNote    string     `json:"ednote"`

	DescriptionText string     `json:"description_text"` // 1.x
	DescriptionHTML string     `json:"description_html"` // 1.x
	Descriptions    []rendered `json:"descriptions"`

	BodyHTML  string     `json:"body_html"`  // 1.x
	BodyXHTML string     `json:"body_xhtml"` // 1.0
	BodyText  string     `json:"body_text"`  // 1.x
	Bodies    []rendered `json:"bodies"`
	// WordCount is Superdesk's top-level count; 2.x puts it on each body.
	WordCount jsonread.Scalar `json:"wordcount"`

	Subjects      []concept `json:"subjects"`
	Subject       []concept `json:"subject"` // 1.x
	Places        []concept `json:"places"`
	Place         []concept `json:"place"` // 1.x
	People        []concept `json:"people"`
	Person        []concept `json:"person"` // 1.x
	Organisations []concept `json:"organisations"`
	Organisation  []concept `json:"organisation"` // 1.x
	Genres        []concept `json:"genres"`
	Keywords      []string  `json:"keywords"` // 1.x

	CopyrightHolder string        `json:"copyrightholder"`
	CopyrightNotice string        `json:"copyrightnotice"`
	UsageTerms      jsonread.Text `json:"usageterms"`
	InfoSources     []concept     `json:"infosources"`
	// Source is Superdesk's name of the originating agency (a string);
	// other producers use the key for other things, so it is read only
	// when it is a string.
	Source json.RawMessage `json:"source"`

	Renditions   json.RawMessage `json:"renditions"`
	Associations associations    `json:"associations"`
}

// rendered is one entry of headlines, descriptions or bodies.
type rendered struct {
	Role        string          `json:"role"`
	ContentType string          `json:"contenttype"`
	Value       string          `json:"value"`
	WordCount   jsonread.Scalar `json:"wordcount"`
}

// concept is a subject, place, person, organisation, genre or info source:
// 2.x identifies it by uri and literal, 1.x (and Superdesk) by code and
// scheme.
type concept struct {
	Name    string          `json:"name"`
	URI     string          `json:"uri"`
	Literal jsonread.Scalar `json:"literal"`
	Code    jsonread.Scalar `json:"code"`
	Scheme  string          `json:"scheme"`
}

// association is one associated object, with its name (the key in 1.x, the
// name member in 2.x), kept raw so that one broken association does not
// lose the document.
type association struct {
	name string
	raw  json.RawMessage
}

// associations reads both shapes: 1.x's object of named objects, in
// document order, and 2.x's array of objects.
type associations []association

func (as *associations) UnmarshalJSON(b []byte) error {
	switch jsonread.Kind(b) {
	case "null":
		*as = nil
		return nil
	case "array":
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		for i, raw := range list {
			var named struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(raw, &named) // a non-object is reported when it is decoded
			if named.Name == "" {
				named.Name = fmt.Sprintf("#%d", i+1)
			}
			*as = append(*as, association{name: named.Name, raw: raw})
		}
		return nil
	case "object":
		dec := json.NewDecoder(bytes.NewReader(b))
		if _, err := dec.Token(); err != nil { // {
			return err
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if string(raw) == "null" {
				continue // Superdesk writes empty association slots as null
			}
			*as = append(*as, association{name: fmt.Sprint(key), raw: raw})
		}
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonread.Kind(b), Type: reflect.TypeFor[associations]()}
}

// WantJSON says what associations accepts, for error messages.
func (associations) WantJSON() string { return "an object or an array of objects" }

// builder maps documents to items with one sanitizing policy.
type builder struct {
	policy *sanitize.Policy
	opts   *wire.Options
}

// item maps one ninjs object to an item; agency is the one named by the
// enclosing document or configured, used when the object names none. The
// error says, in an operator's words, why the object is not an item.
func (b *builder) item(d *document, agency string) (story.Item, error) {
	var it story.Item
	switch id := strings.TrimSpace(d.URI); {
	case strings.HasPrefix(id, idURIPrefix):
		raw, err := url.PathUnescape(strings.TrimPrefix(id, idURIPrefix))
		if err != nil || raw == "" {
			return it, fmt.Errorf("uri %q is not a wrapped id", id)
		}
		it.URI = raw
	case id != "":
		it.URI = id
	case strings.TrimSpace(d.GUID) != "":
		it.URI = strings.TrimSpace(d.GUID)
	default:
		return it, fmt.Errorf(`missing required key "uri"`)
	}

	status, err := pubStatus(d.PubStatus)
	if err != nil {
		return it, err
	}
	it.PubStatus = status
	it.Version = string(d.Version)
	it.Type = strings.ToLower(strings.TrimSpace(d.Type))
	it.Language = wire.LanguageTag(d.Language)

	loc := b.opts.Loc()
	it.VersionCreated = wire.OptionalDate(d.VersionCreated, loc)
	it.FirstCreated = wire.OptionalDate(d.FirstCreated, loc)
	it.Embargoed = wire.OptionalDate(wire.FirstNonBlank(d.Embargoed, d.EmbargoedUntil), loc)

	if n, ok, err := d.Urgency.WholeNumber(); err != nil {
		return it, fmt.Errorf("urgency: %w", err)
	} else if ok {
		it.Urgency = &n
	}

	it.Headline = wire.OneLine(wire.FirstNonBlank(d.Headline, mainHeadline(d.Headlines)))
	it.Byline = wire.OneLine(wire.FirstNonBlank(d.Byline, d.By))
	it.Slugline = wire.OneLine(d.Slugline)
	if place := wire.OneLine(d.Located); place != "" {
		it.Dateline = &story.Dateline{Place: place}
	}
	it.EdNote = strings.Trim(d.EdNote, asciiSpace)
	it.Description = b.description(d)

	body, err := chooseBody(d)
	if err != nil {
		return it, err
	}
	if body.html != "" {
		it.BodyHTML = b.policy.HTML(body.html)
		it.BodyText = b.policy.Text(it.BodyHTML)
	}
	it.WordCount = body.wordCount
	if it.WordCount == nil {
		// A count of 0 next to a body is a placeholder, not a statement.
		if n, ok, _ := d.WordCount.WholeNumber(); ok && n > 0 {
			it.WordCount = &n
		}
	}

	it.Subjects = entities(d.Subjects, d.Subject)
	it.Places = entities(d.Places, d.Place)
	it.People = entities(d.People, d.Person)
	it.Organisations = entities(d.Organisations, d.Organisation)
	it.Signals = signals(d.Genres)
	for _, k := range d.Keywords {
		if k = wire.OneLine(k); k != "" {
			it.Keywords = append(it.Keywords, k)
		}
	}
	it.Copyright = strings.Trim(d.CopyrightNotice, asciiSpace)
	it.UsageTerms = strings.Trim(string(d.UsageTerms), asciiSpace)

	it.Source = story.ItemSource{
		Format: Format,
		Agency: wire.FirstNonBlank(d.CopyrightHolder, stringValue(d.Source), infoSourceName(d.InfoSources), agency),
		SHA256: wire.DeliverySHA256(b.opts),
	}
	it.Source.Agency = strings.TrimSpace(it.Source.Agency)
	return it, nil
}

// asciiSpace is the whitespace trimmed from the ends of notes; a no-break
// space is text and stays.
const asciiSpace = " \t\r\n\f"

// pubStatus reads ninjs's publishing status; absent means usable (the
// schema's default).
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

// mainHeadline picks the headline with role "main", else the first one.
func mainHeadline(hs []rendered) string {
	for _, h := range hs {
		if strings.EqualFold(strings.TrimSpace(h.Role), "main") && strings.TrimSpace(h.Value) != "" {
			return h.Value
		}
	}
	for _, h := range hs {
		if strings.TrimSpace(h.Value) != "" {
			return h.Value
		}
	}
	return ""
}

// description is the first description given, as plain text.
func (b *builder) description(d *document) string {
	if v := strings.Trim(d.DescriptionText, asciiSpace); v != "" {
		return v
	}
	if v := b.policy.Text(b.policy.HTML(d.DescriptionHTML)); v != "" {
		return v
	}
	for _, desc := range d.Descriptions {
		v := desc.Value
		if isHTML(desc.ContentType) {
			v = b.policy.Text(b.policy.HTML(v))
		}
		if v = strings.Trim(v, asciiSpace); v != "" {
			return v
		}
	}
	return ""
}

// entities maps 2.x and 1.x concept lists to entities, 2.x's first.
func entities(lists ...[]concept) []story.Entity {
	var out []story.Entity
	for _, list := range lists {
		for _, c := range list {
			e := story.Entity{Name: wire.OneLine(c.Name)}
			switch {
			case c.Code != "":
				e.Code, e.Scheme = string(c.Code), strings.TrimSpace(c.Scheme)
			case strings.TrimSpace(c.URI) != "":
				e.Scheme, e.Code = splitConceptURI(strings.TrimSpace(c.URI))
			case c.Literal != "":
				e.Code = string(c.Literal)
			}
			if e != (story.Entity{}) {
				out = append(out, e)
			}
		}
	}
	return out
}

// splitConceptURI splits a concept URI into scheme and code: a URL at its
// last "/" or "#" ("http://cv.iptc.org/newscodes/mediatopic/" and
// "15000000"), a QCode-like URI at its first ":" ("medtop", "20000651").
// Encode joins them back the same way.
func splitConceptURI(u string) (scheme, code string) {
	if strings.Contains(u, "://") {
		if i := strings.LastIndexAny(u, "/#"); i >= 0 && i < len(u)-1 && !strings.HasSuffix(u[:i+1], "://") {
			return u[:i+1], u[i+1:]
		}
		return "", u
	}
	if s, c, ok := strings.Cut(u, ":"); ok && s != "" && c != "" {
		return s, c
	}
	return "", u
}

// signals reads back the signals Encode carries as genres.
func signals(genres []concept) []string {
	var out []string
	for _, g := range genres {
		sig, ok := strings.CutPrefix(strings.TrimSpace(g.URI), signalURIPrefix)
		if !ok {
			continue
		}
		if sig, err := url.PathUnescape(sig); err == nil && sig != "" {
			out = append(out, sig)
		}
	}
	return out
}

// infoSourceName is the first info source's name.
func infoSourceName(cs []concept) string {
	for _, c := range cs {
		if n := strings.TrimSpace(c.Name); n != "" {
			return n
		}
	}
	return ""
}

// stringValue returns a raw JSON value when it is a string, else "".
func stringValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// renditionLink is the address of a media object's best rendition: the one
// named "original" (Superdesk), else the first one with an href (2.x lists
// them largest first).
func renditionLink(raw json.RawMessage) string {
	type rendition struct {
		Name string `json:"name"`
		Href string `json:"href"`
	}
	var list []rendition
	if json.Unmarshal(raw, &list) != nil {
		var named map[string]rendition
		if json.Unmarshal(raw, &named) != nil {
			return ""
		}
		for _, name := range slices.Sorted(maps.Keys(named)) {
			r := named[name]
			r.Name = name
			list = append(list, r)
		}
	}
	for _, r := range list {
		if r.Name == "original" && strings.TrimSpace(r.Href) != "" {
			return strings.TrimSpace(r.Href)
		}
	}
	for _, r := range list {
		if strings.TrimSpace(r.Href) != "" {
			return strings.TrimSpace(r.Href)
		}
	}
	return ""
}
