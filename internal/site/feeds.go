package site

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// feedLimit is how many stories a feed carries: the newest.
const feedLimit = 50

// outputReader is what the feeds and sitemaps read beyond Reader's story
// list.
type outputReader interface {
	GetTag(ctx context.Context, ref *store.TagRef) (*store.Tag, error)
	ListSitemapEntries(ctx context.Context, p *store.ListSitemapEntriesParams) (*store.SitemapPage, error)
}

// outputSettings are the Site's settings for feeds and sitemaps.
type outputSettings struct {
	// reader is the store again, seen as what feeds and sitemaps read.
	reader          outputReader
	publicURL       string
	websubHub       string
	sitemapPageSize int
	now             func() time.Time
}

func outputSettingsOf(cfg *Config) outputSettings {
	return outputSettings{
		reader:          cfg.Store,
		publicURL:       cfg.PublicURL,
		websubHub:       strings.TrimSpace(cfg.WebSubHub),
		sitemapPageSize: cfg.SitemapPageSize,
		now:             cfg.Now,
	}
}

// Feed formats, by the extension of their URL.
const (
	feedRSS  = "rss"
	feedAtom = "atom"
	feedJSON = "json"
)

// feedScope is what one feed lists: every story, a section's or a tag's.
type feedScope struct {
	// title is the feed's title; pagePath the HTML page it stands for and
	// feedPath its own path without the extension.
	title, pagePath, feedPath string
	filter                    store.ListStoriesParams
}

// feedEntry is one story as every feed format carries it.
type feedEntry struct {
	// id is the story's permanent URL (/story/{id}): the same for every
	// version, so a reader updates the entry in place.
	id, url, title string
	published      time.Time
	// updated is when the version on show replaced the first one;
	// published while it has not.
	updated  time.Time
	summary  string
	content  string // HTML: the body as the story page shows it, then the provenance line
	author   string
	language string
	section  string
}

// outputRoute is one route of the feeds and sitemaps.
type outputRoute struct {
	pattern string
	handler http.Handler
}

// feedRoutes are the feeds: site-wide, per section and per tag, each in RSS
// 2.0, Atom 1.0 and JSON Feed 1.1.
func (s *Site) feedRoutes() []outputRoute {
	var rs []outputRoute
	for _, format := range []string{feedRSS, feedAtom, feedJSON} {
		rs = append(rs,
			outputRoute{"GET /feed." + format, s.handle(s.feedHandler(format, s.siteScope))},
			outputRoute{"GET /section/{name}/feed." + format, s.handle(s.feedHandler(format, s.sectionScope))},
			outputRoute{"GET /tag/{kind}/{slug}/feed." + format, s.handle(s.feedHandler(format, s.tagScope))},
		)
	}
	return rs
}

func (s *Site) siteScope(*http.Request) (*feedScope, error) {
	return &feedScope{title: s.siteName, pagePath: "/", feedPath: "/feed"}, nil
}

func (s *Site) sectionScope(r *http.Request) (*feedScope, error) {
	name := r.PathValue("name")
	if name == "" || story.Slug(name) != name {
		return nil, fmt.Errorf("section %q: %w", name, store.ErrNotFound)
	}
	path := "/section/" + url.PathEscape(name)
	return &feedScope{
		title:    s.siteName + ": " + sectionTitle(name),
		pagePath: path, feedPath: path + "/feed",
		filter: store.ListStoriesParams{Section: name},
	}, nil
}

func (s *Site) tagScope(r *http.Request) (*feedScope, error) {
	ref := store.TagRef{Kind: r.PathValue("kind"), Slug: r.PathValue("slug")}
	switch ref.Kind {
	case store.TagSubject, store.TagPlace, store.TagPerson, store.TagOrganisation:
	default:
		return nil, fmt.Errorf("tag kind %q: %w", ref.Kind, store.ErrNotFound)
	}
	if ref.Slug == "" || story.Slug(ref.Slug) != ref.Slug {
		return nil, fmt.Errorf("tag slug %q: %w", ref.Slug, store.ErrNotFound)
	}
	// A tag no visible story carries (any more) has an empty feed, not a
	// 404: its subscribers should see the entries go, not the feed.
	name := ref.Slug
	tag, err := s.out.reader.GetTag(r.Context(), &ref)
	switch {
	case err == nil:
		name = tag.Name
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("get tag %s/%s: %w", ref.Kind, ref.Slug, err)
	}
	path := "/tag/" + url.PathEscape(ref.Kind) + "/" + url.PathEscape(ref.Slug)
	return &feedScope{
		title:    s.siteName + ": " + name,
		pagePath: path, feedPath: path + "/feed",
		filter: store.ListStoriesParams{Tag: &ref},
	}, nil
}

// sectionTitle is how a section's name reads in a title: "human-interest"
// as "Human interest".
func sectionTitle(name string) string {
	name = strings.ReplaceAll(name, "-", " ")
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func (s *Site) feedHandler(format string, scope func(*http.Request) (*feedScope, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sc, err := scope(r)
		if err != nil {
			return err
		}
		filter := sc.filter
		filter.Limit = feedLimit
		stories, err := s.store.ListStories(r.Context(), &filter)
		if err != nil {
			return fmt.Errorf("list stories for feed %s.%s: %w", sc.feedPath, format, err)
		}
		base := s.baseURL(r)
		var entries []feedEntry
		for _, st := range stories {
			if !st.State.Visible() || st.Current == nil {
				continue
			}
			entries = append(entries, s.feedEntry(base, st))
		}
		var (
			body []byte
			ct   string
		)
		switch format {
		case feedRSS:
			body, err = s.encodeRSS(base, sc, entries)
			ct = "application/rss+xml; charset=utf-8"
		case feedAtom:
			body, err = s.encodeAtom(base, sc, entries)
			ct = "application/atom+xml; charset=utf-8"
		default:
			body, err = s.encodeJSONFeed(base, sc, entries)
			ct = "application/feed+json; charset=utf-8"
		}
		if err != nil {
			return fmt.Errorf("encode feed %s.%s: %w", sc.feedPath, format, err)
		}
		w.Header().Set("Content-Type", ct)
		if len(entries) > 0 {
			w.Header().Set("Last-Modified", feedUpdated(entries).UTC().Format(http.TimeFormat))
		}
		_, err = w.Write(body)
		return err
	}
}

// baseURL is the absolute origin links are built on: the configured public
// URL, else the request's own scheme and host.
func (s *Site) baseURL(r *http.Request) string {
	if s.out.publicURL != "" {
		return s.out.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Site) feedEntry(base string, st *story.Story) feedEntry {
	it := st.Current
	e := feedEntry{
		id:        base + fmt.Sprintf("/story/%d", st.ID),
		url:       base + storyURL(st),
		title:     headline(st),
		published: st.PublishedAt.UTC(),
		updated:   st.PublishedAt.UTC(),
		summary:   excerpt(it, s.policy.Text),
		author:    st.Agency,
		language:  it.Language,
		section:   st.Section,
	}
	// Only a story with more than one version can have been updated; its
	// UpdatedAt then moved with the version put on show.
	if st.Versions > 1 && st.UpdatedAt.After(st.PublishedAt) {
		e.updated = st.UpdatedAt.UTC()
	}
	var b strings.Builder
	b.WriteString(s.bodyHTML(it))
	b.WriteString("<p>")
	b.WriteString(html.EscapeString(strings.ReplaceAll(s.provenance, "{agency}", st.Agency)))
	b.WriteString("</p>")
	e.content = b.String()
	return e
}

// bodyHTML is a story's body as its page shows it: the sanitized HTML, or
// the plain text in paragraphs.
func (s *Site) bodyHTML(it *story.Item) string {
	if strings.TrimSpace(it.BodyHTML) != "" {
		// Relative links in the body point into the agency's site.
		var base *url.URL
		if link := webLink(it.Link); link != "" {
			base, _ = url.Parse(link)
		}
		return s.policy.HTMLWithBase(it.BodyHTML, base)
	}
	var b strings.Builder
	for _, p := range paragraphs(it.BodyText) {
		b.WriteString("<p>")
		b.WriteString(html.EscapeString(p))
		b.WriteString("</p>")
	}
	return b.String()
}

// feedUpdated is the latest change among the entries.
func feedUpdated(entries []feedEntry) time.Time {
	var t time.Time
	for _, e := range entries {
		t = latest(t, e.updated)
	}
	return t
}

// feedLinks are the feed's own address and its WebSub hub, as RSS and Atom
// both write them.
func (s *Site) feedLinks(self, mediaType string) []xmlLink {
	links := []xmlLink{{Rel: "self", Href: self, Type: mediaType}}
	if s.out.websubHub != "" {
		links = append(links, xmlLink{Rel: "hub", Href: s.out.websubHub})
	}
	return links
}

type xmlLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// RSS 2.0, with atom:link for self and hub (as WebSub asks of RSS feeds),
// content:encoded for the full body, and atom:updated so that readers can
// tell an updated entry.
type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	AtomNS    string     `xml:"xmlns:atom,attr"`
	ContentNS string     `xml:"xmlns:content,attr"`
	DCNS      string     `xml:"xmlns:dc,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Links         []xmlLink `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Link        string   `xml:"link"`
	GUID        rssGUID  `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
	Updated     string   `xml:"atom:updated,omitempty"`
	Author      string   `xml:"dc:creator,omitempty"`
	Category    []string `xml:"category,omitempty"`
	Description string   `xml:"description"`
	Content     string   `xml:"content:encoded"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
)

func (s *Site) encodeRSS(base string, sc *feedScope, entries []feedEntry) ([]byte, error) {
	doc := rssDoc{
		Version: "2.0", AtomNS: nsAtom, ContentNS: nsContent, DCNS: nsDC,
		Channel: rssChannel{
			Title:       sc.title,
			Link:        base + sc.pagePath,
			Description: "Stories from " + sc.title,
			Links:       s.feedLinks(base+sc.feedPath+".rss", "application/rss+xml"),
		},
	}
	if len(entries) > 0 {
		doc.Channel.LastBuildDate = feedUpdated(entries).Format(time.RFC1123Z)
	}
	for _, e := range entries {
		it := rssItem{
			Title:       e.title,
			Link:        e.url,
			GUID:        rssGUID{IsPermaLink: true, Value: e.id},
			PubDate:     e.published.Format(time.RFC1123Z),
			Updated:     e.updated.Format(time.RFC3339),
			Author:      e.author,
			Description: e.summary,
			Content:     e.content,
		}
		if e.section != "" {
			it.Category = []string{e.section}
		}
		doc.Channel.Items = append(doc.Channel.Items, it)
	}
	return marshalXML(doc)
}

// Atom 1.0 (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   atomText    `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []xmlLink   `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	Lang      string         `xml:"xml:lang,attr,omitempty"`
	ID        string         `xml:"id"`
	Title     atomText       `xml:"title"`
	Links     []xmlLink      `xml:"link"`
	Published string         `xml:"published"`
	Updated   string         `xml:"updated"`
	Author    atomPerson     `xml:"author"`
	Category  []atomCategory `xml:"category,omitempty"`
	Summary   atomText       `xml:"summary"`
	Content   atomText       `xml:"content"`
}

type atomText struct {
	Type  string `xml:"type,attr,omitempty"`
	Value string `xml:",chardata"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

func (s *Site) encodeAtom(base string, sc *feedScope, entries []feedEntry) ([]byte, error) {
	// An empty feed still needs an updated time (RFC 4287 4.1.1); the
	// epoch keeps its bytes, and so its ETag, the same between renders.
	updated := time.Unix(0, 0).UTC()
	if len(entries) > 0 {
		updated = feedUpdated(entries)
	}
	feed := atomFeed{
		Title:   atomText{Type: "text", Value: sc.title},
		ID:      base + sc.feedPath + ".atom",
		Updated: updated.Format(time.RFC3339),
		Links: append([]xmlLink{{Rel: "alternate", Href: base + sc.pagePath, Type: "text/html"}},
			s.feedLinks(base+sc.feedPath+".atom", "application/atom+xml")...),
		Author: atomPerson{Name: s.siteName},
	}
	for _, e := range entries {
		ae := atomEntry{
			Lang:      e.language,
			ID:        e.id,
			Title:     atomText{Type: "text", Value: e.title},
			Links:     []xmlLink{{Rel: "alternate", Href: e.url, Type: "text/html"}},
			Published: e.published.Format(time.RFC3339),
			Updated:   e.updated.Format(time.RFC3339),
			Author:    atomPerson{Name: e.author},
			Summary:   atomText{Type: "text", Value: e.summary},
			Content:   atomText{Type: "html", Value: e.content},
		}
		if e.section != "" {
			ae.Category = []atomCategory{{Term: e.section}}
		}
		feed.Entries = append(feed.Entries, ae)
	}
	return marshalXML(feed)
}

// marshalXML encodes v as an XML document.
func marshalXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/).
type jsonFeed struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Description string         `json:"description,omitempty"`
	Hubs        []jsonFeedHub  `json:"hubs,omitempty"`
	Authors     []jsonAuthor   `json:"authors,omitempty"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonFeedHub struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type jsonAuthor struct {
	Name string `json:"name"`
}

type jsonFeedItem struct {
	ID            string       `json:"id"`
	URL           string       `json:"url"`
	Title         string       `json:"title"`
	ContentHTML   string       `json:"content_html"`
	Summary       string       `json:"summary,omitempty"`
	DatePublished string       `json:"date_published"`
	DateModified  string       `json:"date_modified"`
	Authors       []jsonAuthor `json:"authors,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
	Language      string       `json:"language,omitempty"`
}

func (s *Site) encodeJSONFeed(base string, sc *feedScope, entries []feedEntry) ([]byte, error) {
	feed := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       sc.title,
		HomePageURL: base + sc.pagePath,
		FeedURL:     base + sc.feedPath + ".json",
		Description: "Stories from " + sc.title,
		Authors:     []jsonAuthor{{Name: s.siteName}},
		Items:       []jsonFeedItem{},
	}
	if s.out.websubHub != "" {
		feed.Hubs = []jsonFeedHub{{Type: "WebSub", URL: s.out.websubHub}}
	}
	for _, e := range entries {
		it := jsonFeedItem{
			ID:            e.id,
			URL:           e.url,
			Title:         e.title,
			ContentHTML:   e.content,
			Summary:       e.summary,
			DatePublished: e.published.Format(time.RFC3339),
			DateModified:  e.updated.Format(time.RFC3339),
			Authors:       []jsonAuthor{{Name: e.author}},
			Language:      e.language,
		}
		if e.section != "" {
			it.Tags = []string{e.section}
		}
		feed.Items = append(feed.Items, it)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(feed); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
