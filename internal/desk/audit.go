package desk

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// auditLimit is how many rows one page of the audit log shows.
const auditLimit = 100

type auditPage struct {
	Actor, Action, ObjectType, ObjectID, From, To string
	ObjectTypes                                   []string
	Entries                                       []auditRow
	// NextURL pages to older rows; "" on the last page.
	NextURL string
}

type auditRow struct {
	*store.AuditEntry
	BeforeJSON, AfterJSON string
	// ObjectURL links the object on the desk, when it has a page.
	ObjectURL string
}

// dateLayout is the <input type="date"> value.
const dateLayout = "2006-01-02"

func (d *Desk) serveAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ap := auditPage{
		Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		ObjectType: strings.TrimSpace(q.Get("type")), ObjectID: strings.TrimSpace(q.Get("id")),
		From: q.Get("from"), To: q.Get("to"),
		ObjectTypes: []string{store.AuditStory, store.AuditSource, store.AuditRule, store.AuditUser},
	}
	p := &store.ListAuditParams{Actor: ap.Actor, Action: ap.Action, ObjectType: ap.ObjectType, ObjectID: ap.ObjectID, Limit: auditLimit}
	if ap.From != "" {
		t, err := time.Parse(dateLayout, ap.From)
		if err != nil {
			return errBadRequest("From: a date such as 2026-01-31.")
		}
		p.Since = &t
	}
	if ap.To != "" {
		t, err := time.Parse(dateLayout, ap.To)
		if err != nil {
			return errBadRequest("To: a date such as 2026-01-31.")
		}
		// The whole of the last day counts.
		t = t.AddDate(0, 0, 1)
		p.Until = &t
	}
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			return errBadRequest("before: a row id.")
		}
		p.BeforeID = id
	}
	entries, err := d.store.ListAudit(r.Context(), p)
	if err != nil {
		return err
	}
	for _, e := range entries {
		row := auditRow{AuditEntry: e, BeforeJSON: indentJSON(e.Before), AfterJSON: indentJSON(e.After)}
		if e.ObjectType == store.AuditStory {
			row.ObjectURL = "/desk/stories/" + e.ObjectID
		}
		ap.Entries = append(ap.Entries, row)
	}
	if len(entries) == auditLimit {
		next := r.URL.Query()
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		ap.NextURL = "/desk/audit?" + next.Encode()
	}
	return d.render(w, r, http.StatusOK, "audit", "Audit log", ap)
}

// indentJSON shows stored JSON readably; "" for none.
func indentJSON(js json.RawMessage) string {
	if len(js) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, js, "", "  "); err != nil {
		return string(js)
	}
	return buf.String()
}
