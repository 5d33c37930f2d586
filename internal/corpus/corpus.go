// Package corpus generates synthetic wire traffic for benchmarks: stories
// from several made-up agencies, written as the NewsML-G2, ninjs, NITF and
// RSS documents those agencies would send, with updates, corrections,
// kills, embargoes and near-duplicates, delivered in arrival order. The
// same seed and settings always give the same bytes, and deliveries are
// generated as they are consumed, so a million of them never sit in memory.
package corpus

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
	"github.com/wiredesk/wiredesk/internal/wire/nitf"
	"github.com/wiredesk/wiredesk/internal/wire/rss"
)

// The formats the corpus writes, named as internal/decode names them.
const (
	FormatNewsMLG2 = newsmlg2.Format
	FormatNinjs    = ninjs.Format
	FormatNITF     = nitf.Format
	FormatRSS      = rss.FormatRSS
)

// Formats lists the formats the corpus writes.
func Formats() []string {
	return []string{FormatNewsMLG2, FormatNinjs, FormatNITF, FormatRSS}
}

// Kind says what a delivery is to its story.
type Kind string

// The kinds of delivery.
const (
	// First is a story's first version.
	First Kind = "first"
	// Update is a later version with new text (signal update).
	Update Kind = "update"
	// Correction is a later version correcting the text (signal correction).
	Correction Kind = "correction"
	// Kill cancels the story (pubstatus canceled).
	Kill Kind = "kill"
	// Duplicate is another agency's near-identical copy of a story: its
	// own story, with a few words changed.
	Duplicate Kind = "duplicate"
)

// Mix is how much of each thing happens to stories. Each share is of all
// stories, between 0 and 1.
type Mix struct {
	// Updated stories get one to three updates.
	Updated float64
	// Corrected stories get one correction.
	Corrected float64
	// Killed stories are killed after their last version. RSS has no way
	// to say so: stories of RSS agencies are never killed.
	Killed float64
	// Embargoed stories' first version is embargoed for one to six hours.
	// Not in RSS either.
	Embargoed float64
	// Duplicated stories are also sent, reworded, by another agency
	// writing the same language (or, where there is none, by the same
	// agency again under a new id).
	Duplicated float64
	// OutOfOrder is the share of stories with two or more versions whose
	// versions arrive swapped once (a newer one before an older one).
	OutOfOrder float64
}

// DefaultMix is what a day of agency traffic looks like, roughly.
func DefaultMix() Mix {
	return Mix{Updated: 0.25, Corrected: 0.04, Killed: 0.01, Embargoed: 0.02, Duplicated: 0.08, OutOfOrder: 0.1}
}

// Config configures a corpus. The zero value of each field means its
// default.
type Config struct {
	// Seed makes the corpus: the same seed and settings give the same
	// deliveries, byte for byte. Default 0 (itself a seed).
	Seed uint64
	// Items is how many deliveries Each yields, one item each. Default 1,000.
	Items int
	// Formats restricts the agencies to those sending these formats
	// (FormatNewsMLG2, FormatNinjs, FormatNITF, FormatRSS). Default all.
	Formats []string
	// Start is when the first story is written. Default
	// 2026-11-29T00:00:00Z.
	Start time.Time
	// StoryGap is the mean time between two new stories. Default 20s.
	StoryGap time.Duration
	// Mix is what happens to stories. Nil means DefaultMix().
	Mix *Mix
}

// Delivery is one payload as an agency sends it.
type Delivery struct {
	// Seq counts deliveries from 0, in arrival order.
	Seq int
	// Story numbers the story the delivery belongs to, from 0.
	Story int
	Kind  Kind
	// Late is set when a newer version of the story arrived before this.
	Late bool
	// Arrival is when the delivery arrives, in the corpus's clock.
	Arrival time.Time
	// Format is the wire format of Body, as internal/decode names it.
	Format string
	// Item is the item the document states, field by field as a decoder
	// reads it back: what the format cannot say (RSS has no version or
	// status) is left out.
	Item *story.Item
	// Body is the document.
	Body []byte
}

// Corpus is a configured generator; Each runs it.
type Corpus struct {
	cfg Config
}

// New returns a corpus with cfg's defaults set. Each reports an invalid
// configuration.
func New(cfg Config) *Corpus {
	if cfg.Items == 0 {
		cfg.Items = 1000
	}
	if len(cfg.Formats) == 0 {
		cfg.Formats = Formats()
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	}
	cfg.Start = cfg.Start.UTC().Truncate(time.Second)
	if cfg.StoryGap == 0 {
		cfg.StoryGap = 20 * time.Second
	}
	if cfg.Mix == nil {
		m := DefaultMix()
		cfg.Mix = &m
	}
	return &Corpus{cfg: cfg}
}

func (c *Corpus) validate() error {
	if c.cfg.Items < 0 {
		return fmt.Errorf("corpus: Items %d is negative", c.cfg.Items)
	}
	for _, f := range c.cfg.Formats {
		if !slices.Contains(Formats(), f) {
			return fmt.Errorf("corpus: unknown format %q: want one of %s", f, strings.Join(Formats(), ", "))
		}
	}
	if c.cfg.StoryGap < 0 {
		return fmt.Errorf("corpus: StoryGap %s is negative", c.cfg.StoryGap)
	}
	m := c.cfg.Mix
	for _, share := range []float64{m.Updated, m.Corrected, m.Killed, m.Embargoed, m.Duplicated, m.OutOfOrder} {
		if share < 0 || share > 1 {
			return fmt.Errorf("corpus: share %v in Mix is not between 0 and 1", share)
		}
	}
	return nil
}

// agency is a made-up news agency and the one format it sends.
type agency struct {
	name, domain, format, lang string
}

// agencies are the corpus's senders: two for each format, most writing
// English, one each German, French and Spanish.
func agencies() []agency {
	return []agency{
		{"Northport Wire", "northport-wire.example", FormatNewsMLG2, "en"},
		{"Nordwind Nachrichtendienst", "nordwind.example", FormatNewsMLG2, "de"},
		{"Meridian Press", "meridian-press.example", FormatNinjs, "en"},
		{"Agence Littorale", "littorale.example", FormatNinjs, "fr"},
		{"Lakeside Telegraph", "lakeside-telegraph.example", FormatNITF, "en"},
		{"Tidewater Wire", "tidewater.example", FormatNITF, "en"},
		{"Pinecrest Wire", "pinecrest.example", FormatRSS, "en"},
		{"Cordillera Noticias", "cordillera.example", FormatRSS, "es"},
	}
}

// Each generates the corpus and calls fn with each delivery, in arrival
// order, until Items deliveries or fn's first error, which it returns.
// Deliveries are built as they are handed over; fn may keep them.
func (c *Corpus) Each(fn func(*Delivery) error) error {
	if err := c.validate(); err != nil {
		return err
	}
	var senders []agency
	for _, a := range agencies() {
		if slices.Contains(c.cfg.Formats, a.format) {
			senders = append(senders, a)
		}
	}
	var (
		pending   versionQueue
		pushed    int64
		nextStart = c.cfg.Start
		stories   int
	)
	for seq := 0; seq < c.cfg.Items; {
		// A story not yet written starts at nextStart or later, and its
		// versions arrive after it starts: the queue's first delivery is
		// next only when it arrives before that.
		if len(pending) == 0 || !pending[0].arrival.Before(nextStart) {
			r := rand.New(rand.NewPCG(c.cfg.Seed, uint64(stories)))
			for _, p := range c.plan(r, senders, stories, nextStart) {
				for v := range p.versions {
					pushed++
					heap.Push(&pending, &queued{arrival: p.versions[v].arrival, order: pushed, plan: p, v: v})
				}
				stories++
			}
			// Exponential gaps: stories arrive as a Poisson stream. Agencies
			// state times to the second.
			nextStart = nextStart.Add(time.Duration(r.ExpFloat64() * float64(c.cfg.StoryGap))).Truncate(time.Second)
			continue
		}
		q := heap.Pop(&pending).(*queued)
		d, err := q.plan.delivery(q.v)
		if err != nil {
			return err
		}
		d.Seq = seq
		seq++
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// storyPlan is everything about one story, its versions written out.
type storyPlan struct {
	index    int
	agency   agency
	uri      string
	link     string
	slug     string
	byline   string
	place    string
	date     string
	subjects []story.Entity
	first    time.Time
	versions []versionPlan
}

type versionPlan struct {
	kind       Kind
	late       bool
	created    time.Time
	arrival    time.Time
	embargoed  *time.Time
	urgency    int
	headline   string
	ednote     string
	paragraphs []string
}

// plan writes a new story starting at start, and its near-duplicate from
// another agency when it gets one.
func (c *Corpus) plan(r *rand.Rand, senders []agency, index int, start time.Time) []*storyPlan {
	m := c.cfg.Mix
	a := senders[r.IntN(len(senders))]
	w := &writer{r: r, lex: lexicons[a.lang]}
	p := &storyPlan{
		index:  index,
		agency: a,
		byline: w.lex.by + " " + w.speaker(),
		place:  places[r.IntN(len(places))],
		first:  start,
	}
	p.date = w.lex.months[start.Month()-1] + " " + strconv.Itoa(start.Day())
	p.slug = capitalize(w.lex.content[r.IntN(len(w.lex.content))]) + "-" + capitalize(w.lex.content[r.IntN(len(w.lex.content))])
	p.slug = strings.ReplaceAll(p.slug, " ", "-")
	p.setIdentity(index)
	for range 1 + r.IntN(2) {
		t := mediaTopics[r.IntN(len(mediaTopics))]
		e := story.Entity{Code: t.code, Name: t.name, Scheme: "medtop"}
		if !slices.Contains(p.subjects, e) {
			p.subjects = append(p.subjects, e)
		}
	}

	v1 := versionPlan{
		kind:       First,
		created:    start,
		arrival:    start.Add(time.Duration(r.IntN(5000)) * time.Millisecond),
		urgency:    3 + r.IntN(3),
		headline:   w.headline(),
		paragraphs: w.paragraphs(w.bodyWords()),
	}
	// RSS has no status and no embargo: its stories are never killed or
	// embargoed.
	hasStatus := a.format != FormatRSS
	if hasStatus && r.Float64() < m.Embargoed {
		t := start.Add(time.Hour + time.Duration(r.IntN(5*3600))*time.Second)
		v1.embargoed = &t
	}
	p.versions = []versionPlan{v1}

	updates := 0
	if r.Float64() < m.Updated {
		updates = 1 + r.IntN(3)
	}
	corrected := r.Float64() < m.Corrected
	correctionAt := -1
	if corrected {
		correctionAt = r.IntN(updates + 1)
	}
	for i := range updates + 1 {
		if i == correctionAt {
			p.addVersion(r, w, Correction)
		}
		if i < updates {
			p.addVersion(r, w, Update)
		}
	}
	if hasStatus && r.Float64() < m.Killed {
		p.addVersion(r, w, Kill)
	}
	usable := len(p.versions)
	if p.versions[usable-1].kind == Kill {
		usable--
	}
	if usable >= 2 && r.Float64() < m.OutOfOrder {
		j := r.IntN(usable - 1)
		a, b := &p.versions[j], &p.versions[j+1]
		a.arrival, b.arrival = b.arrival, a.arrival
		a.late = true
	}

	plans := []*storyPlan{p}
	if r.Float64() < m.Duplicated {
		plans = append(plans, p.duplicate(r, senders, index+1))
	}
	return plans
}

// setIdentity gives a story its agency id and web address.
func (p *storyPlan) setIdentity(index int) {
	day := p.first.Format("20060102")
	id := fmt.Sprintf("%08d", index)
	p.uri = fmt.Sprintf("urn:newsml:%s:%s:%s", p.agency.domain, day, id)
	p.link = fmt.Sprintf("https://%s/news/%s/%s", p.agency.domain, day, id)
}

// addVersion writes the next version of kind after the last one.
func (p *storyPlan) addVersion(r *rand.Rand, w *writer, kind Kind) {
	prev := p.versions[len(p.versions)-1]
	after := prev.created
	if prev.embargoed != nil {
		after = *prev.embargoed
	}
	v := versionPlan{
		kind:     kind,
		urgency:  prev.urgency,
		headline: prev.headline,
	}
	switch kind {
	case Update:
		v.created = after.Add(5*time.Minute + time.Duration(r.IntN(115*60))*time.Second)
		v.ednote = w.lex.updateNote
		// A new lead on top of the story, and sometimes a new headline.
		v.paragraphs = append(w.paragraphs(40+r.IntN(80)), prev.paragraphs...)
		if r.IntN(2) == 0 {
			v.headline = strings.Join(w.reword([]string{prev.headline}, 1+r.IntN(2)), "")
		}
	case Correction:
		v.created = after.Add(10*time.Minute + time.Duration(r.IntN(60*60))*time.Second)
		v.ednote = w.lex.correctionNote
		v.paragraphs = w.reword(prev.paragraphs, 1)
	case Kill:
		v.created = after.Add(10*time.Minute + time.Duration(r.IntN(3*3600))*time.Second)
		v.urgency = 2
		v.ednote = w.lex.killNote
		v.paragraphs = []string{w.lex.killBody}
	}
	v.arrival = v.created.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
	p.versions = append(p.versions, v)
}

// duplicate is p's first version as another agency of the same language
// rewrites it: a few words changed in the headline and body, its own id,
// byline and format, sent a few minutes to an hour later. It never fails
// to make one; the result is a plan like any other.
func (p *storyPlan) duplicate(r *rand.Rand, senders []agency, index int) *storyPlan {
	var others []agency
	for _, a := range senders {
		if a.lang == p.agency.lang && a.name != p.agency.name {
			others = append(others, a)
		}
	}
	if len(others) == 0 {
		// No other agency writes the language: the same agency sends the
		// story again under a new id, which happens too.
		others = []agency{p.agency}
	}
	w := &writer{r: r, lex: lexicons[p.agency.lang]}
	d := &storyPlan{
		index:    index,
		agency:   others[r.IntN(len(others))],
		slug:     p.slug,
		byline:   w.lex.by + " " + w.speaker(),
		place:    p.place,
		date:     p.date,
		subjects: p.subjects,
		first:    p.first.Add(time.Minute + time.Duration(r.IntN(3600))*time.Second),
	}
	d.setIdentity(index)
	v := p.versions[0]
	v.kind = Duplicate
	v.late = false
	v.created = d.first
	v.arrival = d.first.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
	v.embargoed = nil
	v.headline = strings.Join(w.reword([]string{v.headline}, 1), "")
	v.paragraphs = w.reword(v.paragraphs, 3+r.IntN(6))
	d.versions = []versionPlan{v}
	return d
}

// delivery renders version v of the story.
func (p *storyPlan) delivery(v int) (*Delivery, error) {
	vp := &p.versions[v]
	it := p.item(v)
	body, err := Render(p.agency.format, it)
	if err != nil {
		return nil, fmt.Errorf("corpus: story %d version %d: %w", p.index, v+1, err)
	}
	return &Delivery{
		Story: p.index, Kind: vp.kind, Late: vp.late, Arrival: vp.arrival,
		Format: p.agency.format, Item: it, Body: body,
	}, nil
}

// item is version v of the story as its format can state it.
func (p *storyPlan) item(v int) *story.Item {
	vp := &p.versions[v]
	first, created := p.first, vp.created
	var b strings.Builder
	for i, para := range vp.paragraphs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("<p>")
		b.WriteString(escape(para))
		b.WriteString("</p>")
	}
	words := countWords(vp.paragraphs)
	urgency := vp.urgency
	it := &story.Item{
		URI:            p.uri,
		Version:        strconv.Itoa(v + 1),
		PubStatus:      story.Usable,
		Type:           "text",
		FirstCreated:   &first,
		VersionCreated: &created,
		Embargoed:      vp.embargoed,
		Urgency:        &urgency,
		Language:       p.agency.lang,
		Headline:       vp.headline,
		Slugline:       p.slug,
		Byline:         p.byline,
		Dateline:       &story.Dateline{Place: p.place, Date: p.date},
		EdNote:         vp.ednote,
		BodyHTML:       b.String(),
		BodyText:       strings.Join(vp.paragraphs, "\n\n"),
		WordCount:      &words,
		Subjects:       p.subjects,
		Copyright:      fmt.Sprintf("Copyright %d %s", first.Year(), p.agency.name),
		Source:         story.ItemSource{Format: p.agency.format, Agency: p.agency.name},
		Link:           p.link,
	}
	switch vp.kind {
	case Update:
		it.Signals = []string{"update"}
	case Correction:
		it.Signals = []string{"correction"}
	case Kill:
		it.PubStatus = story.Canceled
	}
	if p.agency.format == FormatRSS {
		// RSS states none of these; the subjects go as categories, which
		// decoders read as keywords.
		it.Version, it.Signals, it.EdNote, it.Embargoed, it.Urgency = "", nil, "", nil, nil
		it.Slugline, it.Dateline, it.WordCount = "", nil, nil
		for _, s := range p.subjects {
			it.Keywords = append(it.Keywords, s.Name)
		}
		it.Subjects = nil
	}
	return it
}

// queued is a version waiting for its arrival time.
type queued struct {
	arrival time.Time
	order   int64
	plan    *storyPlan
	v       int
}

// versionQueue orders queued versions by arrival, then by when they were
// queued, so ties break the same way every run.
type versionQueue []*queued

func (q versionQueue) Len() int { return len(q) }
func (q versionQueue) Less(i, j int) bool {
	if c := q[i].arrival.Compare(q[j].arrival); c != 0 {
		return c < 0
	}
	return cmp.Less(q[i].order, q[j].order)
}
func (q versionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *versionQueue) Push(x any)   { *q = append(*q, x.(*queued)) }
func (q *versionQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return x
}
