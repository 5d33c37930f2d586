// Package demo is the fictional news agency built into `wiredesk demo`: a
// NewsML-G2 feed (and an RSS copy of it) that releases invented wire stories
// over time, then updates one, corrects one and kills one.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The agency and its feeds. Everything in them is invented: the agency,
// the places, the people and the companies.
const (
	AgencyName = "Harbour Wire Service"
	// AgencyCode goes in datelines: "PORT ALDER, Nov 29 (HWS)".
	AgencyCode = "HWS"
	// FeedPath is where Handler serves the NewsML-G2 newsMessage: the feed
	// the demo source polls, since only it can say "correction" and "kill".
	FeedPath = "/feed.xml"
	// RSSFeedPath is where Handler serves the same stories as RSS 2.0,
	// which shows each story's current text but cannot mark a correction
	// or a kill.
	RSSFeedPath = "/feed.rss"
	// InitialRelease is how many stories are out as soon as Run starts, so
	// a first poll has something to show.
	InitialRelease = 3

	// guidPrefix makes a story id a NewsML-G2 guid; the RSS feed uses the
	// same, so a story is one story whichever feed it is read from.
	guidPrefix  = "urn:newsml:harbourwire.example:2026:"
	channelLink = "https://harbourwire.example/"
)

// Defaults for the zero Config: all within the demo's first minute.
const (
	DefaultInterval     = 5 * time.Second
	DefaultUpdateAfter  = 20 * time.Second
	DefaultCorrectAfter = 30 * time.Second
	DefaultKillAfter    = 40 * time.Second
)

// ErrAlreadyRunning: Run was called a second time on one Agency.
var ErrAlreadyRunning = errors.New("demo agency is already running")

//go:embed stories.json
var storiesJSON []byte

// Config configures an Agency. Every zero (or negative) field takes its
// default.
type Config struct {
	// Interval is the time between two releases after the first
	// InitialRelease stories. Default 5s.
	Interval time.Duration
	// UpdateAfter is how long after Run starts the story with an update
	// in stories.json (the first) gets a new version with a new headline
	// and body, signalled sig:update. Default 20s.
	UpdateAfter time.Duration
	// CorrectAfter is how long after Run starts the story with a
	// correction (the second) gets a new version with one fact put right,
	// signalled sig:correction, with the agency's correction note.
	// Default 30s.
	CorrectAfter time.Duration
	// KillAfter is how long after Run starts the story with a kill (the
	// third) gets a new version with pubStatus stat:canceled and the
	// agency's reason. Default 40s.
	KillAfter time.Duration
	// Now stamps releases and changes, and (read once by New) the header
	// of the feed before anything is released. Default time.Now.
	Now func() time.Time
	// Logger receives a line per release and per change. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.UpdateAfter <= 0 {
		c.UpdateAfter = DefaultUpdateAfter
	}
	if c.CorrectAfter <= 0 {
		c.CorrectAfter = DefaultCorrectAfter
	}
	if c.KillAfter <= 0 {
		c.KillAfter = DefaultKillAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// storyCopy is one piece of wire copy as written in stories.json, with the
// later versions the timeline gives it. Paragraphs are written without the
// dateline: it carries the release date, so the feeds add it.
type storyCopy struct {
	ID         string   `json:"id"`
	Desk       string   `json:"desk"`
	Slug       string   `json:"slug"`
	Categories []string `json:"categories"`
	Place      string   `json:"place"`
	Byline     string   `json:"byline"`
	Headline   string   `json:"headline"`
	Paragraphs []string `json:"paragraphs"`

	Update     *revision `json:"update,omitempty"`
	Correction *revision `json:"correction,omitempty"`
	Kill       *revision `json:"kill,omitempty"`
}

// revision is the text of one later version of a story. A correction
// that leaves the headline alone omits it.
type revision struct {
	Headline   string   `json:"headline,omitempty"`
	Paragraphs []string `json:"paragraphs"`
	// EdNote is the agency's note to editors: what a correction corrects,
	// why a story is killed.
	EdNote string `json:"ednote,omitempty"`
}

// change is what the timeline does to a released story.
type change int

const (
	changeNone change = iota // no change: the version as first released
	changeUpdate
	changeCorrection
	changeKill
)

func (c change) String() string {
	switch c {
	case changeUpdate:
		return "update"
	case changeCorrection:
		return "correction"
	case changeKill:
		return "kill"
	}
	return "original"
}

// revision returns the text a change gives s, nil when s has none for it.
func (s *storyCopy) revision(c change) *revision {
	switch c {
	case changeUpdate:
		return s.Update
	case changeCorrection:
		return s.Correction
	case changeKill:
		return s.Kill
	}
	return &revision{Headline: s.Headline, Paragraphs: s.Paragraphs}
}

// release is what has happened to one released story.
type release struct {
	at      time.Time // first release: firstCreated, and the dateline's date
	changed time.Time // the current version's versionCreated
	version int       // 1 when released, one more per change
	last    change    // the change that made the current version
}

// feed is one rendered feed document and its strong ETag.
type feed struct {
	body []byte
	etag string
}

// Agency is the demo agency: a fixed list of stories, of which a growing
// prefix is released, and three of which change on a timeline. The feeds
// are a function of that list and the releases, rebuilt on each change and
// served from memory.
type Agency struct {
	cfg     Config
	log     *slog.Logger
	stories []storyCopy
	// changed names the story each change applies to.
	changed map[change]int
	// created stamps the empty feed's header, before any release.
	created time.Time

	mu       sync.Mutex
	running  bool
	releases []release       // releases[i] is stories[i]'s; len is the released count
	applied  map[change]bool // changes made, each once
	g2       feed
	rss      feed
}

// New returns an Agency with nothing released yet; Run starts the releases.
func New(cfg Config) *Agency {
	cfg = cfg.withDefaults()
	stories, changed, err := loadStories(storiesJSON)
	if err != nil {
		// The copy is compiled in; its tests keep it loadable.
		panic(fmt.Sprintf("demo: embedded stories.json: %v", err))
	}
	a := &Agency{cfg: cfg, log: cfg.Logger, stories: stories, changed: changed, created: cfg.Now().UTC(),
		applied: map[change]bool{}}
	if err := a.rebuildLocked(); err != nil {
		panic(fmt.Sprintf("demo: build empty feed: %v", err))
	}
	return a
}

// loadStories reads the stories and finds the one each change applies to.
// Each change must have exactly one story, among the first InitialRelease,
// so that it is out before its change comes.
func loadStories(b []byte) ([]storyCopy, map[change]int, error) {
	var stories []storyCopy
	if err := json.Unmarshal(b, &stories); err != nil {
		return nil, nil, fmt.Errorf("parse stories: %w", err)
	}
	if len(stories) < InitialRelease {
		return nil, nil, fmt.Errorf("%d stories, need at least %d", len(stories), InitialRelease)
	}
	changed := map[change]int{}
	for i := range stories {
		s := &stories[i]
		if s.Correction != nil && s.Correction.Headline == "" {
			s.Correction.Headline = s.Headline
		}
		for _, c := range []change{changeUpdate, changeCorrection, changeKill} {
			r := s.revision(c)
			if r == nil {
				continue
			}
			if prev, ok := changed[c]; ok {
				return nil, nil, fmt.Errorf("stories %s and %s both carry the %s; only one may", stories[prev].ID, s.ID, c)
			}
			if i >= InitialRelease {
				return nil, nil, fmt.Errorf("story %s carries the %s but is not among the first %d released", s.ID, c, InitialRelease)
			}
			if r.Headline == "" || len(r.Paragraphs) == 0 {
				return nil, nil, fmt.Errorf("story %s: its %s has no headline or no paragraphs", s.ID, c)
			}
			changed[c] = i
		}
	}
	for _, c := range []change{changeUpdate, changeCorrection, changeKill} {
		if _, ok := changed[c]; !ok {
			return nil, nil, fmt.Errorf("no story carries the %s", c)
		}
	}
	return stories, changed, nil
}

// Handler serves the NewsML-G2 feed at FeedPath and the RSS feed at
// RSSFeedPath, answering If-None-Match with 304.
func (a *Agency) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+FeedPath, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		f := a.g2
		a.mu.Unlock()
		// IPTC's registered media type for a newsMessage.
		serveFeed(w, r, f, "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8")
	})
	mux.HandleFunc("GET "+RSSFeedPath, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		f := a.rss
		a.mu.Unlock()
		serveFeed(w, r, f, "application/rss+xml; charset=utf-8")
	})
	return mux
}

func serveFeed(w http.ResponseWriter, r *http.Request, f feed, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("ETag", f.etag)
	// Pollers should ask every time; the ETag makes asking cheap.
	w.Header().Set("Cache-Control", "no-cache")
	// ServeContent answers If-None-Match (and Range, HEAD) from the ETag.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// scheduled is one change on the timeline, due after a time from the start.
type scheduled struct {
	change change
	after  time.Duration
}

// Run releases InitialRelease stories at once, then one more every
// Interval until all are out; it updates, corrects and kills a story each
// UpdateAfter, CorrectAfter and KillAfter after the start. It returns nil
// when ctx ends; an Agency runs once.
func (a *Agency) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running {
		a.mu.Unlock()
		return ErrAlreadyRunning
	}
	a.running = true
	a.mu.Unlock()

	start := time.Now()
	timeline := []scheduled{
		{changeUpdate, a.cfg.UpdateAfter},
		{changeCorrection, a.cfg.CorrectAfter},
		{changeKill, a.cfg.KillAfter},
	}
	// Stable, so changes due at the same time come in the order above.
	slices.SortStableFunc(timeline, func(x, y scheduled) int { return cmp.Compare(x.after, y.after) })

	// One change, so no poll sees a partial first batch.
	if _, err := a.release(ctx, InitialRelease); err != nil {
		return err
	}
	tick := time.NewTicker(a.cfg.Interval)
	defer tick.Stop()
	next := time.NewTimer(time.Until(start.Add(timeline[0].after)))
	defer next.Stop()

	ticks, due := tick.C, next.C
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
				ticks = nil // all released: wait for the changes and the end
			}
		case <-due:
			if err := a.apply(ctx, timeline[0].change); err != nil {
				return err
			}
			timeline = timeline[1:]
			if len(timeline) == 0 {
				due = nil
				continue
			}
			next.Reset(time.Until(start.Add(timeline[0].after)))
		}
	}
}

// release releases the next n stories (fewer when the list runs out) in
// one change of the feeds, and reports whether any are left.
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
		a.releases = append(a.releases, release{at: now, changed: now, version: 1})
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

// apply gives the story a change is for its new version. A change already
// made, to a story not yet released or already killed, is a no-op: the
// feeds, and so their ETags, stay as they are.
func (a *Agency) apply(ctx context.Context, c change) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, ok := a.changed[c]
	if !ok {
		return fmt.Errorf("apply %s: no story carries it", c)
	}
	if a.applied[c] || i >= len(a.releases) || a.releases[i].last == changeKill {
		return nil
	}
	s := &a.stories[i]
	prev := a.releases[i]
	a.releases[i].version++
	a.releases[i].changed = a.cfg.Now().UTC()
	a.releases[i].last = c
	a.applied[c] = true
	if err := a.rebuildLocked(); err != nil {
		a.releases[i] = prev
		delete(a.applied, c)
		return fmt.Errorf("%s %s: %w", c, s.ID, err)
	}
	r := s.revision(c)
	a.log.InfoContext(ctx, "demo agency sent a "+c.String(),
		"guid", guidPrefix+s.ID, "version", a.releases[i].version, "headline", r.Headline, "ednote", r.EdNote)
	return nil
}

// rebuildLocked renders both feeds for the current releases. a.mu is held.
func (a *Agency) rebuildLocked() error {
	order := a.newestFirstLocked()
	g2, err := renderNewsMessage(a.stories, a.releases, order, a.created)
	if err != nil {
		return err
	}
	rss, err := renderRSS(a.stories, a.releases, order)
	if err != nil {
		return err
	}
	a.g2 = feed{body: g2, etag: etagOf(g2)}
	a.rss = feed{body: rss, etag: etagOf(rss)}
	return nil
}

// newestFirstLocked returns the indexes of the released stories, most
// recently changed first as wires list them; of two changed at once, the
// later released first. a.mu is held.
func (a *Agency) newestFirstLocked() []int {
	order := make([]int, len(a.releases))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		if c := a.releases[j].changed.Compare(a.releases[i].changed); c != 0 {
			return c
		}
		return j - i
	})
	return order
}

// etagOf is a strong ETag of a feed's bytes: it changes exactly when they do.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// dateline is the dateline of a story as the feeds write it, dated on the
// day of its first release.
func dateline(s *storyCopy, r release) string {
	return fmt.Sprintf("%s, %s (%s)", s.Place, r.at.Format("Jan 2"), AgencyCode)
}
