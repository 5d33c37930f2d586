package desk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// minSourceInterval is the shortest poll interval the desk accepts, as
// `wiredesk source add` does.
const minSourceInterval = 5 * time.Second

type sourcesPage struct {
	Sources []sourceRow
}

// sourceRow is one source with its health.
type sourceRow struct {
	Name          string
	URL           string // redacted: keys and passwords never reach a page
	Format        string
	Agency        string
	Interval      time.Duration
	State         store.SourceState
	Paused        bool
	Failures      int
	LastSuccessAt *time.Time
	LastError     string
	LastErrorAt   *time.Time
	NextAttemptAt *time.Time
	ItemsPerDay   int
	IDsDerived    bool
}

func (d *Desk) serveSources(w http.ResponseWriter, r *http.Request) error {
	srcs, err := d.store.ListSources(r.Context())
	if err != nil {
		return err
	}
	counts, err := d.store.CountSourceItems(r.Context(), &store.CountSourceItemsParams{Since: d.now().Add(-24 * time.Hour)})
	if err != nil {
		return err
	}
	var sp sourcesPage
	for _, s := range srcs {
		sp.Sources = append(sp.Sources, sourceRow{
			Name: s.Name, URL: fetch.Redact(s.URL), Format: s.Format, Agency: s.Agency, Interval: s.Interval,
			State: s.State, Paused: s.Paused, Failures: s.ConsecutiveFailures,
			LastSuccessAt: s.LastSuccessAt, LastError: s.LastError, LastErrorAt: s.LastErrorAt,
			NextAttemptAt: s.NextAttemptAt, ItemsPerDay: counts[s.ID], IDsDerived: s.IDsDerived,
		})
	}
	return d.render(w, r, http.StatusOK, "sources", "Sources", sp)
}

type sourceForm struct {
	Name     string
	URL      string
	Format   string
	Agency   string
	Interval string
	Formats  []string
	Errors   []string
}

func (d *Desk) serveSourceNew(w http.ResponseWriter, r *http.Request) error {
	return d.render(w, r, http.StatusOK, "source_new", "Add a source", &sourceForm{Interval: "60s", Formats: decode.Formats()})
}

// sourceAudit is what the audit log keeps of a source: its configuration,
// the URL redacted, never its credentials.
type sourceAudit struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Format   string `json:"format,omitempty"`
	Agency   string `json:"agency,omitempty"`
	Interval string `json:"interval"`
	Paused   bool   `json:"paused"`
}

func auditOfSource(s *store.Source) json.RawMessage {
	b, _ := json.Marshal(sourceAudit{Name: s.Name, URL: fetch.Redact(s.URL), Format: s.Format, Agency: s.Agency, Interval: s.Interval.String(), Paused: s.Paused})
	return b
}

func (d *Desk) postSourceAdd(w http.ResponseWriter, r *http.Request) error {
	f := &sourceForm{
		Name: strings.TrimSpace(r.PostFormValue("name")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Format: r.PostFormValue("format"), Agency: strings.TrimSpace(r.PostFormValue("agency")),
		Interval: strings.TrimSpace(r.PostFormValue("interval")), Formats: decode.Formats(),
	}
	interval, err := time.ParseDuration(f.Interval)
	if err != nil || interval < minSourceInterval {
		f.Errors = append(f.Errors, "Interval: a duration of at least 5s, such as 60s or 5m.")
	}
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 64 || strings.ContainsAny(f.Name, "/?#% ") {
		f.Errors = append(f.Errors, "Name: 1 to 64 characters, without spaces, '/', '?', '#' or '%'.")
	}
	if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.Errors = append(f.Errors, "URL: an http:// or https:// address.")
	}
	if f.Format != "" && !slices.Contains(f.Formats, f.Format) {
		f.Errors = append(f.Errors, "Format: one of the listed formats, or detect.")
	}
	if len(f.Errors) == 0 {
		// UpsertSource would quietly reconfigure a source of that name.
		switch _, err := d.store.GetSource(r.Context(), f.Name); {
		case err == nil:
			f.Errors = append(f.Errors, fmt.Sprintf("Name: a source called %q exists already.", f.Name))
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if len(f.Errors) > 0 {
		return d.render(w, r, http.StatusBadRequest, "source_new", "Add a source", f)
	}
	src, err := d.store.UpsertSource(r.Context(), &store.UpsertSourceParams{
		Name: f.Name, URL: f.URL, Format: f.Format, Agency: f.Agency, Interval: interval,
	})
	if err != nil {
		return err
	}
	if err := d.audit(r, &store.AppendAuditParams{
		Action: "source.add", ObjectType: store.AuditSource, ObjectID: src.Name, After: auditOfSource(src),
	}); err != nil {
		return err
	}
	return d.redirect(w, r, "/desk/sources", fmt.Sprintf("Source %s added; its first poll is due now.", src.Name))
}

// postSourcePause pauses or resumes a source (the route's last element
// says which), keeping its configuration, credentials and health.
func (d *Desk) postSourcePause(w http.ResponseWriter, r *http.Request) error {
	pause := strings.HasSuffix(r.URL.Path, "/pause")
	src, err := d.store.GetSource(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	word := map[bool]string{true: "paused", false: "resumed"}[pause]
	if src.Paused == pause {
		return d.redirect(w, r, "/desk/sources", fmt.Sprintf("Source %s was %s already.", src.Name, word))
	}
	after, err := d.store.UpsertSource(r.Context(), &store.UpsertSourceParams{
		Name: src.Name, URL: src.URL, Format: src.Format, Agency: src.Agency,
		Interval: src.Interval, AllowPrivate: src.AllowPrivate, Paused: pause, Auth: src.Auth,
	})
	if err != nil {
		return err
	}
	action := map[bool]string{true: "source.pause", false: "source.resume"}[pause]
	if err := d.audit(r, &store.AppendAuditParams{
		Action: action, ObjectType: store.AuditSource, ObjectID: src.Name, Before: auditOfSource(src), After: auditOfSource(after),
	}); err != nil {
		return err
	}
	return d.redirect(w, r, "/desk/sources", fmt.Sprintf("Source %s %s.", src.Name, word))
}

type sourceTestPage struct {
	Name    string
	URL     string
	Format  string
	Status  int
	Bytes   int
	Error   string
	Items   []testItem
	Skipped []decode.Skip
}

// testItem is one decoded item as the test preview shows it: text only.
type testItem struct {
	URI       string
	Version   string
	Status    story.PubStatus
	Headline  string
	Versioned *time.Time
	Excerpt   string
}

// postSourceTest fetches the source once, unconditionally, and shows what
// it decodes to, storing nothing but the audit row: what `wiredesk source
// test` prints, as a page. It is a POST because it makes the server fetch.
func (d *Desk) postSourceTest(w http.ResponseWriter, r *http.Request) error {
	src, err := d.store.GetSource(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	tp := sourceTestPage{Name: src.Name, URL: fetch.Redact(src.URL)}
	req := &fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate, Auth: ingest.SourceFetchAuth(src.Auth)}
	resp, err := d.fetcher.Get(r.Context(), req)
	if err != nil {
		// fetch's errors carry the URL redacted, never a secret.
		tp.Error = "Fetch failed: " + err.Error()
	} else {
		tp.Status, tp.Bytes = resp.StatusCode, len(resp.Body)
		res, err := decode.DecodeAs(resp.Body, src.Format, &wire.Options{Agency: src.Agency, SHA256: story.SHA256Hex(resp.Body)})
		if err != nil {
			tp.Error = "Decoding failed: " + err.Error()
		} else {
			tp.Format, tp.Skipped = res.Format, res.Skipped
			for _, it := range res.Items {
				tp.Items = append(tp.Items, testItem{
					URI: it.URI, Version: it.Version, Status: it.PubStatus, Headline: it.Headline,
					Versioned: it.VersionCreated, Excerpt: excerpt(it.BodyText, 240),
				})
			}
		}
	}
	note := fmt.Sprintf("%d items, %d skipped", len(tp.Items), len(tp.Skipped))
	if tp.Error != "" {
		note = tp.Error
	}
	if err := d.audit(r, &store.AppendAuditParams{
		Action: "source.test", ObjectType: store.AuditSource, ObjectID: src.Name, Note: note,
	}); err != nil {
		return err
	}
	return d.render(w, r, http.StatusOK, "source_test", "Test of "+src.Name, tp)
}

// excerpt is the first n characters of s, cut at a word.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// audit writes one audit row for an action of the signed-in editor, on
// its own, right after the action. Source changes go through store methods
// that have no transaction form yet, so a crash between the two would lose
// the row; story actions write theirs in their own transaction
// (apply.Kill and friends), and so should any new action that can.
func (d *Desk) audit(r *http.Request, p *store.AppendAuditParams) error {
	p.Actor = userOf(r).Name
	if p.At.IsZero() {
		p.At = d.now()
	}
	if _, err := d.store.AppendAudit(r.Context(), p); err != nil {
		return fmt.Errorf("audit %s: %w", p.Action, err)
	}
	return nil
}
