package ninjs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
)

// Schema21 is the $id of the ninjs 2.1 JSON schema that Encode's output
// conforms to.
const Schema21 = "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"

// Document is a ninjs 2.1 news object as Encode writes it: the members our
// canonical item can fill, in the schema's own names.
type Document struct {
	URI            string     `json:"uri"`
	Type           string     `json:"type,omitempty"`
	Version        string     `json:"version,omitempty"`
	FirstCreated   string     `json:"firstcreated,omitempty"`
	VersionCreated string     `json:"versioncreated,omitempty"`
	Embargoed      string     `json:"embargoed,omitempty"`
	PubStatus      string     `json:"pubstatus,omitempty"`
	Urgency        *int       `json:"urgency,omitempty"`
	Language       string     `json:"language,omitempty"`
	Headlines      []Rendered `json:"headlines,omitempty"`
	Slugline       string     `json:"slugline,omitempty"`
	By             string     `json:"by,omitempty"`
	Located        string     `json:"located,omitempty"`
	EdNote         string     `json:"ednote,omitempty"`
	Descriptions   []Rendered `json:"descriptions,omitempty"`
	Bodies         []Body     `json:"bodies,omitempty"`
	Subjects       []Concept  `json:"subjects,omitempty"`
	Places         []Concept  `json:"places,omitempty"`
	People         []Concept  `json:"people,omitempty"`
	Organisations  []Concept  `json:"organisations,omitempty"`
	// Genres carry the item's signals (correction, update, kill...), each
	// as urn:wiredesk:signal:<word>: ninjs 2.1 has no member for signals.
	Genres          []Concept `json:"genres,omitempty"`
	CopyrightNotice string    `json:"copyrightnotice,omitempty"`
	UsageTerms      string    `json:"usageterms,omitempty"`
	InfoSources     []Concept `json:"infosources,omitempty"`
	Standard        Standard  `json:"standard"`
}

// Rendered is a headline or description.
type Rendered struct {
	Role        string `json:"role,omitempty"`
	ContentType string `json:"contenttype,omitempty"`
	Value       string `json:"value"`
}

// Body is one body rendition.
type Body struct {
	Role        string `json:"role,omitempty"`
	ContentType string `json:"contenttype,omitempty"`
	WordCount   *int   `json:"wordcount,omitempty"`
	Value       string `json:"value"`
}

// Concept is a subject, place, person, organisation, genre or info source.
type Concept struct {
	Name    string `json:"name,omitempty"`
	URI     string `json:"uri,omitempty"`
	Literal string `json:"literal,omitempty"`
}

// Standard names the standard a document conforms to.
type Standard struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Schema  string `json:"schema"`
}

// isNinjsType reports whether ninjs 2.1 allows t as a type.
func isNinjsType(t string) bool {
	switch t {
	case "text", "audio", "video", "picture", "graphic", "composite", "component":
		return true
	}
	return false
}

// uriScheme is what RFC 3986 allows as a URI scheme.
var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// ToNinjs21 maps a canonical item to a ninjs 2.1 document. What ninjs 2.1
// has no member for is left out: keywords, the dateline's date and source,
// the item's link, the source format and fingerprint. Copyright and usage
// terms go in copyrightnotice and usageterms (2.1's rightsinfo holds rights
// expressions and links, which items do not have). The agency is the first
// info source.
func ToNinjs21(it *story.Item) *Document {
	d := &Document{
		URI:       encodeID(it.URI),
		Version:   it.Version,
		PubStatus: string(it.PubStatus),
		Urgency:   it.Urgency,
		Language:  it.Language,
		Slugline:  it.Slugline,
		By:        it.Byline,
		EdNote:    it.EdNote,
		Standard:  Standard{Name: "ninjs", Version: "2.1", Schema: Schema21},

		CopyrightNotice: it.Copyright,
		UsageTerms:      it.UsageTerms,
		FirstCreated:    encodeTime(it.FirstCreated),
		VersionCreated:  encodeTime(it.VersionCreated),
		Embargoed:       encodeTime(it.Embargoed),
	}
	if isNinjsType(it.Type) {
		d.Type = it.Type
	}
	if it.Headline != "" {
		d.Headlines = []Rendered{{Role: "main", Value: it.Headline}}
	}
	if it.Dateline != nil {
		d.Located = it.Dateline.Place
	}
	if it.Description != "" {
		d.Descriptions = []Rendered{{Role: "summary", ContentType: "text/plain", Value: it.Description}}
	}
	if it.BodyHTML != "" {
		d.Bodies = []Body{{Role: "main", ContentType: "text/html", WordCount: it.WordCount, Value: it.BodyHTML}}
	}
	d.Subjects = encodeEntities(it.Subjects)
	d.Places = encodeEntities(it.Places)
	d.People = encodeEntities(it.People)
	d.Organisations = encodeEntities(it.Organisations)
	for _, s := range it.Signals {
		if s = strings.TrimSpace(s); s != "" {
			d.Genres = append(d.Genres, Concept{URI: signalURIPrefix + url.PathEscape(s), Literal: s})
		}
	}
	if it.Source.Agency != "" {
		d.InfoSources = []Concept{{Name: it.Source.Agency}}
	}
	return d
}

// Encode writes an item as a ninjs 2.1 JSON object, valid against the
// ninjs 2.1 schema. An item without a uri cannot be one.
func Encode(it *story.Item) ([]byte, error) {
	if it == nil || strings.TrimSpace(it.URI) == "" {
		return nil, errors.New("encode ninjs: the item has no uri")
	}
	b, err := json.Marshal(ToNinjs21(it))
	if err != nil {
		return nil, fmt.Errorf("encode ninjs %s: %w", it.URI, err)
	}
	return b, nil
}

// encodeID returns the item's id as a URI: unchanged when it is one (urn:,
// tag:, http:...), else wrapped as urn:wiredesk:id:<escaped id>, which
// Decode unwraps. Many agency ids (AP's hex item ids, Superdesk's UUIDs,
// RSS guids) are not URIs, and ninjs requires one.
func encodeID(id string) string {
	if isAbsoluteURI(id) && !strings.HasPrefix(id, idURIPrefix) {
		return id
	}
	return idURIPrefix + url.PathEscape(id)
}

// isAbsoluteURI reports whether s is an absolute URI without characters a
// URI cannot hold unescaped.
func isAbsoluteURI(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || r == '<' || r == '>' || r == '\\' }) {
		return false
	}
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || !uriScheme.MatchString(scheme) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.IsAbs()
}

// encodeEntities writes entities as concepts: the code and scheme joined
// into a uri where they make one (a scheme URL ending in "/" or "#" is
// followed by the code, any other scheme is a QCode prefix), else the code
// as a literal. Decode splits the uri back.
func encodeEntities(es []story.Entity) []Concept {
	var out []Concept
	for _, e := range es {
		c := Concept{Name: e.Name}
		switch {
		case e.Code == "", strings.ContainsAny(e.Code, "/#"):
			// Not joinable so that Decode could split it back.
		case strings.HasSuffix(e.Scheme, "/") || strings.HasSuffix(e.Scheme, "#"):
			if u := e.Scheme + e.Code; isAbsoluteURI(u) {
				c.URI = u
			}
		case e.Scheme != "":
			if u := e.Scheme + ":" + e.Code; uriScheme.MatchString(e.Scheme) && isAbsoluteURI(u) && !strings.Contains(e.Scheme, "/") {
				c.URI = u
			}
		}
		if c.URI == "" && e.Code != "" {
			c.Literal = e.Code
		}
		if c != (Concept{}) {
			out = append(out, c)
		}
	}
	return out
}

func encodeTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
