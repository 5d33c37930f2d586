// Package rss decodes web feeds (RSS 0.9x and 2.0, RDF/RSS 1.0, Atom and
// JSON Feed) into items, reading them with gofeed's format parsers.
package rss

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	gofeedatom "github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	gofeedjson "github.com/mmcdole/gofeed/json"
	gofeedrss "github.com/mmcdole/gofeed/rss"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// The formats this package decodes, as item.source.format names them.
const (
	FormatRSS      = "rss"
	FormatRDF      = "rdf"
	FormatAtom     = "atom"
	FormatJSONFeed = "jsonfeed"
)

// formatUnknown names the format in errors raised before it is known.
const formatUnknown = "feed"

// Decode reads one feed document into its items, in document order. The
// format is told from the content. Entries that cannot be identified (no id
// and no usable link), and entries whose id, derived from their link, repeats
// an earlier entry's, are left out: Decode then returns the other items
// together with a *wire.PartialError listing them. Any other failure is a
// *wire.Error and no items; a document over wire.MaxDocumentBytes is refused
// before it is read.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	f, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return buildItems(f, opts)
}

// Parse reads a feed document into its entries as the feed wrote them, not
// yet sanitized or mapped to items: what Decode works from, and what the
// verbatim check compares against. Errors are *wire.Error.
func Parse(data []byte) (*Feed, error) {
	if err := wire.CheckSize(formatUnknown, data); err != nil {
		return nil, err
	}
	shape := wire.SniffShape(data)
	switch shape.Kind {
	case wire.ShapeEmpty:
		return nil, &wire.Error{Format: formatUnknown, Reason: "empty document"}
	case wire.ShapeHTML:
		return nil, &wire.Error{Format: formatUnknown, Reason: "not a feed: this is an HTML page"}
	case wire.ShapeJSONObject:
		if !IsJSONFeed(&shape) {
			return nil, &wire.Error{Format: formatUnknown, Reason: "not a feed: " + shape.Describe()}
		}
		return parseJSONFeed(data)
	case wire.ShapeXML:
		format := XMLFormat(&shape)
		if format == "" {
			return nil, &wire.Error{Format: formatUnknown, Reason: "not a feed: " + shape.Describe()}
		}
		return parseXML(format, data)
	case wire.ShapeMalformed:
		var syn *xml.SyntaxError
		if errors.As(shape.Err, &syn) {
			return nil, &wire.Error{Format: formatUnknown, Reason: fmt.Sprintf("truncated or malformed XML at line %d", syn.Line), Err: shape.Err}
		}
		return nil, &wire.Error{Format: formatUnknown, Reason: "malformed document", Err: shape.Err}
	}
	return nil, &wire.Error{Format: formatUnknown, Reason: "not a feed: " + shape.Describe()}
}

// Namespaces of the root elements this package reads.
const (
	nsAtom10 = "http://www.w3.org/2005/Atom"
	nsAtom03 = "http://purl.org/atom/ns#"
	nsRDF    = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
)

// XMLFormat names the feed format of an XML payload from its root element:
// "rss", "rdf", "atom", or "" when it is none of them.
func XMLFormat(s *wire.Shape) string {
	if s.Kind != wire.ShapeXML {
		return ""
	}
	switch strings.ToLower(s.Root.Local) {
	case "rss":
		return FormatRSS
	case "rdf":
		if s.Root.Space == nsRDF || s.Root.Space == "" {
			return FormatRDF
		}
	case "feed":
		switch s.Root.Space {
		case nsAtom10, nsAtom03, "":
			return FormatAtom
		}
	}
	return ""
}

// IsJSONFeed reports whether a JSON payload is a JSON Feed: its version
// member names a jsonfeed.org version.
func IsJSONFeed(s *wire.Shape) bool {
	if s.Kind != wire.ShapeJSONObject {
		return false
	}
	v := strings.ToLower(s.JSONString("version"))
	return strings.Contains(v, "jsonfeed.org/version/")
}

// parseXML reads an RSS, RDF or Atom document.
func parseXML(format string, data []byte) (*Feed, error) {
	doc := wire.XMLToUTF8(data)
	// gofeed reports a truncated document in its own terms, or not at all;
	// reading it once ourselves gives the operator a line number. For Atom
	// the same reading notes which entry titles are plain text, which
	// gofeed's entries do not say.
	var (
		titles []titleKind
		err    error
	)
	if format == FormatAtom {
		titles, err = scanAtom(doc)
	} else {
		err = wire.CheckXML(doc)
	}
	if err != nil {
		reason := "malformed XML"
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			reason = fmt.Sprintf("truncated or malformed XML at line %d", syn.Line)
		}
		return nil, &wire.Error{Format: format, Reason: reason, Err: err}
	}
	var f *Feed
	switch format {
	case FormatAtom:
		af, err := (&gofeedatom.Parser{}).Parse(bytes.NewReader(doc))
		if err != nil {
			return nil, &wire.Error{Format: format, Reason: "cannot read Atom feed", Err: err}
		}
		f = fromAtom(af)
		// Should the two readings ever disagree on the entries, every
		// title is read as HTML, as in RSS.
		if len(titles) == len(f.Entries) {
			for i := range f.Entries {
				f.Entries[i].TitleIsText = titles[i] == titleText
			}
		}
	default:
		rf, err := (&gofeedrss.Parser{}).Parse(bytes.NewReader(doc))
		if err != nil {
			return nil, &wire.Error{Format: format, Reason: "cannot read RSS feed", Err: err}
		}
		f = fromRSS(rf)
	}
	f.Format = format
	return f, nil
}

// jsonFeedDoc is the part of a JSON Feed read before its items. Items are
// read one by one so that one malformed item does not lose the others.
type jsonFeedDoc struct {
	Title       string               `json:"title"`
	HomePageURL string               `json:"home_page_url"`
	Language    string               `json:"language"`
	Author      *gofeedjson.Author   `json:"author"`
	Authors     []*gofeedjson.Author `json:"authors"`
	Items       []json.RawMessage    `json:"items"`
}

func parseJSONFeed(data []byte) (*Feed, error) {
	doc := wire.JSONToUTF8(data)
	var jf jsonFeedDoc
	if err := json.Unmarshal(doc, &jf); err != nil {
		return nil, &wire.Error{Format: FormatJSONFeed, Reason: "cannot read JSON Feed", Err: err}
	}
	f := &Feed{
		Format:   FormatJSONFeed,
		Title:    jf.Title,
		Language: jf.Language,
		Link:     jf.HomePageURL,
		Entries:  make([]Entry, 0, len(jf.Items)),
	}
	feedAuthors := jsonAuthors(jf.Author, jf.Authors)
	for _, raw := range jf.Items {
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			f.Entries = append(f.Entries, Entry{Invalid: "item is not a JSON object"})
			continue
		}
		var it gofeedjson.Item
		if err := json.Unmarshal(raw, &it); err != nil {
			f.Entries = append(f.Entries, Entry{Invalid: "item is not a JSON Feed item: " + err.Error()})
			continue
		}
		e := Entry{
			ID:        it.ID,
			Link:      wire.FirstNonBlank(it.URL, it.ExternalURL),
			Title:     it.Title,
			Content:   it.ContentHTML,
			Summary:   it.Summary,
			Published: it.DatePublished,
			Updated:   it.DateModified,
			Authors:   jsonAuthors(it.Author, it.Authors),
			Tags:      it.Tags,
			Language:  it.Language,
		}
		if strings.TrimSpace(e.Content) == "" && strings.TrimSpace(it.ContentText) != "" {
			e.Content = wire.PlainTextToHTML(it.ContentText)
		}
		// JSON Feed: an item without an author has the feed's.
		if len(e.Authors) == 0 {
			e.Authors = feedAuthors
		}
		f.Entries = append(f.Entries, e)
	}
	return f, nil
}

// jsonAuthors merges JSON Feed 1.0's author with 1.1's authors, in that
// order, without repeats: feeds send both during the transition.
func jsonAuthors(one *gofeedjson.Author, many []*gofeedjson.Author) []string {
	var names []string
	if one != nil {
		names = append(names, one.Name)
	}
	for _, a := range many {
		if a != nil {
			names = append(names, a.Name)
		}
	}
	return names
}

// Feed is a feed document in format-neutral terms: what the feed says about
// itself that its entries inherit, and the entries.
type Feed struct {
	Format   string // "rss", "rdf", "atom" or "jsonfeed"
	Title    string
	Language string
	Link     string // the site's address, for relative links
	Rights   string // the copyright notice for the feed's content
	Entries  []Entry
}

// Entry is one feed entry in format-neutral terms, as the feed wrote it:
// nothing is sanitized, trimmed or parsed yet.
type Entry struct {
	ID    string
	Link  string
	Title string // HTML, unless TitleIsText
	// TitleIsText is true when the feed says the title is plain text (an
	// Atom text construct of type "text"): shown as it is, not read as HTML.
	TitleIsText bool
	Content     string   // HTML: the full story
	Summary     string   // HTML: a teaser, or the story when Content is empty
	Published   string   // first publication
	Updated     string   // last change
	Authors     []string // names, or RSS "email (Name)" strings
	Tags        []string
	Language    string
	Rights      string // the entry's own copyright notice, if any
	// Invalid says why the entry could not be read at all; the other
	// fields are then empty.
	Invalid string
}

func fromRSS(rf *gofeedrss.Feed) *Feed {
	f := &Feed{Title: rf.Title, Language: rf.Language, Link: rf.Link, Rights: rf.Copyright, Entries: make([]Entry, 0, len(rf.Items))}
	if dc := rf.DublinCoreExt; dc != nil {
		f.Title = wire.FirstNonBlank(f.Title, first(dc.Title))
		f.Language = wire.FirstNonBlank(f.Language, first(dc.Language))
		f.Rights = wire.FirstNonBlank(f.Rights, first(dc.Rights))
	}
	for _, it := range rf.Items {
		e := Entry{
			Title:     it.Title,
			Content:   it.Content,
			Summary:   it.Description,
			Published: it.PubDate,
			Link:      it.Link,
		}
		if e.Link == "" && len(it.Links) > 0 {
			e.Link = it.Links[0]
		}
		if it.GUID != nil {
			e.ID = it.GUID.Value
			// A permalink guid is also the item's link (RSS 2.0 default).
			if e.Link == "" && !strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") && isHTTPURL(e.ID) {
				e.Link = e.ID
			}
		}
		if it.Author != "" {
			e.Authors = []string{it.Author}
		}
		for _, c := range it.Categories {
			e.Tags = append(e.Tags, c.Value)
		}
		if dc := it.DublinCoreExt; dc != nil {
			e.Title = wire.FirstNonBlank(e.Title, first(dc.Title))
			e.Summary = wire.FirstNonBlank(e.Summary, first(dc.Description))
			// dc:date is the publication date of RDF feeds, and of RSS
			// feeds that use it instead of pubDate.
			e.Published = wire.FirstNonBlank(e.Published, first(dc.Date))
			if len(e.Authors) == 0 {
				e.Authors = append(append(e.Authors, dc.Creator...), dc.Author...)
			}
			e.Tags = append(e.Tags, dc.Subject...)
			e.Language = first(dc.Language)
			e.Rights = first(dc.Rights)
		}
		e.Published = wire.FirstNonBlank(e.Published, extValue(it.Extensions, "published", "atom", "atom10", "a10"))
		e.Updated = wire.FirstNonBlank(
			extValue(it.Extensions, "updated", "atom", "atom10", "a10"),
			extValue(it.Extensions, "modified", "dcterms"),
		)
		f.Entries = append(f.Entries, e)
	}
	return f
}

// extValue returns the text of the first extension element name under any
// of the given namespace prefixes.
func extValue(exts ext.Extensions, name string, prefixes ...string) string {
	for _, p := range prefixes {
		if els := exts[p][name]; len(els) > 0 {
			return els[0].Value
		}
	}
	return ""
}

func fromAtom(af *gofeedatom.Feed) *Feed {
	f := &Feed{Title: af.Title, Language: af.Language, Link: atomLink(af.Links), Rights: af.Rights, Entries: make([]Entry, 0, len(af.Entries))}
	var feedAuthors []string
	for _, a := range af.Authors {
		feedAuthors = append(feedAuthors, a.Name)
	}
	for _, it := range af.Entries {
		e := Entry{
			ID:    it.ID,
			Link:  atomLink(it.Links),
			Title: it.Title,
			// Published only: gofeed's universal translator would copy
			// updated here when published is missing, which would make every
			// edit look like a first publication.
			Published: it.Published,
			Updated:   it.Updated,
			Summary:   it.Summary,
			Rights:    it.Rights,
		}
		if c := it.Content; c != nil && c.Src == "" {
			e.Content = atomContentHTML(c)
		}
		for _, a := range it.Authors {
			e.Authors = append(e.Authors, a.Name)
		}
		// Atom: an entry without an author has the feed's (RFC 4287 4.2.1).
		if len(nonEmpty(e.Authors)) == 0 {
			e.Authors = feedAuthors
		}
		for _, c := range it.Categories {
			e.Tags = append(e.Tags, wire.FirstNonBlank(c.Label, c.Term))
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

// atomContentHTML returns an Atom content element as HTML: gofeed has
// already unescaped html content and kept xhtml as markup; text content is
// plain text and is escaped here. Other media types are not news copy.
func atomContentHTML(c *gofeedatom.Content) string {
	switch t := strings.ToLower(strings.TrimSpace(c.Type)); {
	case t == "html", t == "text/html", strings.Contains(t, "xhtml"):
		return c.Value
	case t == "", t == "text", t == "text/plain":
		return wire.PlainTextToHTML(c.Value)
	}
	return ""
}

// atomLink picks an entry's web page: the alternate link (gofeed fills in
// the default rel), else the first link with an address.
func atomLink(links []*gofeedatom.Link) string {
	for _, l := range links {
		if l.Rel == "alternate" && strings.TrimSpace(l.Href) != "" {
			return l.Href
		}
	}
	for _, l := range links {
		if l.Rel != "enclosure" && l.Rel != "self" && strings.TrimSpace(l.Href) != "" {
			return l.Href
		}
	}
	return ""
}

// buildItems turns entries into items, collecting the entries it must skip.
func buildItems(f *Feed, opts *wire.Options) ([]story.Item, error) {
	policy := sanitize.New()
	agency := ""
	if opts != nil {
		agency = strings.TrimSpace(opts.Agency)
	}
	if agency == "" {
		agency = wire.OneLine(policy.Text(f.Title))
	}
	sha := ""
	if opts != nil {
		sha = opts.SHA256
	}
	feedLink := parseHTTPURL(f.Link)

	items := make([]story.Item, 0, len(f.Entries))
	var skipped []wire.Skip
	// seen maps each id to the entry that first had it. The same explicit
	// id twice is two versions of one story, for apply to order; the same
	// link-derived id twice is the feed listing one page twice.
	type firstUse struct {
		index   int
		derived bool
	}
	seen := make(map[string]firstUse, len(f.Entries))
	for i := range f.Entries {
		e := &f.Entries[i]
		if e.Invalid != "" {
			skipped = append(skipped, wire.Skip{Index: i, Reason: e.Invalid})
			continue
		}
		it, reason := buildItem(f, feedLink, e, policy, opts.Loc())
		if reason != "" {
			skipped = append(skipped, wire.Skip{Index: i, Reason: reason})
			continue
		}
		prev, repeated := seen[it.URI]
		if repeated && (it.IDDerived || prev.derived) {
			skipped = append(skipped, wire.Skip{Index: i, Reason: fmt.Sprintf(
				"same id as entry %d (%s), derived from the link: the first is kept", prev.index, it.URI)})
			continue
		}
		if !repeated {
			seen[it.URI] = firstUse{index: i, derived: it.IDDerived}
		}
		it.Source = story.ItemSource{Format: f.Format, Agency: agency, SHA256: sha}
		items = append(items, it)
	}
	if len(skipped) > 0 {
		return items, &wire.PartialError{Format: f.Format, Skipped: skipped}
	}
	return items, nil
}

// buildItem maps one entry to an item, or says why it cannot.
func buildItem(f *Feed, feedLink *url.URL, e *Entry, policy *sanitize.Policy, loc *time.Location) (story.Item, string) {
	it := story.Item{
		PubStatus: story.Usable,
		Type:      "text",
	}

	// Identity (DESIGN §4 rule 1): the feed's id, else the normalized link.
	link := strings.TrimSpace(e.Link)
	if link != "" && feedLink != nil {
		if ref, err := url.Parse(link); err == nil && !ref.IsAbs() {
			link = feedLink.ResolveReference(ref).String()
		}
	}
	link = unwrapRedirect(link)
	it.Link = link
	if id := strings.TrimSpace(e.ID); id != "" {
		it.URI = id
	} else {
		norm, ok := wire.NormalizeLink(link)
		switch {
		case link == "":
			return it, "no id and no link"
		case !ok:
			return it, fmt.Sprintf("no id, and the link %q is not an absolute http(s) URL", link)
		}
		it.URI, it.IDDerived = norm, true
	}

	it.Headline = headline(e, policy)

	// Times keep the offset the feed wrote: the canonical JSON is RFC 3339
	// with offset, and the offset says where the agency was.
	if t, ok := wire.ParseDate(e.Published, loc); ok {
		it.FirstCreated = &t
	}
	if t, ok := wire.ParseDate(e.Updated, loc); ok {
		it.VersionCreated = &t
	} else if it.FirstCreated != nil {
		t := *it.FirstCreated
		it.VersionCreated = &t
	}

	it.Byline = byline(e.Authors)

	base := parseHTTPURL(link)
	if base == nil {
		base = feedLink
	}
	body, summaryIsBody := e.Content, false
	if strings.TrimSpace(body) == "" {
		body, summaryIsBody = e.Summary, true
	}
	it.BodyHTML = policy.HTMLWithBase(body, base)
	it.BodyText = policy.Text(it.BodyHTML)
	if !summaryIsBody {
		if d := policy.Text(policy.HTMLWithBase(e.Summary, base)); d != "" && d != it.BodyText {
			it.Description = d
		}
	}

	it.Keywords = keywords(e.Tags)
	it.Language = wire.LanguageTag(wire.FirstNonBlank(e.Language, f.Language))
	// A feed's rights cover the entries without their own (RFC 4287
	// 4.2.10; RSS channel copyright).
	it.Copyright = wire.OneLine(policy.Text(wire.FirstNonBlank(e.Rights, f.Rights)))
	return it, ""
}

// headline is an entry's title as a browser shows the feed's title: an HTML
// title (RSS, JSON Feed, Atom type="html") has its markup removed and its
// entities decoded once more (so a double-escaped "&amp;amp;" shows as "&"),
// a plain-text title (Atom type="text") is shown as it is. Either way, line
// breaks, tabs and runs of spaces become the single space a browser shows,
// and the ends are trimmed; no-break spaces and words stay.
func headline(e *Entry, policy *sanitize.Policy) string {
	if e.TitleIsText {
		return wire.OneLine(e.Title)
	}
	return wire.OneLine(policy.Text(e.Title))
}

// unwrapRedirect returns the target of a Google redirect link
// ("https://www.google.com/url?...&url=https://publisher.example/story"),
// as Google Alerts feeds send, and any other link unchanged.
func unwrapRedirect(link string) string {
	u := parseHTTPURL(link)
	if u == nil || u.Path != "/url" {
		return link
	}
	switch strings.ToLower(u.Hostname()) {
	case "www.google.com", "google.com":
	default:
		return link
	}
	q := u.Query()
	for _, key := range []string{"url", "q"} {
		if target := q.Get(key); isHTTPURL(target) {
			return target
		}
	}
	return link
}

// RSS authors are often "email (Name)" or "Name <email>"; the name is the
// byline.
var (
	emailThenName = regexp.MustCompile(`^\S+@\S+\s*\((.+)\)$`)
	nameThenEmail = regexp.MustCompile(`^(.+?)\s*<\S+@\S+>$`)
)

func byline(authors []string) string {
	var names []string
	seen := map[string]bool{}
	for _, a := range authors {
		a = wire.OneLine(a)
		if m := emailThenName.FindStringSubmatch(a); m != nil {
			a = strings.TrimSpace(m[1])
		} else if m := nameThenEmail.FindStringSubmatch(a); m != nil {
			a = strings.TrimSpace(m[1])
		}
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		names = append(names, a)
	}
	return strings.Join(names, ", ")
}

// keywords returns the categories once each (case-insensitively, first
// spelling wins), in feed order.
func keywords(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = wire.OneLine(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

func isHTTPURL(s string) bool { return parseHTTPURL(s) != nil }

// parseHTTPURL returns s as an absolute http(s) URL, or nil.
func parseHTTPURL(s string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return nil
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return nil
	}
	return u
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}
