package demo

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

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

// renderRSS builds the RSS feed of the released stories, in order. Each
// item is the story's current version: RSS has no words for a correction
// or a kill, so a killed story shows its kill notice like any text.
func renderRSS(stories []storyCopy, releases []release, order []int) ([]byte, error) {
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
			Copyright: copyrightNotice,
		},
	}
	for _, i := range order {
		doc.Channel.Items = append(doc.Channel.Items, rssItemOf(&stories[i], releases[i]))
	}
	if len(order) > 0 {
		doc.Channel.LastBuildDate = releases[order[0]].changed.Format(time.RFC1123Z)
	}
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render RSS feed: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}

// rssItemOf renders a story's current version. RSS has no dateline field,
// so the dateline leads the first paragraph, as wire copy writes it.
func rssItemOf(s *storyCopy, r release) rssItem {
	text := s.revision(r.last)
	lead := dateline(s, r) + " - "
	var body strings.Builder
	for i, p := range text.Paragraphs {
		if i == 0 {
			p = lead + p
		}
		body.WriteString("<p>")
		body.WriteString(escapeText(p))
		body.WriteString("</p>\n")
	}
	return rssItem{
		Title:       text.Headline,
		Description: lead + text.Paragraphs[0],
		Content:     cdata{Text: body.String()},
		Creator:     s.Byline,
		Categories:  s.Categories,
		GUID:        rssGUID{IsPermaLink: "false", Value: guidPrefix + s.ID},
		PubDate:     r.changed.Format(time.RFC1123Z),
	}
}

// escapeText escapes what HTML and XML text content requires. Quotes stay
// as typed: the copy is published verbatim, and &#34; in a paragraph is
// noise.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
