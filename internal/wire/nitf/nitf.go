// Package nitf decodes NITF 3.x (News Industry Text Format) documents into
// items, and converts NITF body markup to HTML for the formats that embed it.
package nitf

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/wiredesk/wiredesk/internal/wire/xmldoc"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// Format is the source.format value of items decoded from NITF.
const Format = "nitf"

// namespacePrefix starts the namespace NITF 3.4 and later put their
// elements in ("http://iptc.org/std/NITF/2006-10-18/"); earlier versions
// have none.
const namespacePrefix = "http://iptc.org/std/NITF/"

// subjectScheme names IPTC subject codes, the vocabulary of
// tobject.subject.refnum unless tobject.subject.ipr names another.
const subjectScheme = "iptc-subjectcode"

// countryScheme names the ISO 3166-1 code list of an evloc@iso-cc, which
// agencies send as two letters (US) or three (HND).
func countryScheme(code string) string {
	switch len(code) {
	case 0:
		return ""
	case 2:
		return "iso3166-1a2"
	case 3:
		return "iso3166-1a3"
	}
	return "iso3166-1"
}

// Match reports whether a payload is a NITF document: its root element is
// <nitf>, in no namespace or in IPTC's NITF namespace.
func Match(s *wire.Shape) bool {
	if s == nil || s.Kind != wire.ShapeXML || s.Root.Local != "nitf" {
		return false
	}
	return s.Root.Space == "" || strings.HasPrefix(s.Root.Space, namespacePrefix)
}

// Decode reads one NITF document into its item. A document without a
// doc-id@id-string is identified by its pubdata@ex-ref link when it has one
// (Item.IDDerived); without either it cannot be keyed to a story (DESIGN §4
// rule 1), and Decode returns no item and a *wire.PartialError saying so.
// Any other failure is a *wire.Error.
func Decode(data []byte, opts *wire.Options) ([]story.Item, error) {
	it, err := ParseDocument(data, opts)
	if err != nil {
		return nil, err
	}
	if it.URI == "" {
		norm, ok := wire.NormalizeLink(it.Link)
		if !ok {
			return nil, &wire.PartialError{Format: Format, Skipped: []wire.Skip{{
				Index:  0,
				Reason: "no doc-id id-string and no pubdata ex-ref link: the story cannot be identified",
			}}}
		}
		it.URI, it.IDDerived = norm, true
	}
	return []story.Item{*it}, nil
}

// ParseDocument reads one standalone <nitf> document into an item, with
// source.format "nitf". Decoders of formats that carry NITF (NewsML-G2
// inlineXML, NewsML 1.2, ninjs bodies, AP renditions) call it and then set
// what their envelope says better (uri, version, source). Unlike Decode it
// returns the item even without an id: Item.URI is then empty and the
// caller supplies one. Errors are *wire.Error; a malformed document is an
// error, never a partial item.
func ParseDocument(data []byte, opts *wire.Options) (*story.Item, error) {
	if err := wire.CheckSize(Format, data); err != nil {
		return nil, err
	}
	doc := wire.XMLToUTF8(data)
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, &wire.Error{Format: Format, Reason: "empty document"}
	}
	nitf, err := parseDocument(doc)
	if err != nil {
		return nil, readError("cannot read the document", err)
	}
	if nitf.Name.Local != "nitf" {
		return nil, &wire.Error{Format: Format, Reason: fmt.Sprintf("not NITF: the root element is <%s>, not <nitf>", nitf.Name.Local)}
	}
	return buildItem(nitf, opts), nil
}

// readError wraps a parse failure, keeping its position in the message.
func readError(reason string, err error) error {
	var pe *xmldoc.SyntaxError
	if errors.As(err, &pe) {
		return &wire.Error{Format: Format, Reason: reason, Err: pe}
	}
	return &wire.Error{Format: Format, Reason: reason, Err: err}
}

// buildItem maps a parsed <nitf> element to an item.
func buildItem(nitf *xmldoc.Node, opts *wire.Options) *story.Item {
	var (
		head     = nitf.Child("head")
		docdata  = head.Child("docdata")
		body     = nitf.Child("body")
		bodyHead = body.Child("body.head")
		policy   = sanitize.New()
		loc      = opts.Loc()
	)
	status := strings.ToLower(strings.TrimSpace(docdata.Attr("management-status")))
	it := &story.Item{
		URI:       strings.TrimSpace(docdata.Child("doc-id").Attr("id-string")),
		Version:   strings.TrimSpace(docdata.Child("du-key").Attr("version")),
		PubStatus: pubStatus(status),
		Type:      "text",
		Headline:  headline(head, bodyHead),
		Slugline:  slugline(head, docdata),
		Byline:    byline(bodyHead),
		Dateline:  dateline(bodyHead.Child("dateline")),
		EdNote:    edNote(docdata, bodyHead, policy),
		Subjects:  subjects(head.Child("tobject")),
		Keywords:  keywords(docdata),
		Copyright: strings.TrimSpace(docdata.Child("doc.copyright").Attr("holder")),
		// doc.rights@limitations is the agency's statement of what a
		// receiver may do with the document.
		UsageTerms: strings.TrimSpace(docdata.Child("doc.rights").Attr("limitations")),
		Language:   wire.LanguageTag(wire.FirstNonBlankTrimmed(nitf.Attr("baselang"), nitf.Attr("lang"))),
		Signals:    signals(head, docdata),
		WordCount:  wordCount(head),
	}
	if u, ok := number(docdata.Child("urgency").Attr("ed-urg")); ok {
		it.Urgency = &u
	}
	if link := strings.TrimSpace(head.Child("pubdata").Attr("ex-ref")); isHTTPURL(link) {
		it.Link = link
	}

	// date.issue is when this document was issued: its version's time. It
	// is also the story's first publication unless the document says it
	// is a later version of an earlier one.
	if t, ok := normDate(docdata.Child("date.issue"), loc); ok {
		it.VersionCreated = &t
		if !laterVersion(docdata) {
			first := t
			it.FirstCreated = &first
		}
	}
	// date.release is when the receiver may publish: an embargo when it is
	// after the document was issued, or when the status says embargoed.
	if t, ok := normDate(docdata.Child("date.release"), loc); ok {
		if status == "embargoed" || (it.VersionCreated != nil && t.After(*it.VersionCreated)) {
			it.Embargoed = &t
		}
	}

	it.Places, it.People, it.Organisations = entities(docdata, head)

	// The hl2 under the headline is a subheadline: with the abstract it is
	// what the story is about in a few lines.
	var summary []string
	for _, hl := range bodyHead.Child("hedline").Children("hl2") {
		summary = append(summary, wire.OneLine(hl.Content()))
	}
	for _, a := range bodyHead.Children("abstract") {
		summary = append(summary, policy.Text(policy.HTML(bodyHTML(a.Kids))))
	}
	it.Description = joinNonEmpty(summary, "\n\n")

	it.BodyHTML = policy.HTML(bodyHTML(bodyParts(body)))
	it.BodyText = policy.Text(it.BodyHTML)

	agency := wire.FirstNonBlankTrimmed(
		wire.OneLine(bodyHead.Child("distributor").Content()),
		it.Copyright,
		strings.TrimSpace(docdata.Child("doc-id").Attr("regsrc")),
	)
	sha := ""
	if opts != nil {
		agency = wire.FirstNonBlankTrimmed(agency, strings.TrimSpace(opts.Agency))
		sha = opts.SHA256
	}
	it.Source = story.ItemSource{Format: Format, Agency: agency, SHA256: sha}
	return it
}

// pubStatus maps docdata@management-status. NITF's default, and what
// "embargoed" documents are once released, is usable.
func pubStatus(status string) story.PubStatus {
	switch status {
	case "canceled", "cancelled":
		return story.Canceled
	case "withheld":
		return story.Withheld
	}
	return story.Usable
}

// laterVersion reports whether docdata says the document is not the first
// version of its story: a du-key version after 1, or a reference to the
// earlier document it replaces.
func laterVersion(docdata *xmldoc.Node) bool {
	if v, ok := number(docdata.Child("du-key").Attr("version")); ok && v > 1 {
		return true
	}
	return strings.TrimSpace(docdata.Attr("management-doc-idref")) != ""
}

// normDate reads an element's norm attribute, NITF's ISO 8601 basic form
// (20131020T192751+1100); a time without a zone is in loc.
func normDate(n *xmldoc.Node, loc *time.Location) (time.Time, bool) {
	return wire.ParseDate(n.Attr("norm"), loc)
}

// headline is the first hl1 with text, else the document title.
func headline(head, bodyHead *xmldoc.Node) string {
	for _, hl := range bodyHead.Child("hedline").Children("hl1") {
		if h := wire.OneLine(hl.Content()); h != "" {
			return h
		}
	}
	return wire.OneLine(head.Child("title").Content())
}

// metaContent returns the content of the head's <meta name=...>, if any.
func metaContent(head *xmldoc.Node, name string) (string, bool) {
	for _, m := range head.Children("meta") {
		if m.Attr("name") == name {
			return m.Attr("content"), true
		}
	}
	return "", false
}

// slugline is ANPA's keyword where the agency sends it in a meta (AAP),
// else the dynamic use key that ties a story's versions together.
func slugline(head, docdata *xmldoc.Node) string {
	if kw, _ := metaContent(head, "anpa-keyword"); strings.TrimSpace(kw) != "" {
		return strings.TrimSpace(kw)
	}
	return strings.TrimSpace(docdata.Child("du-key").Attr("key"))
}

// byline is the text of the body.head bylines without the writer's title
// (byttl), which the byline field has no room for; the comma that set the
// title apart goes with it ("By Meredith Jameson, <byttl>Staff
// Reporter</byttl>").
func byline(bodyHead *xmldoc.Node) string {
	var names []string
	for _, b := range bodyHead.Children("byline") {
		name := wire.OneLine(b.Content("byttl"))
		if b.Child("byttl") != nil {
			name = strings.TrimRight(name, ",; ")
		}
		names = append(names, name)
	}
	return joinNonEmpty(names, ", ")
}

// dateline reads the place (location) and date (story.date) as written;
// a dateline of free text is all place.
func dateline(dl *xmldoc.Node) *story.Dateline {
	if dl == nil {
		return nil
	}
	d := &story.Dateline{
		Place: wire.OneLine(dl.Child("location").Content()),
		Date:  wire.OneLine(dl.Child("story.date").Content()),
	}
	if d.Place == "" && d.Date == "" {
		d.Place = wire.OneLine(dl.Content())
	}
	if d.Place == "" && d.Date == "" {
		return nil
	}
	return d
}

// edNote is the message for editors: docdata's ed-msg, else a body.head
// note meant for editors only.
func edNote(docdata, bodyHead *xmldoc.Node, policy *sanitize.Policy) string {
	var msgs []string
	for _, m := range docdata.Children("ed-msg") {
		msgs = append(msgs, strings.TrimSpace(m.Attr("info")))
	}
	if note := joinNonEmpty(msgs, "\n"); note != "" {
		return note
	}
	for _, n := range bodyHead.Children("note") {
		typ := strings.ToLower(strings.TrimSpace(n.Attr("type")))
		class := strings.ToLower(strings.TrimSpace(n.Attr("noteclass")))
		if typ == "npa" || class == "editorsnote" {
			msgs = append(msgs, policy.Text(policy.HTML(bodyHTML(n.Kids))))
		}
	}
	return joinNonEmpty(msgs, "\n\n")
}

// wordCount is the length the document states: pubdata@item-length in
// words, else ANPA's word count in a meta (AAP).
func wordCount(head *xmldoc.Node) *int {
	pub := head.Child("pubdata")
	if strings.EqualFold(strings.TrimSpace(pub.Attr("unit-of-measure")), "word") {
		if n, ok := number(pub.Attr("item-length")); ok {
			return &n
		}
	}
	if wc, ok := metaContent(head, "anpa-wordcount"); ok {
		if n, ok := number(wc); ok {
			return &n
		}
	}
	return nil
}

// number reads a non-negative integer attribute; an empty or unreadable
// one is unknown.
func number(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// subjects reads tobject.subject. An IPTC subject code's eight digits name
// its place in the tree (type 02000000, matter 02003000, detail 02003001),
// and the element names each level it states: every named level is a
// subject, broad to narrow, each code once.
func subjects(tobject *xmldoc.Node) []story.Entity {
	var out []story.Entity
	seen := map[string]bool{}
	add := func(e story.Entity) {
		key := e.Scheme + "\x00" + e.Code
		if e.Code == "" {
			key += "\x00" + e.Name
		}
		if seen[key] || (e.Code == "" && e.Name == "") {
			return
		}
		seen[key] = true
		out = append(out, e)
	}
	for _, s := range tobject.Children("tobject.subject") {
		code := strings.TrimSpace(s.Attr("tobject.subject.refnum"))
		names := [3]string{
			strings.TrimSpace(s.Attr("tobject.subject.type")),
			strings.TrimSpace(s.Attr("tobject.subject.matter")),
			strings.TrimSpace(s.Attr("tobject.subject.detail")),
		}
		scheme := subjectScheme
		if ipr := strings.TrimSpace(s.Attr("tobject.subject.ipr")); ipr != "" && !strings.EqualFold(ipr, "IPTC") {
			scheme = ipr
		}
		if scheme != subjectScheme || !iptcSubjectCode.MatchString(code) {
			// Another vocabulary (EFE's own; IPTC Media Topics, whose
			// 2000xxxx codes some agencies send here): its codes' structure
			// is not the subject tree's, so the code gets the narrowest
			// name given.
			add(story.Entity{Code: code, Name: lastNonEmpty(names[:]), Scheme: scheme})
			continue
		}
		level := 2 // detail
		switch {
		case strings.HasSuffix(code, "000000"):
			level = 0
		case strings.HasSuffix(code, "000"):
			level = 1
		}
		levelCodes := [3]string{code[:2] + "000000", code[:5] + "000", code}
		for l := 0; l < level; l++ {
			if names[l] != "" {
				add(story.Entity{Code: levelCodes[l], Name: names[l], Scheme: scheme})
			}
		}
		add(story.Entity{Code: code, Name: names[level], Scheme: scheme})
	}
	return out
}

// iptcSubjectCode is an eight-digit IPTC subject code, under one of the
// seventeen top-level subjects 01000000-17000000.
var iptcSubjectCode = regexp.MustCompile(`^(0[1-9]|1[0-7])[0-9]{6}$`)

// entities reads the event locations (evloc) and identified-content of a
// document into places, people and organisations.
func entities(docdata, head *xmldoc.Node) (places, people, orgs []story.Entity) {
	// Each list holds an entity once; a name may be both a person and an
	// organisation.
	type listed struct {
		list *[]story.Entity
		e    story.Entity
	}
	seen := map[listed]bool{}
	add := func(list *[]story.Entity, e story.Entity) {
		if (e.Code == "" && e.Name == "") || seen[listed{list, e}] {
			return
		}
		seen[listed{list, e}] = true
		*list = append(*list, e)
	}
	for _, ev := range docdata.Children("evloc") {
		e := story.Entity{
			Name: wire.FirstNonBlankTrimmed(ev.Attr("city"), ev.Attr("state-prov"), ev.Attr("county-dist")),
			Code: strings.TrimSpace(ev.Attr("iso-cc")),
		}
		e.Name = strings.TrimSpace(e.Name)
		e.Scheme = countryScheme(e.Code)
		add(&places, e)
	}
	for _, ic := range append(docdata.Children("identified-content"), head.Children("identified-content")...) {
		for _, k := range ic.Elements() {
			e := story.Entity{Name: wire.OneLine(k.Content())}
			switch k.Name.Local {
			case "location":
				e.Code, e.Scheme = strings.TrimSpace(k.Attr("location-code")), strings.TrimSpace(k.Attr("code-source"))
				add(&places, e)
			case "person":
				e.Code, e.Scheme = strings.TrimSpace(k.Attr("value")), strings.TrimSpace(k.Attr("idsrc"))
				add(&people, e)
			case "org":
				e.Code, e.Scheme = strings.TrimSpace(k.Attr("value")), strings.TrimSpace(k.Attr("idsrc"))
				add(&orgs, e)
			}
		}
	}
	return places, people, orgs
}

// keywords returns key-list keywords once each (case-insensitively, first
// spelling wins), in document order.
func keywords(docdata *xmldoc.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, kl := range docdata.Children("key-list") {
		for _, kw := range kl.Children("keyword") {
			k := strings.TrimSpace(kw.Attr("key"))
			if k == "" || seen[strings.ToLower(k)] {
				continue
			}
			seen[strings.ToLower(k)] = true
			out = append(out, k)
		}
	}
	return out
}

// signalWord finds the words of take keys and editor's message types that
// say what a version is: "1stLd-Writethru", "Correction", "Advisory".
var signalWord = regexp.MustCompile(`(?i)\b(?:write-?thru|writethrough|[0-9]*(?:st|nd|rd|th)?ld|correct(?:ion|ive|ed|s)?|updat(?:e|ed|es)|kill(?:ed|s)?|advisory|flash|bulletin|urgent)\b`)

// signals reads the ANPA take key (a head meta, as AAP sends it) and the
// type of docdata's editor's messages.
func signals(head, docdata *xmldoc.Node) []string {
	var sources []string
	if tk, ok := metaContent(head, "anpa-takekey"); ok {
		sources = append(sources, tk)
	}
	for _, m := range docdata.Children("ed-msg") {
		sources = append(sources, m.Attr("msg-type"))
	}
	var out []string
	for _, s := range sources {
		for _, w := range signalWord.FindAllString(s, -1) {
			sig := signalName(strings.ToLower(w))
			if !slices.Contains(out, sig) {
				out = append(out, sig)
			}
		}
	}
	return out
}

// signalName maps a matched word to its signal.
func signalName(w string) string {
	switch {
	case strings.HasPrefix(w, "write"):
		return "writethru"
	case strings.HasSuffix(w, "ld"):
		return "update" // a new lead
	case strings.HasPrefix(w, "correct"):
		return "correction"
	case strings.HasPrefix(w, "update"):
		return "update"
	case strings.HasPrefix(w, "kill"):
		return "kill"
	}
	return w
}

func isHTTPURL(s string) bool {
	_, ok := wire.NormalizeLink(s)
	return ok
}

func lastNonEmpty(s []string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != "" {
			return s[i]
		}
	}
	return ""
}

func joinNonEmpty(parts []string, sep string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
