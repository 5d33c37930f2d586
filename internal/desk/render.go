package desk

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// view is what every desk template gets: the layout's fields, and the
// page's own data as .Data. Inside a range, reach the top with $ (e.g.
// {{template "csrf" $}}).
type view struct {
	SiteName string
	Title    string
	// Section is the first path element after /desk/ ("stories",
	// "review"...): the nav marks it as the current page.
	Section string
	// User is the signed-in account; nil on the sign-in page.
	User *store.User
	// CSRF is the session's token, for {{template "csrf" $}}.
	CSRF string
	// Flash is a one-time message from the action before a redirect.
	Flash string
	Data  any
}

// Can reports whether the signed-in account has role: templates use it to
// show a button only to those who may press it ({{if $.Can "editor"}}).
// The route still checks; hiding is a courtesy.
func (v *view) Can(role string) bool {
	return v.User != nil && v.User.Role.Allows(store.Role(role))
}

// templateFuncs are available to every desk template.
var templateFuncs = template.FuncMap{
	// when shows a time in UTC, minutes only; "" for the zero time.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// whenPtr is when for an optional time; "never" for nil.
	"whenPtr": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// iso is a time for <time datetime>.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}

// parsePages parses every templates/*.html but the layout, each with the
// layout, so each page defines the layout's "main" block. A new page is a
// new file: no list to update.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list desk templates: %w", err)
	}
	pages := make(map[string]*template.Template)
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(assets, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("parse desk template %s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes the page named name (templates/name.html) with the layout,
// titled title, with data as .Data. It renders into a buffer first, so a
// template failure still becomes a proper error page.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	t, ok := d.pages[name]
	if !ok {
		return fmt.Errorf("render desk page %s: no such template", name)
	}
	v := &view{SiteName: d.name, Title: title, Section: section(r.URL.Path), Flash: d.takeFlash(w, r), Data: data}
	if s := sessionOf(r); s != nil {
		v.User, v.CSRF = s.User, s.CSRFToken
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render desk page %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// section is the first path element after /desk/.
func section(p string) string {
	rest := strings.TrimPrefix(p, "/desk/")
	first, _, _ := strings.Cut(rest, "/")
	return first
}

// serveStatic serves the desk's stylesheet and scripts (static/*): files,
// because the CSP allows no inline style or script.
func (d *Desk) serveStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	b, err := assets.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		return errNotFound("No such file.")
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	// The files change only with the binary.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	return nil
}
