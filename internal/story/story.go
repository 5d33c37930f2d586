package story

import (
	"sort"
	"strings"
	"time"
)

// State is where a story stands on wiredesk's outputs.
type State string

// Story states. Only Published stories appear on any output.
const (
	// Published stories are on the site, feeds and API.
	Published State = "published"
	// Killed stories were canceled by the agency or an editor; gone from
	// every output until an editor restores them (DESIGN §4 rule 4).
	Killed State = "killed"
	// WithheldState stories are hidden until a newer usable version arrives.
	WithheldState State = "withheld"
	// Embargoed stories wait for their embargo time (DESIGN §4 rule 7).
	Embargoed State = "embargoed"
	// Unpublished stories were taken off the outputs by an editor without
	// a kill notice: their pages answer 404, not 410. An editor's restore
	// brings them back.
	Unpublished State = "unpublished"
	// Held stories were held for review by a routing rule: stored, their
	// newer versions applied, and shown nowhere until an editor approves.
	Held State = "held"
	// Spiked stories were spiked by a rule or rejected by an editor:
	// stored, never published.
	Spiked State = "spiked"
)

// Visible reports whether a story in state s appears on reader outputs.
func (s State) Visible() bool { return s == Published }

// Story is wiredesk's thread for one agency story: keyed by (Agency, URI),
// holding its current version and where it stands.
type Story struct {
	ID     int64
	Agency string
	URI    string
	Slug   string
	State  State
	// Current is the version on show: the latest applied one.
	Current *Item
	// CurrentVersionKey identifies Current among the story's versions.
	CurrentVersionKey string
	// Versions counts the stored version rows, applied or not.
	Versions int
	// DeliveryID and DeliverySHA256 name the raw delivery Current came from
	// (DeliveryID 0 when unknown), so a page can link to the original bytes.
	DeliveryID     int64
	DeliverySHA256 string
	SourceName     string
	// StateReason says why the story is in its state, e.g. the agency's
	// reason for a kill, shown on the 410 page.
	StateReason string
	// EditedBy names the editor who edited the story; non-empty means the
	// story is protected from agency updates (DESIGN §4 rule 8).
	EditedBy string
	// PendingVersionID is a newer agency version waiting for an editor
	// because the story is protected; 0 when none.
	PendingVersionID int64
	// ClusterID groups stories that report the same thing (DESIGN §4 rule
	// 9); 0 when the story is alone.
	ClusterID int64
	// Section is where the story is filed on the site and in the feeds
	// (see SectionFor); "" when none.
	Section string
	// AlsoReportedBy lists the agencies of the other visible stories in the
	// cluster, for "Also reported by".
	AlsoReportedBy []string
	FirstSeenAt    time.Time
	PublishedAt    time.Time
	UpdatedAt      time.Time
}

// VersionKey identifies one version of a story (DESIGN §4 rule 2): the
// agency's version when it states one, else a hash of the content, so that
// re-delivering the same version is recognised as such.
func VersionKey(it *Item) string {
	if v := strings.TrimSpace(it.Version); v != "" {
		return "v:" + v
	}
	return "h:" + ContentHash(it)[:32]
}

// ContentHash is the SHA-256 over the words of an item that make up a
// version: status, headline, body and notes. Delivery metadata (the
// delivery's own hash, arrival time) is deliberately left out so the same
// content re-sent in a new delivery hashes the same.
func ContentHash(it *Item) string {
	var b strings.Builder
	for _, s := range []string{
		string(it.PubStatus), it.Headline, it.Slugline, it.Byline,
		it.Description, it.BodyHTML, it.BodyText, it.EdNote,
		strings.Join(sortedCopy(it.Signals), ","),
	} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	if it.Embargoed != nil {
		b.WriteString(it.Embargoed.UTC().Format(time.RFC3339))
	}
	return SHA256Hex([]byte(b.String()))
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
