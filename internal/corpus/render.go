package corpus

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
)

// Render writes an item as one document of format, the way the corpus's
// agencies send it: a NewsML-G2 newsMessage with one newsItem, a ninjs 2.1
// object, a NITF 3.6 document, or an RSS 2.0 feed with one item. The item's
// BodyHTML must be well-formed XHTML (paragraphs of escaped text), as the
// corpus writes it. What a format cannot state is left out.
func Render(format string, it *story.Item) ([]byte, error) {
	if it == nil || it.URI == "" {
		return nil, fmt.Errorf("render %s: the item has no uri", format)
	}
	switch format {
	case FormatNewsMLG2:
		return renderNewsMLG2(it), nil
	case FormatNinjs:
		return ninjs.Encode(it)
	case FormatNITF:
		return renderNITF(it), nil
	case FormatRSS:
		return renderRSS(it), nil
	}
	return nil, fmt.Errorf("render: unknown format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// xmlEscaper escapes text for XML content and attribute values alike.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func escape(s string) string { return xmlEscaper.Replace(s) }

// domainOf is the host of the item's link: the agency's web domain.
func domainOf(it *story.Item) string {
	if u, err := url.Parse(it.Link); err == nil && u.Host != "" {
		return u.Host
	}
	return "agency.example"
}

func g2Time(t *time.Time) string { return t.UTC().Format(time.RFC3339) }

// renderNewsMLG2 writes a newsMessage holding the item as its one
// newsItem, elements in the order the NewsML-G2 2.29 schema requires.
func renderNewsMLG2(it *story.Item) []byte {
	var b strings.Builder
	b.Grow(len(it.BodyHTML) + 2048)
	version := it.Version
	if version == "" {
		version = "1"
	}
	sent := it.VersionCreated
	if sent == nil {
		now := time.Now()
		sent = &now
	}
	agency := escape(it.Source.Agency)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header>
    <sent>%s</sent>
    <sender>%s</sender>
  </header>
  <itemSet>
    <newsItem guid="%s" version="%s" standard="NewsML-G2" standardversion="2.29" conformance="power" xml:lang="%s">
      <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
      <rightsInfo>
        <copyrightHolder literal="%s"/>
        <copyrightNotice>%s</copyrightNotice>
      </rightsInfo>
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <provider literal="%s"/>
`, g2Time(sent), escape(domainOf(it)), escape(it.URI), escape(version), escape(it.Language), agency, escape(it.Copyright), agency)
	if it.VersionCreated != nil {
		fmt.Fprintf(&b, "        <versionCreated>%s</versionCreated>\n", g2Time(it.VersionCreated))
	}
	if it.FirstCreated != nil {
		fmt.Fprintf(&b, "        <firstCreated>%s</firstCreated>\n", g2Time(it.FirstCreated))
	}
	if it.Embargoed != nil {
		fmt.Fprintf(&b, "        <embargoed>%s</embargoed>\n", g2Time(it.Embargoed))
	}
	fmt.Fprintf(&b, "        <pubStatus qcode=\"stat:%s\"/>\n", escape(string(it.PubStatus)))
	if it.EdNote != "" {
		fmt.Fprintf(&b, "        <edNote>%s</edNote>\n", escape(it.EdNote))
	}
	for _, s := range it.Signals {
		fmt.Fprintf(&b, "        <signal qcode=\"sig:%s\"/>\n", escape(s))
	}
	b.WriteString("      </itemMeta>\n      <contentMeta>\n")
	if it.Urgency != nil {
		fmt.Fprintf(&b, "        <urgency>%d</urgency>\n", *it.Urgency)
	}
	fmt.Fprintf(&b, "        <language tag=\"%s\"/>\n", escape(it.Language))
	for _, s := range it.Subjects {
		fmt.Fprintf(&b, "        <subject type=\"cpnat:abstract\" qcode=\"%s:%s\">\n          <name xml:lang=\"en\">%s</name>\n        </subject>\n",
			escape(s.Scheme), escape(s.Code), escape(s.Name))
	}
	if it.Slugline != "" {
		fmt.Fprintf(&b, "        <slugline>%s</slugline>\n", escape(it.Slugline))
	}
	fmt.Fprintf(&b, "        <headline>%s</headline>\n", escape(it.Headline))
	if it.Dateline != nil {
		fmt.Fprintf(&b, "        <dateline>%s, %s</dateline>\n", escape(it.Dateline.Place), escape(it.Dateline.Date))
	}
	if it.Byline != "" {
		fmt.Fprintf(&b, "        <by>%s</by>\n", escape(it.Byline))
	}
	b.WriteString("      </contentMeta>\n      <contentSet>\n        <inlineXML contenttype=\"application/xhtml+xml\"")
	if it.WordCount != nil {
		fmt.Fprintf(&b, " wordcount=\"%d\"", *it.WordCount)
	}
	fmt.Fprintf(&b, `>
          <html xmlns="http://www.w3.org/1999/xhtml">
            <head><title>%s</title></head>
            <body>
%s
            </body>
          </html>
        </inlineXML>
      </contentSet>
    </newsItem>
  </itemSet>
</newsMessage>
`, escape(it.Headline), it.BodyHTML)
	return []byte(b.String())
}

// nitfTime is NITF's norm attribute form, ISO 8601 basic with an offset.
func nitfTime(t *time.Time) string { return t.UTC().Format("20060102T150405-0700") }

// renderNITF writes a NITF 3.6 document.
func renderNITF(it *story.Item) []byte {
	var b strings.Builder
	b.Grow(len(it.BodyHTML) + 2048)
	status := string(it.PubStatus)
	if status == "" {
		status = string(story.Usable)
	}
	agency := escape(it.Source.Agency)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN" baselang="%s">
  <head>
    <title>%s</title>
    <tobject tobject.type="news">
`, escape(it.Language), escape(it.Headline))
	for _, s := range it.Subjects {
		fmt.Fprintf(&b, "      <tobject.subject tobject.subject.ipr=\"%s\" tobject.subject.refnum=\"%s\" tobject.subject.type=\"%s\"/>\n",
			escape(s.Scheme), escape(s.Code), escape(s.Name))
	}
	fmt.Fprintf(&b, "    </tobject>\n    <docdata management-status=\"%s\">\n      <doc-id regsrc=\"%s\" id-string=\"%s\"/>\n", escape(status), agency, escape(it.URI))
	if it.Urgency != nil {
		fmt.Fprintf(&b, "      <urgency ed-urg=\"%d\"/>\n", *it.Urgency)
	}
	if it.VersionCreated != nil {
		fmt.Fprintf(&b, "      <date.issue norm=\"%s\"/>\n", nitfTime(it.VersionCreated))
	}
	if it.Embargoed != nil {
		fmt.Fprintf(&b, "      <date.release norm=\"%s\"/>\n", nitfTime(it.Embargoed))
	}
	if it.Version != "" {
		fmt.Fprintf(&b, "      <du-key key=\"%s\" version=\"%s\"/>\n", escape(it.Slugline), escape(it.Version))
	}
	fmt.Fprintf(&b, "      <doc.copyright holder=\"%s\"/>\n", agency)
	if it.EdNote != "" {
		msgType := ""
		for _, s := range it.Signals {
			switch s {
			case "update":
				msgType = ` msg-type="Update"`
			case "correction":
				msgType = ` msg-type="Correction"`
			}
		}
		fmt.Fprintf(&b, "      <ed-msg%s info=\"%s\"/>\n", msgType, escape(it.EdNote))
	}
	b.WriteString("    </docdata>\n")
	if it.WordCount != nil {
		fmt.Fprintf(&b, "    <pubdata type=\"web\" item-length=\"%d\" unit-of-measure=\"word\"/>\n", *it.WordCount)
	}
	fmt.Fprintf(&b, "  </head>\n  <body>\n    <body.head>\n      <hedline><hl1>%s</hl1></hedline>\n", escape(it.Headline))
	if it.Byline != "" {
		fmt.Fprintf(&b, "      <byline>%s</byline>\n", escape(it.Byline))
	}
	fmt.Fprintf(&b, "      <distributor>%s</distributor>\n", agency)
	if it.Dateline != nil {
		fmt.Fprintf(&b, "      <dateline><location>%s</location>, <story.date>%s</story.date></dateline>\n", escape(it.Dateline.Place), escape(it.Dateline.Date))
	}
	fmt.Fprintf(&b, "    </body.head>\n    <body.content>\n%s\n    </body.content>\n  </body>\n</nitf>\n", it.BodyHTML)
	return []byte(b.String())
}

// renderRSS writes an RSS 2.0 feed of the agency with the item as its one
// entry: the guid is the story id, pubDate its first publication and
// atom:updated this version's time, as agencies' RSS feeds say them.
func renderRSS(it *story.Item) []byte {
	var b strings.Builder
	b.Grow(len(it.BodyHTML)*5/4 + 1024)
	domain := domainOf(it)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>%s</title>
    <link>https://%s/</link>
    <description>All stories from %s</description>
    <language>%s</language>
    <item>
      <title>%s</title>
      <link>%s</link>
      <guid isPermaLink="false">%s</guid>
`, escape(it.Source.Agency), escape(domain), escape(it.Source.Agency), escape(it.Language), escape(it.Headline), escape(it.Link), escape(it.URI))
	if it.FirstCreated != nil {
		fmt.Fprintf(&b, "      <pubDate>%s</pubDate>\n", it.FirstCreated.UTC().Format(time.RFC1123Z))
	}
	if it.VersionCreated != nil {
		fmt.Fprintf(&b, "      <atom:updated>%s</atom:updated>\n", g2Time(it.VersionCreated))
	}
	if it.Byline != "" {
		fmt.Fprintf(&b, "      <dc:creator>%s</dc:creator>\n", escape(it.Byline))
	}
	for _, k := range it.Keywords {
		fmt.Fprintf(&b, "      <category>%s</category>\n", escape(k))
	}
	fmt.Fprintf(&b, "      <description>%s</description>\n    </item>\n  </channel>\n</rss>\n", escape(it.BodyHTML))
	return []byte(b.String())
}
