package site

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/worddiff"
)

// historyPage lists every stored version of a story with what changed
// between them (DESIGN §4 rule 6: earlier versions stay readable).
type historyPage struct {
	page
	Headline string
	// HeadlineLang is the story's language: the page around the agency's
	// words is the site's, in English.
	HeadlineLang string
	StoryURL     string
	Agency       string
	Versions     []historyVersion
}

// historyVersion is one version as the history page shows it.
type historyVersion struct {
	// Anchor is the version's fragment id, from its place in the list:
	// agency version numbers need not be unique.
	Anchor string
	// Label names the version: the agency's version number, else its place
	// in the list.
	Label string
	// Lang is the language of the version's words.
	Lang           string
	VersionCreated time.Time // the agency's time; zero when not given
	Received       time.Time
	SourceName     string
	Status         string
	OnShow         bool
	Signals        []string
	EdNote         string
	// ComparedWith is the label and anchor of the version the diffs are
	// against; empty for the first version, shown in full.
	ComparedWith       string
	ComparedWithAnchor string
	Headline           []diffOp
	Body               []diffOp
	BodyUnchanged      bool
}

// diffOp is one run of a word diff: Kind is "ins", "del" or "" for text in
// both versions.
type diffOp struct {
	Kind string
	Text string
}

// Version statuses, in words for readers.
const (
	statusOnShow    = "On show"
	statusReplaced  = "Shown, since replaced"
	statusWithheld  = "Withheld by the agency: the story was hidden until a newer version"
	statusWithdrawn = "Withdrawn by the agency, then restored by an editor"
	statusOlder     = "Recorded, not shown: older than the version on show"
	statusPending   = "Recorded, not shown: pending editor review"
	statusNotShown  = "Recorded, not shown"
)

// historyURL is the path of a story's history page.
func historyURL(st *story.Story) string {
	return fmt.Sprintf("/story/%d/history", st.ID)
}

// serveHistory shows every stored version of a visible story, oldest first,
// each with a word diff against the version before it. A hidden story's
// history is as hidden as the story: the same 410 or 404.
func (s *Site) serveHistory(w http.ResponseWriter, r *http.Request) error {
	st, err := s.visibleStory(r)
	if err != nil {
		return err
	}
	versions, err := s.store.ListVersions(r.Context(), st.ID)
	if err != nil {
		return fmt.Errorf("list versions of story %d: %w", st.ID, err)
	}
	hp := historyPage{
		page:         page{SiteName: s.siteName, Title: "History: " + headline(st) + " | " + s.siteName},
		Headline:     headline(st),
		HeadlineLang: st.Current.Language,
		StoryURL:     storyURL(st),
		Agency:       st.Agency,
	}
	// Each version is compared with the last version before it whose text
	// readers saw: a version never shown changed nothing for them. Until
	// there is one, it is compared with the version just before it.
	var prev, prevShown *historyVersion
	var prevText, prevShownText versionText
	for i, v := range versions {
		hv := historyVersion{
			Anchor:     "v" + strconv.Itoa(i+1),
			Label:      strings.TrimSpace(v.Item.Version),
			Lang:       v.Item.Language,
			Received:   v.ReceivedAt,
			SourceName: v.SourceName,
			OnShow:     v.Key == st.CurrentVersionKey,
			Signals:    signalLabels(v.Item),
			EdNote:     strings.TrimSpace(v.Item.EdNote),
		}
		if hv.Label == "" {
			hv.Label = strconv.Itoa(i + 1)
		}
		if vc := v.Item.VersionCreated; vc != nil {
			hv.VersionCreated = *vc
		}
		hv.Status = versionStatus(st, v, hv.OnShow)
		text := s.versionText(v.Item)

		base, baseText := prevShown, prevShownText
		if base == nil {
			base, baseText = prev, prevText
		}
		if base == nil {
			hv.Headline = diffOps(worddiff.Diff(text.headline, text.headline))
			hv.Body = diffOps(worddiff.Diff(text.body, text.body))
		} else {
			hv.ComparedWith, hv.ComparedWithAnchor = base.Label, base.Anchor
			hv.Headline = diffOps(worddiff.Diff(baseText.headline, text.headline))
			hv.BodyUnchanged = baseText.body == text.body
			if !hv.BodyUnchanged {
				hv.Body = diffOps(worddiff.Diff(baseText.body, text.body))
			}
		}
		hp.Versions = append(hp.Versions, hv)
		prev, prevText = &hp.Versions[len(hp.Versions)-1], text
		if readable(v) {
			prevShown, prevShownText = prev, text
		}
	}
	return s.render(w, "history", hp)
}

// versionText is the words of a version the history compares.
type versionText struct {
	headline, body string
}

// versionText takes the agency's plain text when it sent one, else the text
// of its HTML body. Line ends are made alike so that the same words from a
// CRLF feed and a LF feed compare equal.
func (s *Site) versionText(it *story.Item) versionText {
	body := it.BodyText
	if strings.TrimSpace(body) == "" {
		body = s.policy.Text(it.BodyHTML)
	}
	clean := func(t string) string {
		return strings.TrimSpace(strings.ReplaceAll(t, "\r\n", "\n"))
	}
	return versionText{headline: clean(it.Headline), body: clean(body)}
}

// versionStatus says whether readers saw a version, and if not, why not.
// The story is visible (hidden stories have no public history), so a kill
// among its versions was lifted by an editor.
func versionStatus(st *story.Story, v *store.Version, onShow bool) string {
	switch {
	case onShow:
		return statusOnShow
	case st.PendingVersionID != 0 && v.ID == st.PendingVersionID:
		return statusPending
	case v.Item.PubStatus == story.Canceled:
		return statusWithdrawn
	case v.Applied && v.Item.PubStatus == story.Withheld:
		return statusWithheld
	case v.Applied:
		return statusReplaced
	}
	if order, known := story.Compare(v.Item, st.Current); known && order < 0 {
		return statusOlder
	}
	return statusNotShown
}

// readable reports whether readers saw a version's text: it was put on
// show, and it was not a kill or a withhold, which take the text down.
func readable(v *store.Version) bool {
	return v.Applied && v.Item.PubStatus != story.Canceled && v.Item.PubStatus != story.Withheld
}

// signalLabels names the signals readers care about: corrections and
// updates. Others (a table, a flash) say nothing about what changed.
func signalLabels(it *story.Item) []string {
	var labels []string
	if hasSignal(it, "correction") {
		labels = append(labels, "Correction")
	}
	if hasSignal(it, "update") {
		labels = append(labels, "Update")
	}
	return labels
}

func diffOps(ops []worddiff.Op) []diffOp {
	out := make([]diffOp, 0, len(ops))
	for _, op := range ops {
		d := diffOp{Text: op.Text}
		switch op.Kind {
		case worddiff.Insert:
			d.Kind = "ins"
		case worddiff.Delete:
			d.Kind = "del"
		}
		out = append(out, d)
	}
	return out
}
