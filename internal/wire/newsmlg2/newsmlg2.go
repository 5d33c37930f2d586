// Package newsmlg2 decodes IPTC NewsML-G2 documents (a newsMessage carrying
// several items, or a bare newsItem) into items.
package newsmlg2

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
)

// Format is the source.format of items decoded here.
const Format = "newsml-g2"

// namespace is the NewsML-G2 namespace (NAR, the News Architecture).
const namespace = "http://iptc.org/std/nar/2006-10-01/"

// Match recognises a NewsML-G2 payload by its root element: a newsMessage
// or one of the G2 items, in the G2 namespace or (as some producers send
// it) in none.
func Match(s *wire.Shape) bool {
	if s.Kind != wire.ShapeXML {
		return false
	}
	ns := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s.Root.Space)), "/")
	if ns != "" && ns != strings.TrimSuffix(namespace, "/") {
		return false
	}
	switch strings.ToLower(s.Root.Local) {
	case "newsmessage", "newsitem", "packageitem", "conceptitem", "knowledgeitem", "planningitem":
		return true
	}
	return false
}

// Decode reads a NewsML-G2 document into its items, in document order. A
// newsMessage's items that are not stories (packageItem, conceptItem...) or
// cannot be used (no guid, unknown pubStatus) are left out: Decode then
// returns the other items with a *wire.PartialError naming them. A bare
// packageItem gives no items and such a skip. Any other failure is a
// *wire.Error and no items.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{opts: opts, policy: sanitize.New()}
	switch {
	case root.Is("newsMessage"):
		return d.message(root)
	case root.Is("newsItem"):
		it, reason := d.newsItem(root)
		if reason != "" {
			return nil, &wire.Error{Format: Format, Reason: "newsItem: " + reason}
		}
		return []story.Item{it}, nil
	}
	return nil, &wire.PartialError{Format: Format, Skipped: []wire.Skip{{Index: 0, Reason: notAStory(root)}}}
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
		return nil, &wire.Error{Format: Format, Reason: "not NewsML-G2: an HTML page"}
	case wire.ShapeXML:
		if !Match(&shape) {
			return nil, &wire.Error{Format: Format, Reason: "not NewsML-G2: " + shape.Describe()}
		}
	case wire.ShapeMalformed:
		// Markup broken before its root: the parser below says where.
		if !strings.HasPrefix(shape.Start, "<") {
			return nil, &wire.Error{Format: Format, Reason: "not NewsML-G2: " + shape.Describe()}
		}
	default:
		return nil, &wire.Error{Format: Format, Reason: "not NewsML-G2: " + shape.Describe()}
	}
	root, err := xmldoc.Parse(wire.XMLToUTF8(data))
	if err != nil {
		return nil, &wire.Error{Format: Format, Reason: "cannot read the document", Err: err}
	}
	return root, nil
}

// notAStory says why a G2 item that is not a newsItem is left out.
func notAStory(n *xmldoc.Node) string {
	switch strings.ToLower(n.Name.Local) {
	case "packageitem":
		return "packageItem: a package of other items, not a story"
	case "conceptitem":
		return "conceptItem: a concept of a vocabulary, not a story"
	case "knowledgeitem":
		return "knowledgeItem: a set of concepts, not a story"
	case "planningitem":
		return "planningItem: coverage planning, not a story"
	}
	return fmt.Sprintf("<%s>: not a NewsML-G2 news item", n.Name.Local)
}

// decoder holds what every item of one document is decoded with.
type decoder struct {
	opts   *wire.Options
	policy *sanitize.Policy
}

// message decodes the items of a newsMessage's itemSets. Skip indexes
// count every item of the message, in order.
func (d *decoder) message(root *xmldoc.Node) ([]story.Item, error) {
	var items []story.Item
	var skipped []wire.Skip
	index := 0
	for _, set := range root.Children("itemSet") {
		for _, el := range set.Elements() {
			i := index
			index++
			if !el.Is("newsItem") {
				skipped = append(skipped, wire.Skip{Index: i, Reason: notAStory(el)})
				continue
			}
			it, reason := d.newsItem(el)
			if reason != "" {
				skipped = append(skipped, wire.Skip{Index: i, Reason: "newsItem: " + reason})
				continue
			}
			items = append(items, it)
		}
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: Format, Skipped: skipped}
	}
	return items, nil
}

// newsItem maps one newsItem to an item, or says why it cannot.
func (d *decoder) newsItem(el *xmldoc.Node) (story.Item, string) {
	it := story.Item{}
	it.URI = strings.TrimSpace(el.Attr("guid"))
	if it.URI == "" {
		return it, "no guid"
	}
	it.Version = strings.TrimSpace(el.Attr("version"))

	meta := el.Child("itemMeta")
	cm := el.Child("contentMeta")

	status := meta.Child("pubStatus").Attr("qcode")
	ps, ok := pubStatus(status)
	if !ok {
		return it, fmt.Sprintf("unknown pubStatus %q", status)
	}
	it.PubStatus = ps
	if _, class := splitQcode(meta.Child("itemClass").Attr("qcode")); class != "" {
		it.Type = strings.ToLower(class)
	}

	loc := d.opts.Loc()
	it.FirstCreated = date(meta.Child("firstCreated"), loc)
	it.VersionCreated = date(meta.Child("versionCreated"), loc)
	it.Embargoed = date(meta.Child("embargoed"), loc)

	lang := strings.TrimSpace(cm.Child("language").Attr("tag"))
	if lang == "" {
		lang = strings.TrimSpace(el.Attr("lang")) // xml:lang
	}
	it.Language = wire.LanguageTag(lang)

	if u, err := strconv.Atoi(strings.TrimSpace(cm.Child("urgency").Content())); err == nil {
		it.Urgency = &u
	}
	it.Headline = oneLine(pickHeadline(cm.Children("headline"), lang))
	it.Slugline = oneLine(pick(cm.Children("slugline"), lang, anyRole))
	it.Byline = oneLine(pick(cm.Children("by"), lang, anyRole))
	if dl := pick(cm.Children("dateline"), lang, anyRole); dl != nil {
		it.Dateline = SplitDateline(dl.Content())
	}
	it.Description = oneLine(pick(cm.Children("description"), lang, descriptionRole(it.Type)))

	// Editors' notes: the public ones, as one line each.
	var notes []string
	for _, n := range meta.Children("edNote") {
		if strings.Contains(strings.ToLower(n.Attr("pubconstraint")), "nonpublic") {
			continue
		}
		text := oneLine(n)
		it.Signals = addSignals(it.Signals, noteSignals(text)...)
		switch _, role := splitQcode(n.Attr("role")); strings.ToLower(role) {
		case "notepad", "closingline":
			// dpa's notepad repeats the other notes as XHTML; its closing
			// line is the desk's sign-off code.
			continue
		}
		if text != "" {
			notes = append(notes, text)
		}
	}
	it.EdNote = strings.Join(notes, "\n")
	for _, s := range meta.Children("signal") {
		it.Signals = addSignals(it.Signals, signalFromQcode(s.Attr("qcode")))
	}
	it.Signals = addSignals(it.Signals, sluglineSignals(it.Slugline)...)

	d.tags(&it, cm, lang)

	rights := el.Child("rightsInfo")
	it.Copyright = oneLine(pick(rights.Children("copyrightNotice"), lang, anyRole))
	if it.Copyright == "" {
		it.Copyright = entityName(rights.Child("copyrightHolder"), lang)
	}
	it.UsageTerms = oneLine(pick(rights.Children("usageTerms"), lang, anyRole))

	if reason := d.body(&it, el.Child("contentSet")); reason != "" {
		return it, reason
	}

	it.Source = story.ItemSource{Format: Format, Agency: d.agency(meta, rights, cm, lang)}
	if d.opts != nil {
		it.Source.SHA256 = d.opts.SHA256
	}
	return it, ""
}

// pubStatus maps a stat: qcode to a status; G2 says an item without one is
// usable.
func pubStatus(qcode string) (story.PubStatus, bool) {
	if strings.TrimSpace(qcode) == "" {
		return story.Usable, true
	}
	_, code := splitQcode(qcode)
	switch strings.ToLower(strings.TrimSpace(code)) {
	case "usable":
		return story.Usable, true
	case "withheld":
		return story.Withheld, true
	case "canceled", "cancelled":
		return story.Canceled, true
	}
	return "", false
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

// tags fills subjects, places, people, organisations and keywords.
func (d *decoder) tags(it *story.Item, cm *xmldoc.Node, lang string) {
	for _, s := range cm.Children("subject") {
		e, ok := entity(s, lang)
		if !ok {
			continue
		}
		_, kind := splitQcode(s.Attr("type"))
		switch strings.ToLower(kind) {
		case "person":
			it.People = addEntity(it.People, e)
		case "organisation", "organization":
			it.Organisations = addEntity(it.Organisations, e)
		case "geoarea", "poi":
			it.Places = addEntity(it.Places, e)
		default:
			it.Subjects = addEntity(it.Subjects, e)
		}
	}
	// A genre is tagging in its own vocabulary (genre:, or an agency's);
	// the canonical item has no genre key, so it is a subject of that
	// scheme.
	for _, g := range cm.Children("genre") {
		if e, ok := entity(g, lang); ok {
			it.Subjects = addEntity(it.Subjects, e)
		}
	}
	for _, l := range cm.Children("located") {
		e, ok := entity(l, lang)
		if !ok {
			continue
		}
		it.Places = addEntity(it.Places, e)
		if it.Dateline == nil && e.Name != "" {
			it.Dateline = &story.Dateline{Place: e.Name}
		}
	}
	seen := map[string]bool{}
	for _, k := range cm.Children("keyword") {
		word := oneLine(k)
		if word == "" || seen[strings.ToLower(word)] {
			continue
		}
		seen[strings.ToLower(word)] = true
		it.Keywords = append(it.Keywords, word)
	}
}

// entity reads a concept (subject, genre, located...): its code and scheme
// from the qcode (or the literal, or the uri), its name in the item's
// language where there is a choice.
func entity(n *xmldoc.Node, lang string) (story.Entity, bool) {
	var e story.Entity
	if q := strings.TrimSpace(n.Attr("qcode")); q != "" {
		e.Scheme, e.Code = splitQcode(q)
	} else if lit := strings.TrimSpace(n.Attr("literal")); lit != "" {
		e.Code = lit
	} else {
		e.Code = strings.TrimSpace(n.Attr("uri"))
	}
	e.Name = entityName(n, lang)
	return e, e.Code != "" || e.Name != ""
}

// entityName picks a concept's name: in the item's language, and its
// display or full name over a short or mnemonic one.
func entityName(n *xmldoc.Node, lang string) string {
	best, bestScore := "", -1
	for _, name := range n.Children("name") {
		text := oneLine(name)
		if text == "" {
			continue
		}
		score := 2 * langScore(name.Attr("lang"), lang)
		switch _, role := splitQcode(name.Attr("role")); strings.ToLower(role) {
		case "", "display", "full":
			score++
		}
		if score > bestScore {
			best, bestScore = text, score
		}
	}
	if best == "" {
		best = strings.TrimSpace(n.Attr("literal"))
	}
	return best
}

func addEntity(list []story.Entity, e story.Entity) []story.Entity {
	for _, have := range list {
		if have == e {
			return list
		}
	}
	return append(list, e)
}

// splitQcode splits "medtop:04000000" into scheme and code; a value
// without a colon is all code.
func splitQcode(q string) (scheme, code string) {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

// langScore says how well an element's xml:lang fits the item's language:
// 2 the same language, 1 none stated, 0 another.
func langScore(elLang, itemLang string) int {
	elLang = strings.TrimSpace(elLang)
	if elLang == "" {
		return 1
	}
	if strings.EqualFold(primary(elLang), primary(itemLang)) {
		return 2
	}
	return 0
}

func primary(tag string) string {
	tag, _, _ = strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	return tag
}

// anyRole accepts every role.
func anyRole(string) bool { return true }

// descriptionRole accepts a summary for any item and a caption only for
// pictures, graphics and video: a text item's caption (Reuters sends one,
// "SLUG:headline") is not a summary of the story.
func descriptionRole(itemType string) func(string) bool {
	return func(role string) bool {
		_, r := splitQcode(role)
		r = strings.ToLower(r)
		switch {
		case r == "", strings.Contains(r, "summary"), strings.Contains(r, "abstract"):
			return true
		case strings.Contains(r, "caption"):
			return itemType != "" && itemType != "text"
		}
		return false
	}
}

// pick returns, of the elements with an accepted role and some text, the
// one in the item's language (or in none), else the first.
func pick(nodes []*xmldoc.Node, lang string, roleOK func(string) bool) *xmldoc.Node {
	var best *xmldoc.Node
	bestScore := -1
	for _, n := range nodes {
		if !roleOK(n.Attr("role")) || oneLine(n) == "" {
			continue
		}
		if s := langScore(n.Attr("lang"), lang); s > bestScore {
			best, bestScore = n, s
		}
	}
	return best
}

// pickHeadline prefers the main headline (no role, or role main) over
// others (a subtitle, a short headline for lists).
func pickHeadline(nodes []*xmldoc.Node, lang string) *xmldoc.Node {
	main := func(role string) bool {
		_, r := splitQcode(role)
		return r == "" || strings.EqualFold(r, "main")
	}
	if h := pick(nodes, lang, main); h != nil {
		return h
	}
	return pick(nodes, lang, anyRole)
}

// oneLine returns an element's text for a one-line field.
func oneLine(n *xmldoc.Node) string {
	return wire.OneLine(n.Content())
}

// agency names the agency of an item: the provider by name, the IPTC
// provider code, the copyright holder, the credit line; else the source's
// configured agency; else whatever code the provider has.
func (d *decoder) agency(meta, rights, cm *xmldoc.Node, lang string) string {
	provider := meta.Child("provider")
	if name := entityName(provider, lang); name != "" {
		return name
	}
	scheme, code := splitQcode(provider.Attr("qcode"))
	if strings.EqualFold(scheme, "nprov") && code != "" {
		return code
	}
	if name := entityName(rights.Child("copyrightHolder"), lang); name != "" {
		return name
	}
	if credit := oneLine(pick(cm.Children("creditline"), lang, anyRole)); credit != "" {
		return credit
	}
	if d.opts != nil && strings.TrimSpace(d.opts.Agency) != "" {
		return strings.TrimSpace(d.opts.Agency)
	}
	return code
}
