package demo

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// What every item of the NewsML-G2 feed says about itself and its agency.
const (
	g2Namespace       = "http://iptc.org/std/nar/2006-10-01/"
	xhtmlNamespace    = "http://www.w3.org/1999/xhtml"
	g2StandardVersion = "2.29"
	// The IPTC catalog declares the standard schemes (ninat, stat, sig,
	// cptype, cpnat); the agency's own declares hwstopic and hwsgeo.
	iptcCatalog     = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"
	agencyCatalog   = "https://harbourwire.example/newsml-g2/catalog.hws.xml"
	sender          = "harbourwire.example"
	copyrightNotice = "Fictional demo copy written for wiredesk."
	// Urgency on the IPTC scale, 1 most urgent. A kill goes out more
	// urgently than the copy it kills: it must reach every desk at once.
	urgencyRoutine = 4
	urgencyKill    = 2
)

// The newsMessage. Only the root names the G2 namespace; its elements
// inherit it. The XHTML body names its own.
type g2Message struct {
	XMLName xml.Name   `xml:"http://iptc.org/std/nar/2006-10-01/ newsMessage"`
	Header  g2Header   `xml:"header"`
	ItemSet *g2ItemSet `xml:"itemSet"`
}

type g2Header struct {
	Sent   string `xml:"sent"`
	Sender string `xml:"sender"`
}

type g2ItemSet struct {
	Items []g2NewsItem `xml:"newsItem"`
}

// g2NewsItem's fields are in the order the NewsML-G2 schema requires.
type g2NewsItem struct {
	GUID            string         `xml:"guid,attr"`
	Version         int            `xml:"version,attr"`
	Standard        string         `xml:"standard,attr"`
	StandardVersion string         `xml:"standardversion,attr"`
	Conformance     string         `xml:"conformance,attr"`
	Lang            string         `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	CatalogRefs     []g2CatalogRef `xml:"catalogRef"`
	RightsInfo      g2RightsInfo   `xml:"rightsInfo"`
	ItemMeta        g2ItemMeta     `xml:"itemMeta"`
	ContentMeta     g2ContentMeta  `xml:"contentMeta"`
	ContentSet      g2ContentSet   `xml:"contentSet"`
}

type g2CatalogRef struct {
	Href string `xml:"href,attr"`
}

type g2RightsInfo struct {
	CopyrightHolder g2Literal `xml:"copyrightHolder"`
	CopyrightNotice string    `xml:"copyrightNotice"`
}

type g2ItemMeta struct {
	ItemClass      g2QCode   `xml:"itemClass"`
	Provider       g2Literal `xml:"provider"`
	VersionCreated string    `xml:"versionCreated"`
	FirstCreated   string    `xml:"firstCreated"`
	PubStatus      g2QCode   `xml:"pubStatus"`
	EdNote         string    `xml:"edNote,omitempty"`
	Signals        []g2QCode `xml:"signal"`
}

type g2QCode struct {
	QCode string `xml:"qcode,attr"`
}

type g2Literal struct {
	Literal string `xml:"literal,attr"`
}

type g2ContentMeta struct {
	Urgency  int         `xml:"urgency"`
	Located  g2Concept   `xml:"located"`
	Language g2Language  `xml:"language"`
	Subjects []g2Concept `xml:"subject"`
	Slugline string      `xml:"slugline"`
	Headline string      `xml:"headline"`
	Dateline string      `xml:"dateline"`
	By       string      `xml:"by"`
}

type g2Concept struct {
	Type  string `xml:"type,attr"`
	QCode string `xml:"qcode,attr"`
	Name  string `xml:"name"`
}

type g2Language struct {
	Tag string `xml:"tag,attr"`
}

type g2ContentSet struct {
	InlineXML g2InlineXML `xml:"inlineXML"`
}

type g2InlineXML struct {
	ContentType string  `xml:"contenttype,attr"`
	WordCount   int     `xml:"wordcount,attr"`
	HTML        g2XHTML `xml:"html"`
}

type g2XHTML struct {
	XMLName xml.Name    `xml:"http://www.w3.org/1999/xhtml html"`
	Title   string      `xml:"head>title"`
	Body    g2XHTMLBody `xml:"body"`
}

// g2XHTMLBody is written as prepared markup: encoding/xml would escape
// every quote in the copy as &#34;, which is noise to anyone reading it.
type g2XHTMLBody struct {
	Inner string `xml:",innerxml"`
}

// renderNewsMessage builds the newsMessage of the released stories, in
// order, each as its current version. It is sent when it last changed
// (before any release, when the agency was created), so that the same
// releases always give the same bytes.
func renderNewsMessage(stories []storyCopy, releases []release, order []int, created time.Time) ([]byte, error) {
	msg := g2Message{Header: g2Header{Sent: g2Time(created), Sender: sender}}
	if len(order) > 0 {
		msg.Header.Sent = g2Time(releases[order[0]].changed)
		msg.ItemSet = &g2ItemSet{}
	}
	for _, i := range order {
		msg.ItemSet.Items = append(msg.ItemSet.Items, newsItemOf(&stories[i], releases[i]))
	}
	body, err := xml.MarshalIndent(msg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render NewsML-G2 feed: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}

// newsItemOf renders a story's current version as a newsItem.
func newsItemOf(s *storyCopy, r release) g2NewsItem {
	text := s.revision(r.last)
	meta := g2ItemMeta{
		ItemClass:      g2QCode{"ninat:text"},
		Provider:       g2Literal{AgencyName},
		VersionCreated: g2Time(r.changed),
		FirstCreated:   g2Time(r.at),
		PubStatus:      g2QCode{"stat:usable"},
		EdNote:         text.EdNote,
	}
	urgency := urgencyRoutine
	switch r.last {
	case changeUpdate:
		meta.Signals = []g2QCode{{"sig:update"}}
	case changeCorrection:
		meta.Signals = []g2QCode{{"sig:correction"}}
	case changeKill:
		meta.PubStatus = g2QCode{"stat:canceled"}
		urgency = urgencyKill
	}
	cm := g2ContentMeta{
		Urgency:  urgency,
		Located:  g2Concept{Type: "cptype:city", QCode: "hwsgeo:" + conceptCode(s.Place), Name: placeName(s.Place)},
		Language: g2Language{"en"},
		Slugline: s.Slug,
		Headline: text.Headline,
		Dateline: dateline(s, r),
		By:       s.Byline,
	}
	for _, c := range s.Categories {
		cm.Subjects = append(cm.Subjects, g2Concept{Type: "cpnat:abstract", QCode: "hwstopic:" + conceptCode(c), Name: c})
	}
	return g2NewsItem{
		GUID:            guidPrefix + s.ID,
		Version:         r.version,
		Standard:        "NewsML-G2",
		StandardVersion: g2StandardVersion,
		Conformance:     "power",
		Lang:            "en",
		CatalogRefs:     []g2CatalogRef{{iptcCatalog}, {agencyCatalog}},
		RightsInfo:      g2RightsInfo{CopyrightHolder: g2Literal{AgencyName}, CopyrightNotice: copyrightNotice},
		ItemMeta:        meta,
		ContentMeta:     cm,
		ContentSet: g2ContentSet{InlineXML: g2InlineXML{
			ContentType: "application/xhtml+xml",
			WordCount:   wordCount(text.Paragraphs),
			HTML:        g2XHTML{Title: text.Headline, Body: g2XHTMLBody{Inner: xhtmlParagraphs(text.Paragraphs)}},
		}},
	}
}

// bodyIndent lines the paragraphs up under <body>, which MarshalIndent
// indents six levels below newsMessage (itemSet, newsItem, contentSet,
// inlineXML, html, body), two spaces a level; the paragraphs go one deeper.
const bodyIndent = "\n              "

// xhtmlParagraphs is the XHTML of a body's paragraphs. The dateline is in
// contentMeta, so the text starts with the story, as the copy is written.
func xhtmlParagraphs(paragraphs []string) string {
	var b strings.Builder
	for _, p := range paragraphs {
		b.WriteString(bodyIndent)
		b.WriteString("<p>")
		b.WriteString(escapeText(p))
		b.WriteString("</p>")
	}
	b.WriteString(bodyIndent[:len(bodyIndent)-2])
	return b.String()
}

func wordCount(paragraphs []string) int {
	n := 0
	for _, p := range paragraphs {
		n += len(strings.Fields(p))
	}
	return n
}

// g2Time writes a time as NewsML-G2 dates are written, in UTC.
func g2Time(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// conceptCode makes a name a code in the agency's schemes: "Port Alder"
// is port-alder.
func conceptCode(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), "-")
}

// placeName turns a dateline's capitals into the place's name: "PORT
// ALDER" is Port Alder.
func placeName(place string) string {
	words := strings.Fields(strings.ToLower(place))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
