// Package demo is the fictional news agency built into `wiredesk demo`: an RSS
// 2.0 feed that releases invented wire stories over time and updates one.
package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The agency and its feed. Everything in it is invented: the agency, the
// places, the people and the companies.
const (
	AgencyName = "Harbour Wire Service"
	// AgencyCode goes in datelines: "PORT ALDER, Nov 29 (HWS) - ".
	AgencyCode = "HWS"
	// FeedPath is where Handler serves the RSS feed.
	FeedPath = "/feed.rss"
	// InitialRelease is how many stories are out as soon as Run starts, so
	// a first poll has something to show.
	InitialRelease = 3

	guidPrefix  = "urn:harbourwire:"
	channelLink = "https://harbourwire.example/"
)

// Defaults for the zero Config.
const (
	DefaultInterval    = 5 * time.Second
	DefaultUpdateAfter = 20 * time.Second
)

// ErrAlreadyRunning: Run was called a second time on one Agency.
var ErrAlreadyRunning = errors.New("demo agency is already running")

//go:embed stories.json
var storiesJSON []byte

// Config configures an Agency. Every zero field takes its default.
type Config struct {
	// Interval is the time between two releases after the first
	// InitialRelease stories. Default 5s.
	Interval time.Duration
	// UpdateAfter is how long after Run starts the first story is
	// updated in place (same guid, new headline and body). Default 20s.
	UpdateAfter time.Duration
	// Now stamps releases and updates. Default time.Now.
	Now func() time.Time
	// Logger receives a line per release. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.UpdateAfter <= 0 {
		c.UpdateAfter = DefaultUpdateAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// story is one piece of wire copy as written in stories.json. The first
// paragraph is written without its dateline: the dateline carries the
// release date, so it is added when the feed is built.
type story struct {
	ID         string     `json:"id"`
	Desk       string     `json:"desk"`
	Categories []string   `json:"categories"`
	Place      string     `json:"place"`
	Byline     string     `json:"byline"`
	Headline   string     `json:"headline"`
	Paragraphs []string   `json:"paragraphs"`
	Update     *storyText `json:"update,omitempty"`
}

// storyText is the part of a story an update replaces.
type storyText struct {
	Headline   string   `json:"headline"`
	Paragraphs []string `json:"paragraphs"`
}

// release is what has happened to one released story.
type release struct {
	at      time.Time // first release: pubDate of the first version, dateline date
	changed time.Time // last release or update: pubDate of the current version
	updated bool
}

// Agency is the demo agency: a fixed list of stories, of which a growing
// prefix is released. The feed is a function of that list and the releases,
// rebuilt on each change and served from memory.
type Agency struct {
	cfg     Config
	log     *slog.Logger
	stories []story

	mu       sync.Mutex
	running  bool
	releases []release // releases[i] is stories[i]'s; len is the released count
	feed     []byte
	etag     string
}

// New returns an Agency with nothing released yet; Run starts the releases.
func New(cfg Config) *Agency {
	cfg = cfg.withDefaults()
	stories, err := loadStories(storiesJSON)
	if err != nil {
		// The copy is compiled in; its tests keep it loadable.
		panic(fmt.Sprintf("demo: embedded stories.json: %v", err))
	}
	a := &Agency{cfg: cfg, log: cfg.Logger, stories: stories}
	if err := a.rebuildLocked(); err != nil {
		panic(fmt.Sprintf("demo: build empty feed: %v", err))
	}
	return a
}

func loadStories(b []byte) ([]story, error) {
	var stories []story
	if err := json.Unmarshal(b, &stories); err != nil {
		return nil, fmt.Errorf("parse stories: %w", err)
	}
	if len(stories) < InitialRelease {
		return nil, fmt.Errorf("%d stories, need at least %d", len(stories), InitialRelease)
	}
	if stories[0].Update == nil {
		return nil, errors.New("the first story has no update")
	}
	return stories, nil
}

// Handler serves the feed at FeedPath, answering If-None-Match with 304.
func (a *Agency) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+FeedPath, a.serveFeed)
	return mux
}

func (a *Agency) serveFeed(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	feed, etag := a.feed, a.etag
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("ETag", etag)
	// Pollers should ask every time; the ETag makes asking cheap.
	w.Header().Set("Cache-Control", "no-cache")
	// ServeContent answers If-None-Match (and Range, HEAD) from the ETag.
	http.ServeContent(w, r, "feed.rss", time.Time{}, bytes.NewReader(feed))
}

// Run releases InitialRelease stories at once, then one more every
// Interval until all are out, and updates the first story UpdateAfter after
// the start. It returns nil when ctx ends; an Agency runs once.
func (a *Agency) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running {
		a.mu.Unlock()
		return ErrAlreadyRunning
	}
	a.running = true
	a.mu.Unlock()

	// One change, so no poll sees a partial first batch.
	if _, err := a.release(ctx, InitialRelease); err != nil {
		return err
	}
	tick := time.NewTicker(a.cfg.Interval)
	defer tick.Stop()
	update := time.NewTimer(a.cfg.UpdateAfter)
	defer update.Stop()

	ticks := tick.C
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			more, err := a.release(ctx, 1)
			if err != nil {
				return err
			}
			if !more {
				tick.Stop()
				ticks = nil // all released: wait for the update and the end
			}
		case <-update.C:
			if err := a.updateFirst(ctx); err != nil {
				return err
			}
		}
	}
}

// release releases the next n stories (fewer when the list runs out) in
// one change of the feed, and reports whether any are left.
func (a *Agency) release(ctx context.Context, n int) (more bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	from := len(a.releases)
	to := min(from+n, len(a.stories))
	if from == to {
		return false, nil
	}
	now := a.cfg.Now().UTC()
	for range to - from {
		a.releases = append(a.releases, release{at: now, changed: now})
	}
	if err := a.rebuildLocked(); err != nil {
		a.releases = a.releases[:from]
		return false, fmt.Errorf("release %s: %w", a.stories[from].ID, err)
	}
	for i := from; i < to; i++ {
		a.log.InfoContext(ctx, "demo agency released a story",
			"guid", guidPrefix+a.stories[i].ID, "headline", a.stories[i].Headline,
			"released", i+1, "of", len(a.stories))
	}
	return to < len(a.stories), nil
}

// updateFirst replaces the first story's headline and body with its update.
func (a *Agency) updateFirst(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.releases) == 0 || a.releases[0].updated {
		return nil
	}
	prev := a.releases[0]
	a.releases[0].updated = true
	a.releases[0].changed = a.cfg.Now().UTC()
	if err := a.rebuildLocked(); err != nil {
		a.releases[0] = prev
		return fmt.Errorf("update %s: %w", a.stories[0].ID, err)
	}
	a.log.InfoContext(ctx, "demo agency updated a story",
		"guid", guidPrefix+a.stories[0].ID, "headline", a.stories[0].Update.Headline)
	return nil
}

// rebuildLocked renders the feed for the current releases. a.mu is held.
func (a *Agency) rebuildLocked() error {
	feed, err := renderFeed(a.stories, a.releases)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(feed)
	a.feed = feed
	a.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	return nil
}

// The RSS 2.0 document. Prefixed names are written literally with their
// namespaces declared on <rss>, which is how feed readers expect them.
type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	ContentNS string     `xml:"xmlns:content,attr"`
	DCNS      string     `xml:"xmlns:dc,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	Copyright     string    `xml:"copyright"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Description string   `xml:"description"`
	Content     cdata    `xml:"content:encoded"`
	Creator     string   `xml:"dc:creator"`
	Categories  []string `xml:"category"`
	GUID        rssGUID  `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// renderFeed builds the feed for the released stories, most recently
// changed first, as wires list them.
func renderFeed(stories []story, releases []release) ([]byte, error) {
	doc := rssDoc{
		Version:   "2.0",
		ContentNS: "http://purl.org/rss/1.0/modules/content/",
		DCNS:      "http://purl.org/dc/elements/1.1/",
		Channel: rssChannel{
			Title: AgencyName,
			Link:  channelLink,
			Description: "Top stories from the " + AgencyName + ", the fictional news agency built into wiredesk's demo. " +
				"Every event, place, person and company in it is invented.",
			Language:  "en",
			Copyright: "Fictional demo copy written for wiredesk.",
		},
	}
	order := make([]int, len(releases))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		if c := releases[j].changed.Compare(releases[i].changed); c != 0 {
			return c
		}
		return j - i
	})
	for _, i := range order {
		doc.Channel.Items = append(doc.Channel.Items, renderItem(&stories[i], releases[i]))
	}
	if len(order) > 0 {
		doc.Channel.LastBuildDate = releases[order[0]].changed.Format(time.RFC1123Z)
	}
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render feed: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}

func renderItem(s *story, r release) rssItem {
	text := storyText{Headline: s.Headline, Paragraphs: s.Paragraphs}
	if r.updated {
		text = *s.Update
	}
	dateline := fmt.Sprintf("%s, %s (%s) - ", s.Place, r.at.Format("Jan 2"), AgencyCode)
	var body strings.Builder
	for i, p := range text.Paragraphs {
		if i == 0 {
			p = dateline + p
		}
		body.WriteString("<p>")
		body.WriteString(escapeHTMLText(p))
		body.WriteString("</p>\n")
	}
	return rssItem{
		Title:       text.Headline,
		Description: dateline + text.Paragraphs[0],
		Content:     cdata{Text: body.String()},
		Creator:     s.Byline,
		Categories:  s.Categories,
		GUID:        rssGUID{IsPermaLink: "false", Value: guidPrefix + s.ID},
		PubDate:     r.changed.Format(time.RFC1123Z),
	}
}

// escapeHTMLText escapes what HTML text content requires. Quotes stay as
// typed: the copy is published verbatim, and &#34; in a paragraph is noise.
func escapeHTMLText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
