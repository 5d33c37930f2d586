package api

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Every route served is in the OpenAPI document, and every operation the
// document names is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := &API{}
	var served []string
	for _, r := range a.routes() {
		served = append(served, r.method+" "+r.path)
	}
	var documented []string
	for path, item := range openAPIDocument()["paths"].(obj) {
		for method := range item.(obj) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("routes served vs documented (-served +documented):\n%s", diff)
	}
}

// Every route that needs a scope documents it as its security, and the
// public ones do not demand a token.
func TestOpenAPIScopes(t *testing.T) {
	a := &API{}
	paths := openAPIDocument()["paths"].(obj)
	for _, r := range a.routes() {
		op := paths[r.path].(obj)[strings.ToLower(r.method)].(obj)
		sec, _ := op["security"].([]any)
		if r.scope == "" {
			for _, s := range sec {
				if len(s.(obj)) == 0 {
					sec = nil // an empty requirement: anyone
				}
			}
			if sec != nil {
				t.Errorf("%s %s is public but documents security %v", r.method, r.path, sec)
			}
			continue
		}
		want := []any{obj{"bearer": []any{r.scope}}}
		if diff := cmp.Diff(want, sec); diff != "" {
			t.Errorf("%s %s security (-want +got):\n%s", r.method, r.path, diff)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{{ID: 7, PublishedAt: mustTime(t, "2026-11-29T06:00:00.123456Z")}, {Offset: 40}} {
		got, err := decodeCursor(c.encode(), c.Offset > 0)
		if err != nil {
			t.Fatalf("decode %+v: %v", c, err)
		}
		if diff := cmp.Diff(c, *got); diff != "" {
			t.Errorf("cursor round trip (-want +got):\n%s", diff)
		}
	}
}

// A cursor comes back from clients: whatever it holds, decoding it either
// gives a cursor of the kind asked for or a 400, never a panic.
func FuzzDecodeCursor(f *testing.F) {
	f.Add((&cursor{ID: 3, PublishedAt: mustTime(f, "2026-11-29T06:00:00Z")}).encode(), false)
	f.Add((&cursor{Offset: 20}).encode(), true)
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"p":"x","i":-1}`)), false)
	f.Add("!!", true)
	f.Fuzz(func(t *testing.T, s string, search bool) {
		c, err := decodeCursor(s, search)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %T %v, want an *apiError (a 400)", err, err)
			}
			return
		}
		if search && (c.Offset <= 0 || c.ID != 0) || !search && (c.ID <= 0 || c.PublishedAt.IsZero()) {
			t.Fatalf("decoded cursor %+v is not of the kind asked for (search %v)", c, search)
		}
	})
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
