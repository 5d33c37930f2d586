// Package story holds wiredesk's domain types (items, stories, statuses) and the
// lifecycle decisions made on them, as pure functions; it imports nothing of ours.
package story

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// PubStatus is the agency's publishing status of one item version.
type PubStatus string

// The three publishing statuses of IPTC (NewsML-G2 stat:*, ninjs pubstatus).
const (
	Usable   PubStatus = "usable"
	Withheld PubStatus = "withheld"
	Canceled PubStatus = "canceled"
)

// Item is one version of one agency story, decoded from a delivery. Its JSON
// form is the canonical item JSON printed by `wiredesk parse`; the keys are
// fixed because other tools read them. A zero or nil field means unknown and
// is left out of the JSON: decoders never invent a value.
type Item struct {
	URI            string     `json:"uri"`
	Version        string     `json:"version,omitempty"`
	PubStatus      PubStatus  `json:"pubstatus"`
	Signals        []string   `json:"signals,omitempty"`
	Type           string     `json:"type,omitempty"`
	FirstCreated   *time.Time `json:"firstcreated,omitempty"`
	VersionCreated *time.Time `json:"versioncreated,omitempty"`
	Embargoed      *time.Time `json:"embargoed,omitempty"`
	Urgency        *int       `json:"urgency,omitempty"`
	Language       string     `json:"language,omitempty"`
	Headline       string     `json:"headline,omitempty"`
	Slugline       string     `json:"slugline,omitempty"`
	Byline         string     `json:"byline,omitempty"`
	Dateline       *Dateline  `json:"dateline,omitempty"`
	EdNote         string     `json:"ednote,omitempty"`
	Description    string     `json:"description,omitempty"`
	BodyHTML       string     `json:"body_html,omitempty"`
	BodyText       string     `json:"body_text,omitempty"`
	WordCount      *int       `json:"wordcount,omitempty"`
	Subjects       []Entity   `json:"subjects,omitempty"`
	Places         []Entity   `json:"places,omitempty"`
	People         []Entity   `json:"people,omitempty"`
	Organisations  []Entity   `json:"organisations,omitempty"`
	Keywords       []string   `json:"keywords,omitempty"`
	Copyright      string     `json:"copyright,omitempty"`
	UsageTerms     string     `json:"usageterms,omitempty"`
	Source         ItemSource `json:"source"`

	// Link is the item's web address at the agency or publisher, when the
	// format gives one. It is not part of the canonical JSON key set.
	Link string `json:"-"`
	// IDDerived is true when URI was derived from the link because the feed
	// gave no usable id (DESIGN §4 rule 1); the source's health says so.
	IDDerived bool `json:"-"`
}

// Dateline is the place and date line as the agency wrote it.
type Dateline struct {
	Place  string `json:"place,omitempty"`
	Date   string `json:"date,omitempty"`
	Source string `json:"source,omitempty"`
}

// Entity is a subject, place, person or organisation tagged by the agency.
type Entity struct {
	Code   string `json:"code,omitempty"`
	Name   string `json:"name,omitempty"`
	Scheme string `json:"scheme,omitempty"`
}

// ItemSource says where an item came from: its wire format, the agency and
// the SHA-256 of the raw delivery it was decoded from.
type ItemSource struct {
	Format string `json:"format,omitempty"`
	Agency string `json:"agency,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// SHA256Hex returns the lowercase hex SHA-256 of b: the fingerprint of a raw
// delivery.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
