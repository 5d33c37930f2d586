// Package nitf decodes NITF 3.x (News Industry Text Format) documents into
// items, and converts NITF body markup to HTML for the formats that embed it.
package nitf

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
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
	root, err := parseXML(doc, true)
	if err != nil {
		return nil, readError("cannot read the document", err)
	}
	nitf := root.elements()[0]
	if nitf.name != "nitf" {
		return nil, &wire.Error{Format: Format, Reason: fmt.Sprintf("not NITF: the root element is <%s>, not <nitf>", nitf.name)}
	}
	return buildItem(nitf, opts), nil
}

// readError wraps a parse failure, keeping its position in the message.
func readError(reason string, err error) error {
	var pe *parseError
	if errors.As(err, &pe) {
		return &wire.Error{Format: Format, Reason: reason, Err: pe}
	}
	return &wire.Error{Format: Format, Reason: reason, Err: err}
}

// buildItem maps a parsed <nitf> element to an item.
func buildItem(nitf *node, opts *wire.Options) *story.Item {
	var (
		head     = nitf.child("head")
		docdata  = head.child("docdata")
		body     = nitf.child("body")
		bodyHead = body.child("body.head")
		policy   = sanitize.New()
		loc      = opts.Loc()
	)
	status := strings.ToLower(strings.TrimSpace(docdata.attr("management-status")))
	it := &story.Item{
		URI:       strings.TrimSpace(docdata.child("doc-id").attr("id-string")),
		Version:   strings.TrimSpace(docdata.child("du-key").attr("version")),
		PubStatus: pubStatus(status),
		Type:      "text",
		Headline:  headline(head, bodyHead),
		Slugline:  slugline(head, docdata),
		Byline:    byline(bodyHead),
		Dateline:  dateline(bodyHead.child("dateline")),
		EdNote:    edNote(docdata, bodyHead, policy),
		Subjects:  subjects(head.child("tobject")),
		Keywords:  keywords(docdata),
		Copyright: strings.TrimSpace(docdata.child("doc.copyright").attr("holder")),
		// doc.rights@limitations is the agency's statement of what a
		// receiver may do with the document.
		UsageTerms: strings.TrimSpace(docdata.child("doc.rights").attr("limitations")),
		Language:   wire.LanguageTag(firstNonEmpty(nitf.attr("baselang"), nitf.attr("lang"))),
		Signals:    signals(head, docdata),
		WordCount:  wordCount(head),
	}
	if u, ok := number(docdata.child("urgency").attr("ed-urg")); ok {
		it.Urgency = &u
	}
	if link := strings.TrimSpace(head.child("pubdata").attr("ex-ref")); isHTTPURL(link) {
		it.Link = link
	}

	// date.issue is when this document was issued: its version's time. It
	// is also the story's first publication unless the document says it
	// is a later version of an earlier one.
	if t, ok := normDate(docdata.child("date.issue"), loc); ok {
		it.VersionCreated = &t
		if !laterVersion(docdata) {
			first := t
			it.FirstCreated = &first
		}
	}
	// date.release is when the receiver may publish: an embargo when it is
	// after the document was issued, or when the status says embargoed.
	if t, ok := normDate(docdata.child("date.release"), loc); ok {
		if status == "embargoed" || (it.VersionCreated != nil && t.After(*it.VersionCreated)) {
			it.Embargoed = &t
		}
	}

	it.Places, it.People, it.Organisations = entities(docdata, head)

	// The hl2 under the headline is a subheadline: with the abstract it is
	// what the story is about in a few lines.
	var summary []string
	for _, hl := range bodyHead.child("hedline").children("hl2") {
		summary = append(summary, wire.OneLine(hl.textContent()))
	}
	for _, a := range bodyHead.children("abstract") {
		summary = append(summary, policy.Text(policy.HTML(bodyHTML(a.kids))))
	}
	it.Description = joinNonEmpty(summary, "\n\n")

	it.BodyHTML = policy.HTML(bodyHTML(bodyParts(body)))
	it.BodyText = policy.Text(it.BodyHTML)

	agency := firstNonEmpty(
		wire.OneLine(bodyHead.child("distributor").textContent()),
		it.Copyright,
		strings.TrimSpace(docdata.child("doc-id").attr("regsrc")),
	)
	sha := ""
	if opts != nil {
		agency = firstNonEmpty(agency, strings.TrimSpace(opts.Agency))
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
func laterVersion(docdata *node) bool {
	if v, ok := number(docdata.child("du-key").attr("version")); ok && v > 1 {
		return true
	}
	return strings.TrimSpace(docdata.attr("management-doc-idref")) != ""
}

// normDate reads an element's norm attribute, NITF's ISO 8601 basic form
// (20131020T192751+1100); a time without a zone is in loc.
func normDate(n *node, loc *time.Location) (time.Time, bool) {
	return wire.ParseDate(n.attr("norm"), loc)
}

// headline is the first hl1 with text, else the document title.
func headline(head, bodyHead *node) string {
	for _, hl := range bodyHead.child("hedline").children("hl1") {
		if h := wire.OneLine(hl.textContent()); h != "" {
			return h
		}
	}
	return wire.OneLine(head.child("title").textContent())
}

// metaContent returns the content of the head's <meta name=...>, if any.
func metaContent(head *node, name string) (string, bool) {
	for _, m := range head.children("meta") {
		if m.attr("name") == name {
			return m.attr("content"), true
		}
	}
	return "", false
}

// slugline is ANPA's keyword where the agency sends it in a meta (AAP),
// else the dynamic use key that ties a story's versions together.
func slugline(head, docdata *node) string {
	if kw, _ := metaContent(head, "anpa-keyword"); strings.TrimSpace(kw) != "" {
		return strings.TrimSpace(kw)
	}
	return strings.TrimSpace(docdata.child("du-key").attr("key"))
}

// byline is the text of the body.head bylines without the writer's title
// (byttl), which the byline field has no room for; the comma that set the
// title apart goes with it ("By Meredith Jameson, <byttl>Staff
// Reporter</byttl>").
func byline(bodyHead *node) string {
	var names []string
	for _, b := range bodyHead.children("byline") {
		name := wire.OneLine(b.textContent("byttl"))
		if b.child("byttl") != nil {
			name = strings.TrimRight(name, ",; ")
		}
		names = append(names, name)
	}
	return joinNonEmpty(names, ", ")
}

// dateline reads the place (location) and date (story.date) as written;
// a dateline of free text is all place.
func dateline(dl *node) *story.Dateline {
	if dl == nil {
		return nil
	}
	d := &story.Dateline{
		Place: wire.OneLine(dl.child("location").textContent()),
		Date:  wire.OneLine(dl.child("story.date").textContent()),
	}
	if d.Place == "" && d.Date == "" {
		d.Place = wire.OneLine(dl.textContent())
	}
	if d.Place == "" && d.Date == "" {
		return nil
	}
	return d
}

// edNote is the message for editors: docdata's ed-msg, else a body.head
// note meant for editors only.
func edNote(docdata, bodyHead *node, policy *sanitize.Policy) string {
	var msgs []string
	for _, m := range docdata.children("ed-msg") {
		msgs = append(msgs, strings.TrimSpace(m.attr("info")))
	}
	if note := joinNonEmpty(msgs, "\n"); note != "" {
		return note
	}
	for _, n := range bodyHead.children("note") {
		typ := strings.ToLower(strings.TrimSpace(n.attr("type")))
		class := strings.ToLower(strings.TrimSpace(n.attr("noteclass")))
		if typ == "npa" || class == "editorsnote" {
			msgs = append(msgs, policy.Text(policy.HTML(bodyHTML(n.kids))))
		}
	}
	return joinNonEmpty(msgs, "\n\n")
}

// wordCount is the length the document states: pubdata@item-length in
// words, else ANPA's word count in a meta (AAP).
func wordCount(head *node) *int {
	pub := head.child("pubdata")
	if strings.EqualFold(strings.TrimSpace(pub.attr("unit-of-measure")), "word") {
		if n, ok := number(pub.attr("item-length")); ok {
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
func subjects(tobject *node) []story.Entity {
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
	for _, s := range tobject.children("tobject.subject") {
		code := strings.TrimSpace(s.attr("tobject.subject.refnum"))
		names := [3]string{
			strings.TrimSpace(s.attr("tobject.subject.type")),
			strings.TrimSpace(s.attr("tobject.subject.matter")),
			strings.TrimSpace(s.attr("tobject.subject.detail")),
		}
		scheme := subjectScheme
		if ipr := strings.TrimSpace(s.attr("tobject.subject.ipr")); ipr != "" && !strings.EqualFold(ipr, "IPTC") {
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
func entities(docdata, head *node) (places, people, orgs []story.Entity) {
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
	for _, ev := range docdata.children("evloc") {
		e := story.Entity{
			Name: firstNonEmpty(ev.attr("city"), ev.attr("state-prov"), ev.attr("county-dist")),
			Code: strings.TrimSpace(ev.attr("iso-cc")),
		}
		e.Name = strings.TrimSpace(e.Name)
		e.Scheme = countryScheme(e.Code)
		add(&places, e)
	}
	for _, ic := range append(docdata.children("identified-content"), head.children("identified-content")...) {
		for _, k := range ic.elements() {
			e := story.Entity{Name: wire.OneLine(k.textContent())}
			switch k.name {
			case "location":
				e.Code, e.Scheme = strings.TrimSpace(k.attr("location-code")), strings.TrimSpace(k.attr("code-source"))
				add(&places, e)
			case "person":
				e.Code, e.Scheme = strings.TrimSpace(k.attr("value")), strings.TrimSpace(k.attr("idsrc"))
				add(&people, e)
			case "org":
				e.Code, e.Scheme = strings.TrimSpace(k.attr("value")), strings.TrimSpace(k.attr("idsrc"))
				add(&orgs, e)
			}
		}
	}
	return places, people, orgs
}

// keywords returns key-list keywords once each (case-insensitively, first
// spelling wins), in document order.
func keywords(docdata *node) []string {
	var out []string
	seen := map[string]bool{}
	for _, kl := range docdata.children("key-list") {
		for _, kw := range kl.children("keyword") {
			k := strings.TrimSpace(kw.attr("key"))
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
func signals(head, docdata *node) []string {
	var sources []string
	if tk, ok := metaContent(head, "anpa-takekey"); ok {
		sources = append(sources, tk)
	}
	for _, m := range docdata.children("ed-msg") {
		sources = append(sources, m.attr("msg-type"))
	}
	var out []string
	for _, s := range sources {
		for _, w := range signalWord.FindAllString(s, -1) {
			sig := signalName(strings.ToLower(w))
			if !contains(out, sig) {
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isHTTPURL(s string) bool {
	_, ok := wire.NormalizeLink(s)
	return ok
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
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
