// Package newsml1 decodes IPTC NewsML 1.x documents (AFP's NewsML 1.2, a
// NewsML root holding NewsItems) into items.
package newsml1

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
	"github.com/wiredesk/wiredesk/internal/wire/nitf"
	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
)

// Format is the source.format of items decoded here.
const Format = "newsml1"

// subjectScheme names IPTC subject codes, the vocabulary of SubjectCode's
// FormalNames (the same name the NITF decoder gives them).
const subjectScheme = "iptc-subjectcode"

// Match recognises a NewsML 1 payload by its root element <NewsML>, in no
// namespace (AFP) or in one of IPTC's NewsML 1 namespaces.
func Match(s *wire.Shape) bool {
	if s.Kind != wire.ShapeXML || !strings.EqualFold(s.Root.Local, "NewsML") {
		return false
	}
	ns := strings.ToLower(s.Root.Space)
	return ns == "" || (strings.Contains(ns, "iptc.org") && strings.Contains(ns, "newsml"))
}

// Decode reads a NewsML 1 document into its items, one per NewsItem, in
// document order. NewsItems that cannot be used (no identifier, an unknown
// status) are left out: Decode then returns the others with a
// *wire.PartialError naming them. Any other failure is a *wire.Error and no
// items.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{opts: opts, policy: sanitize.New()}
	var items []story.Item
	var skipped []wire.Skip
	for i, el := range root.Children("NewsItem") {
		it, reason := d.newsItem(el)
		if reason != "" {
			skipped = append(skipped, wire.Skip{Index: i, Reason: reason})
			continue
		}
		items = append(items, it)
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: Format, Skipped: skipped}
	}
	return items, nil
}

// parse checks what the payload is and reads it into a tree.
func parse(data []byte) (*xmldoc.Node, error) {
	if err := wire.CheckSize(Format, data); err != nil {
		return nil, err
	}
	shape := wire.SniffShape(data)
	switch shape.Kind {
	case wire.ShapeEmpty:
		return nil, &wire.Error{Format: Format, Reason: "empty document"}
	case wire.ShapeHTML:
		return nil, &wire.Error{Format: Format, Reason: "not NewsML 1: an HTML page"}
	case wire.ShapeXML:
		if !Match(&shape) {
			return nil, &wire.Error{Format: Format, Reason: "not NewsML 1: " + shape.Describe()}
		}
	case wire.ShapeMalformed:
		// Markup broken before its root: the parser below says where.
		if !strings.HasPrefix(shape.Start, "<") {
			return nil, &wire.Error{Format: Format, Reason: "not NewsML 1: " + shape.Describe()}
		}
	default:
		return nil, &wire.Error{Format: Format, Reason: "not NewsML 1: " + shape.Describe()}
	}
	root, err := xmldoc.Parse(wire.XMLToUTF8(data))
	if err != nil {
		return nil, &wire.Error{Format: Format, Reason: "cannot read the document", Err: err}
	}
	if !root.Is("NewsML") {
		return nil, &wire.Error{Format: Format, Reason: fmt.Sprintf("not NewsML 1: the root element is <%s>", root.Name.Local)}
	}
	return root, nil
}

// decoder holds what every item of one document is decoded with.
type decoder struct {
	opts   *wire.Options
	policy *sanitize.Policy
}

// newsItem maps one NewsItem to an item, or says why it cannot.
func (d *decoder) newsItem(el *xmldoc.Node) (story.Item, string) {
	var it story.Item
	id := el.Path("Identification", "NewsIdentifier")
	it.Version = text(id.Child("RevisionId"))
	it.URI = storyURI(id, it.Version)
	if it.URI == "" {
		return it, "NewsItem without a PublicIdentifier or NewsItemId"
	}

	mgmt := el.Child("NewsManagement")
	loc := d.opts.Loc()
	it.FirstCreated = date(mgmt.Child("FirstCreated"), loc)
	it.VersionCreated = date(mgmt.Child("ThisRevisionCreated"), loc)
	status := strings.TrimSpace(mgmt.Child("Status").Attr("FormalName"))
	switch strings.ToLower(status) {
	case "", "usable":
		it.PubStatus = story.Usable
	case "withheld":
		it.PubStatus = story.Withheld
	case "canceled", "cancelled":
		it.PubStatus = story.Canceled
	case "embargoed":
		// The time the embargo lifts is when the status will change. Without
		// one there is no time at which the story may be shown: withheld
		// until a usable version arrives.
		it.PubStatus = story.Usable
		it.Embargoed = date(mgmt.Path("StatusWillChange", "DateAndTime"), loc)
		if it.Embargoed == nil {
			it.PubStatus = story.Withheld
		}
	default:
		return it, fmt.Sprintf("NewsItem %s: unknown Status %q", it.URI, status)
	}
	if u, err := strconv.Atoi(strings.TrimSpace(mgmt.Child("Urgency").Attr("FormalName"))); err == nil {
		it.Urgency = &u
	}
	// NewsItemType is "News" for a story; "Alert", "Advisory" and the like
	// say what else a version is.
	if t := strings.ToLower(strings.TrimSpace(mgmt.Child("NewsItemType").Attr("FormalName"))); t != "" && t != "news" {
		it.Signals = append(it.Signals, t)
	}

	top := el.Child("NewsComponent")
	lines := first(top, "NewsLines")
	it.Headline = wire.OneLine(text(lines.Child("HeadLine")))
	it.Slugline = wire.OneLine(text(lines.Child("SlugLine")))
	it.Byline = wire.OneLine(text(lines.Child("ByLine")))
	it.Dateline = newsmlg2.SplitDateline(text(lines.Child("DateLine")))
	for _, kl := range lines.Children("KeywordLine") {
		it.Keywords = addKeyword(it.Keywords, wire.OneLine(text(kl)))
	}
	var notes []string
	for _, nl := range lines.Children("NewsLine") {
		kind := strings.ToLower(nl.Child("NewsLineType").Attr("FormalName"))
		if strings.Contains(kind, "ednote") || strings.Contains(kind, "editorial") {
			if n := wire.OneLine(text(nl.Child("NewsLineText"))); n != "" {
				notes = append(notes, n)
			}
		}
	}
	it.EdNote = strings.Join(notes, "\n")

	rights := first(top, "RightsMetadata")
	it.Copyright = wire.OneLine(text(lines.Child("CopyrightLine")))
	if it.Copyright == "" {
		it.Copyright = wire.OneLine(text(rights.Path("Copyright", "CopyrightHolder")))
	}
	it.UsageTerms = wire.OneLine(text(rights.Path("UsageRights", "UsageType")))

	content, mediaType := bodyItem(top)
	it.Type = mediaType
	meta := top.Child("DescriptiveMetadata")
	if meta == nil {
		meta = first(top, "DescriptiveMetadata")
	}
	it.Language = wire.LanguageTag(wire.FirstNonBlankTrimmed(meta.Child("Language").Attr("FormalName"), el.Attr("lang")))
	d.tags(&it, meta)

	if reason := d.body(&it, content); reason != "" {
		return it, fmt.Sprintf("NewsItem %s: %s", it.URI, reason)
	}

	admin := first(top, "AdministrativeMetadata")
	agency := wire.FirstNonBlankTrimmed(
		admin.Path("Provider", "Party").Attr("FormalName"),
		text(id.Child("ProviderId")),
	)
	if agency == "" && d.opts != nil {
		agency = d.opts.Agency
	}
	it.Source = story.ItemSource{Format: Format, Agency: strings.TrimSpace(agency)}
	if d.opts != nil {
		it.Source.SHA256 = d.opts.SHA256
	}
	return it, ""
}

// storyURI is the story's id: the PublicIdentifier without the revision
// that ends it, or the same URN composed from the NewsIdentifier's parts.
// NewsML 1 identifies a revision as urn:newsml:Provider:DateId:NewsItemId:
// RevisionId(+Update); the story is the same across revisions, and its id
// must be too (DESIGN §4 rule 1).
func storyURI(id *xmldoc.Node, revision string) string {
	if pub := text(id.Child("PublicIdentifier")); pub != "" {
		if i := strings.LastIndexByte(pub, ':'); i > 0 && revision != "" {
			last := pub[i+1:]
			// The revision, alone or with its one-letter update qualifier.
			if rest, ok := strings.CutPrefix(last, revision); ok && len(rest) <= 1 {
				return pub[:i]
			}
		}
		return pub
	}
	provider, dateID, itemID := text(id.Child("ProviderId")), text(id.Child("DateId")), text(id.Child("NewsItemId"))
	if itemID == "" {
		return ""
	}
	return "urn:newsml:" + provider + ":" + dateID + ":" + itemID
}

// bodyItem finds the ContentItem that holds the story text, depth first
// through nested NewsComponents, and the item type: text when there is one,
// else the media type of the first content (a photo alone is a picture).
func bodyItem(nc *xmldoc.Node) (*xmldoc.Node, string) {
	var textItem, firstItem *xmldoc.Node
	var walk func(n *xmldoc.Node)
	walk = func(n *xmldoc.Node) {
		for _, k := range n.Elements() {
			switch {
			case textItem != nil:
				return
			case k.Is("ContentItem"):
				if firstItem == nil {
					firstItem = k
				}
				mt := strings.ToLower(k.Child("MediaType").Attr("FormalName"))
				if (mt == "" || mt == "text") && k.Child("DataContent") != nil {
					textItem = k
				}
			case k.Is("NewsComponent"):
				walk(k)
			}
		}
	}
	walk(nc)
	if textItem != nil {
		return textItem, "text"
	}
	if firstItem == nil {
		return nil, ""
	}
	switch mt := strings.ToLower(firstItem.Child("MediaType").Attr("FormalName")); mt {
	case "photo", "image":
		return nil, "picture"
	case "":
		return nil, ""
	default:
		return nil, mt
	}
}

// body fills the body from a text ContentItem's DataContent: an embedded
// NITF document, NITF body markup, XHTML, or plain text; and the word count
// the item's characteristics state.
func (d *decoder) body(it *story.Item, content *xmldoc.Node) string {
	data := content.Child("DataContent")
	if data == nil {
		return ""
	}
	var raw string
	els := data.Elements()
	switch {
	case len(els) == 0:
		raw = wire.PlainTextToHTML(data.Content())
	case els[0].Is("nitf"):
		doc, err := nitf.ParseDocument(xmldoc.XML(els[0]), d.opts)
		if err != nil {
			return "cannot read the embedded NITF document: " + err.Error()
		}
		if it.Headline == "" {
			it.Headline = doc.Headline
		}
		if it.Byline == "" {
			it.Byline = doc.Byline
		}
		if it.Dateline == nil {
			it.Dateline = doc.Dateline
		}
		// The NITF decoder sanitizes what it returns.
		it.BodyHTML, it.BodyText = doc.BodyHTML, doc.BodyText
	case els[0].Is("body.content"), els[0].Is("body"):
		h, err := nitf.BodyToHTML(xmldoc.XML(els[0]))
		if err != nil {
			return "cannot read the NITF body: " + err.Error()
		}
		raw = h
	case els[0].Is("html"):
		raw = xmldoc.HTML(els[0].Child("body").Kids)
	default:
		raw = xmldoc.HTML(data.Kids)
	}
	if raw != "" {
		it.BodyHTML = d.policy.HTML(raw)
		it.BodyText = d.policy.Text(it.BodyHTML)
	}
	for _, p := range content.Path("Characteristics").Children("Property") {
		if !strings.EqualFold(p.Attr("FormalName"), "Words") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(p.Attr("Value"))); err == nil && n >= 0 {
			it.WordCount = &n
		}
	}
	return ""
}

// tags fills subjects, places and keywords from DescriptiveMetadata.
func (d *decoder) tags(it *story.Item, meta *xmldoc.Node) {
	for _, sc := range meta.Children("SubjectCode") {
		for _, s := range sc.Elements() {
			// Subject, SubjectMatter and SubjectDetail are the three levels
			// of one code list; a SubjectQualifier refines the one before.
			if !s.Is("Subject") && !s.Is("SubjectMatter") && !s.Is("SubjectDetail") {
				continue
			}
			if code := strings.TrimSpace(s.Attr("FormalName")); code != "" {
				it.Subjects = addEntity(it.Subjects, story.Entity{Code: code, Scheme: subjectScheme})
			}
		}
	}
	// A genre is tagging in its own vocabulary; the canonical item has no
	// genre key, so it is a subject of the scheme "genre".
	for _, g := range meta.Children("Genre") {
		if name := strings.TrimSpace(g.Attr("FormalName")); name != "" {
			it.Subjects = addEntity(it.Subjects, story.Entity{Name: name, Scheme: "genre"})
		}
	}
	for _, l := range meta.Children("Location") {
		for _, p := range l.Children("Property") {
			value := strings.TrimSpace(p.Attr("Value"))
			if value == "" {
				continue
			}
			switch strings.ToLower(p.Attr("FormalName")) {
			case "country":
				it.Places = addEntity(it.Places, story.Entity{Code: value, Scheme: countryScheme(value)})
			case "city", "countryarea", "worldregion":
				it.Places = addEntity(it.Places, story.Entity{Name: value})
			}
		}
	}
	for _, p := range meta.Children("Property") {
		if strings.EqualFold(p.Attr("FormalName"), "Keyword") {
			it.Keywords = addKeyword(it.Keywords, wire.OneLine(p.Attr("Value")))
		}
	}
}

// countryScheme names the ISO 3166-1 code list of a country code, which
// agencies send as two letters or three.
func countryScheme(code string) string {
	switch len(code) {
	case 2:
		return "iso3166-1a2"
	case 3:
		return "iso3166-1a3"
	}
	return ""
}

// first returns the first element with the given local name at or below
// n's children, breadth first: the metadata of the outermost component
// that has it.
func first(n *xmldoc.Node, local string) *xmldoc.Node {
	queue := []*xmldoc.Node{n}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == nil {
			continue
		}
		if c := cur.Child(local); c != nil {
			return c
		}
		queue = append(queue, cur.Children("NewsComponent")...)
	}
	return nil
}

// date reads a date element; an empty or unreadable one is unknown.
func date(n *xmldoc.Node, loc *time.Location) *time.Time {
	if n == nil {
		return nil
	}
	t, ok := wire.ParseDate(n.Content(), loc)
	if !ok {
		return nil
	}
	return &t
}

func text(n *xmldoc.Node) string { return strings.TrimSpace(n.Content()) }

func addEntity(list []story.Entity, e story.Entity) []story.Entity {
	for _, have := range list {
		if have == e {
			return list
		}
	}
	return append(list, e)
}

// addKeyword appends a keyword not yet in the list (case-insensitively).
func addKeyword(list []string, k string) []string {
	if k == "" {
		return list
	}
	for _, have := range list {
		if strings.EqualFold(have, k) {
			return list
		}
	}
	return append(list, k)
}
