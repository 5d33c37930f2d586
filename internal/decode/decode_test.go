package decode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// fixtureRoot is the shared fixture tree next to the repository
// (<repo root>/../shared), two levels above this package.
const fixtureRoot = "../../../shared/fixtures/wire"

// TestDetectFixtures detects every fixture in rss/, atom/ and jsonfeed/. The
// table must name every file there, so a new fixture cannot go untested.
func TestDetectFixtures(t *testing.T) {
	want := map[string]string{ // file -> format, or "error: <reason prefix>"
		"rss/bbc_urdu_rtl_cdata.xml":               "rss",
		"rss/golem_rss2_iso8859-1.xml":             "rss",
		"rss/guardian_us.xml":                      "rss",
		"rss/heise_rdf_rss090.xml":                 "rdf",
		"rss/huffpost_canada_cdata_whitespace.xml": "rss",
		"rss/marketwatch_html_document_moved.xml":  "error: not a feed: an HTML page",
		"rss/nbcny_nonstandard_pubdate.xml":        "rss",
		"rss/reuters_truncated_invalid.xml":        "rss", // detected by its root; decoding rejects it
		"atom/google_alerts_html_titles.atom":      "atom",
		"atom/heise_developer.atom":                "atom",
		"atom/theregister_science.atom":            "atom",
		"jsonfeed/daringfireball_1.0.json":         "jsonfeed",
		"jsonfeed/influxdata_1.1_missing_ids.json": "jsonfeed",
	}
	seen := 0
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		files, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			t.Fatalf("read fixtures: %v", err)
		}
		for _, f := range files {
			rel := dir + "/" + f.Name()
			t.Run(rel, func(t *testing.T) {
				w, ok := want[rel]
				if !ok {
					t.Fatalf("fixture %s is not in the table", rel)
				}
				seen++
				data, err := os.ReadFile(filepath.Join(fixtureRoot, rel))
				if err != nil {
					t.Fatal(err)
				}
				checkDetect(t, data, w)
			})
		}
	}
	if seen != len(want) {
		t.Errorf("found %d fixtures, the table names %d", seen, len(want))
	}
}

// checkDetect runs Detect and compares with want: a format name, or
// "error: " and the start of the expected reason.
func checkDetect(t *testing.T, data []byte, want string) {
	t.Helper()
	got, err := Detect(data)
	if reason, ok := strings.CutPrefix(want, "error: "); ok {
		var we *wire.Error
		if !errors.As(err, &we) {
			t.Fatalf("Detect = %q, %v; want a *wire.Error", got, err)
		}
		if !strings.HasPrefix(we.Reason, reason) {
			t.Errorf("Detect reason = %q, want prefix %q", we.Reason, reason)
		}
		return
	}
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	if got != want {
		t.Errorf("Detect = %q, want %q", got, want)
	}
}

func TestDetectSynthetic(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"rss after BOM, prolog, comments and doctype",
			"\xEF\xBB\xBF \n<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE rss SYSTEM \"rss.dtd\">\n<rss version=\"0.91\"><channel/></rss>", "rss"},
		{"RSS 1.0", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel/></rdf:RDF>`, "rdf"},
		{"Atom 1.0", `<feed xmlns="http://www.w3.org/2005/Atom"/>`, "atom"},
		{"Atom 0.3", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"/>`, "atom"},
		{"Atom with prefix", `<a:feed xmlns:a="http://www.w3.org/2005/Atom"/>`, "atom"},
		{"Latin-1 rss", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!-- \xe9 --><rss/>", "rss"},
		{"UTF-16 rss", "\xFF\xFE<\x00r\x00s\x00s\x00/\x00>\x00", "rss"},
		{"JSON Feed 1", ` {"version": "https://jsonfeed.org/version/1", "items": []}`, "jsonfeed"},
		{"JSON Feed 1.1 over http", `{"version": "http://jsonfeed.org/version/1.1", "items": []}`, "jsonfeed"},
		{"HTML doctype", "<!DOCTYPE html>\n<html lang=en><body>", "error: not a feed: an HTML page"},
		{"HTML page without doctype", "\n<html><head><title>404</title></head></html>", "error: not a feed: an HTML page"},
		{"empty", "", "error: empty document"},
		{"BOM and whitespace only", "\xEF\xBB\xBF\n\t ", "error: empty document"},
		{"feed element in another namespace", `<feed xmlns="urn:example:feed"/>`, `error: unknown format: XML root element <feed xmlns="urn:example:feed">`},
		{"NewsML-G2", `<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"/>`, "newsml-g2"},
		{"NITF", `<?xml version="1.0"?><nitf version="3.2"><head/></nitf>`, "nitf"},
		{"ninjs", `{"uri": "urn:x", "type": "text", "version": "2"}`, "ninjs"},
		{"JSON object of no known format", `{"name": "x", "count": 2}`, "error: unknown format: JSON object with keys count, name"},
		{"JSON array", `[1, 2]`, "error: unknown format: JSON array"},
		{"text of no known format", "hello, \x01 wire", `error: unknown format: not XML or JSON, starts with "hello, \x01 wire"`},
		{"broken XML before the root", "<?xml version=\"1.0\"?>\n<!-- never closed", "error: cannot tell the format of a malformed document"},
		{"broken JSON", `{"version": `, "error: cannot tell the format of a malformed document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDetect(t, []byte(tt.in), tt.want)
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantFormat  string
		wantURIs    []string
		wantSkipped []Skip
		wantErr     string // reason prefix
	}{
		{
			name:       "rss",
			in:         `<rss version="2.0"><channel><title>T</title><item><guid>a</guid></item><item><guid>b</guid></item></channel></rss>`,
			wantFormat: "rss", wantURIs: []string{"a", "b"},
		},
		{
			name:        "entries without identity are skipped, the rest kept",
			in:          `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title></entry><entry><id>b</id></entry></feed>`,
			wantFormat:  "atom",
			wantURIs:    []string{"b"},
			wantSkipped: []Skip{{Index: 0, Reason: "no id and no link"}},
		},
		{
			name:       "JSON Feed",
			in:         `{"version":"https://jsonfeed.org/version/1","items":[{"url":"https://x.example/1?utm_medium=feed"}]}`,
			wantFormat: "jsonfeed", wantURIs: []string{"https://x.example/1"},
		},
		{
			name:    "truncated rss",
			in:      "<rss>\n<channel>\n<item>",
			wantErr: "truncated or malformed XML at line 3",
		},
		{
			name:    "HTML",
			in:      `<!doctype html><p>hi`,
			wantErr: "not a feed: an HTML page",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Decode([]byte(tt.in), &wire.Options{SHA256: "f00"})
			if tt.wantErr != "" {
				var we *wire.Error
				if !errors.As(err, &we) || !strings.HasPrefix(we.Reason, tt.wantErr) {
					t.Fatalf("Decode = %+v, %v; want a *wire.Error with reason %q", res, err, tt.wantErr)
				}
				if res != nil {
					t.Errorf("Decode returned a result with an error: %+v", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var uris []string
			for _, it := range res.Items {
				uris = append(uris, it.URI)
				if it.Source.SHA256 != "f00" || it.Source.Format != tt.wantFormat {
					t.Errorf("item %s source = %+v, want format %s and sha256 f00", it.URI, it.Source, tt.wantFormat)
				}
			}
			if res.Format != tt.wantFormat {
				t.Errorf("Format = %q, want %q", res.Format, tt.wantFormat)
			}
			if diff := cmp.Diff(tt.wantURIs, uris); diff != "" {
				t.Errorf("URIs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, res.Skipped); diff != "" {
				t.Errorf("Skipped mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeFixtures decodes every feed fixture through detection, as
// ingest will: each gives items or a clear error, never both.
func TestDecodeFixtures(t *testing.T) {
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		files, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(fixtureRoot, dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Decode(data, nil)
			switch {
			case err != nil && res != nil:
				t.Errorf("%s: result and error both returned", f.Name())
			case err == nil && len(res.Items) == 0:
				t.Errorf("%s: no items and no error", f.Name())
			}
		}
	}
}

// TestDecodeRefusesOversized checks that a payload over
// wire.MaxDocumentBytes is refused before any detection or parsing: a 100 MB
// slice, the test's only large allocation, costs Decode next to nothing.
func TestDecodeRefusesOversized(t *testing.T) {
	data := make([]byte, 100<<20)
	// Starts like a feed, so that only the size can refuse it.
	copy(data, `<rss version="2.0"><channel><item><guid>1</guid>`)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := Decode(data, nil)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	var we *wire.Error
	if !errors.As(err, &we) || res != nil {
		t.Fatalf("Decode = %+v, %v; want a *wire.Error and no result", res, err)
	}
	want := &wire.Error{Format: "auto", Reason: "document is 100 MiB, over the 64 MiB limit"}
	if diff := cmp.Diff(want, we); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("refusing allocated %d bytes: the payload was read", grew)
	}
	if elapsed > 100*time.Millisecond {
		t.Errorf("refusing took %v: the payload was read", elapsed)
	}
}

// TestDecodeSizeLimit checks the bound itself: a payload of exactly
// wire.MaxDocumentBytes is read (and fails for what it is), one byte more is
// refused for its size.
func TestDecodeSizeLimit(t *testing.T) {
	data := make([]byte, wire.MaxDocumentBytes+1)
	tests := []struct {
		name       string
		in         []byte
		wantReason string // prefix
	}{
		{"at the limit", data[:wire.MaxDocumentBytes], "unknown format"},
		{"one byte over", data, "document is 64.1 MiB, over the 64 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in, nil)
			var we *wire.Error
			if !errors.As(err, &we) || !strings.HasPrefix(we.Reason, tt.wantReason) {
				t.Errorf("Decode = %v, want a *wire.Error with reason %q", err, tt.wantReason)
			}
		})
	}
}

// billionLaughs is an RSS document with the classic entity bomb: expanding
// &lol9; would give 10^9 "lol"s.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n  <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := fmt.Sprintf("lol%d", i)
		fmt.Fprintf(&b, "  <!ENTITY %s \"%s\">\n", name, strings.Repeat("&"+prev+";", 10))
		prev = name
	}
	b.WriteString("]>\n<rss version=\"2.0\"><channel><title>&lol9;</title><item><guid>1</guid><title>&lol9;</title><description>&lol9;</description></item></channel></rss>")
	return b.String()
}

// TestDecodeEntityBomb checks that an entity bomb through detection and
// decoding is answered quickly, with little memory, its entities unexpanded.
func TestDecodeEntityBomb(t *testing.T) {
	data := []byte(billionLaughs())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := Decode(data, nil)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	if elapsed > 2*time.Second {
		t.Errorf("Decode took %v, want under 2s", elapsed)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
		t.Errorf("Decode allocated %d MB, want under 50 MB", grew>>20)
	}
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(res.Items) != 1 || res.Items[0].Headline != "&lol9;" || res.Items[0].BodyText != "&lol9;" {
		t.Errorf("items = %+v, want one with the entity left as &lol9;", res.Items)
	}
}

// feedFixtureFiles lists the rss/, atom/ and jsonfeed/ fixtures.
func feedFixtureFiles(tb testing.TB) []string {
	tb.Helper()
	var paths []string
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		files, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			tb.Fatalf("read fixtures: %v", err)
		}
		for _, f := range files {
			paths = append(paths, filepath.Join(fixtureRoot, dir, f.Name()))
		}
	}
	return paths
}

// FuzzDecode checks that Decode never panics (not even one it recovers
// from), always returns either a result or a *wire.Error, and that every
// item it returns has an id and a valid pubstatus.
func FuzzDecode(f *testing.F) {
	for _, path := range feedFixtureFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "<rss/>", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1","items":[{"id":"1"}]}`, "<!DOCTYPE html><html>", "\xFF\xFE<\x00a\x00",
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item><link>http://x/</link></item></rdf:RDF>`,
		`<rss><channel><item><guid>1</guid><description>&lt;div&gt;a&lt;div&gt;b&lt;/div&gt;&lt;/div&gt;</description></item></channel></rss>`,
		// Charsets: undeclared Latin-1, a lying declaration, a BOM.
		"<rss><channel><title>Gr\xfc\xdfe</title><item><guid>1</guid><title>\x93Stra\xdfe\x94</title></item></channel></rss>",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><guid>1</guid><title>Straße</title></item></channel></rss>",
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><guid>1</guid><title>Straße</title></item></channel></rss>",
		// Dates: localized, zoneless, placeholders.
		`<rss><channel><item><guid>1</guid><pubDate>Mo, 28 Okt 2018 10:00:00 +0100</pubDate></item><item><guid>2</guid><pubDate>segunda-feira, 29 de outubro de 2018 10:00</pubDate></item><item><guid>3</guid><pubDate>0000-00-00 00:00:00</pubDate></item></channel></rss>`,
		// Titles: escaped and double-escaped HTML, text constructs.
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title type="html">&lt;b&gt;a&lt;/b&gt; &amp;amp; b</title></entry><entry><id>2</id><title type="text">a &lt;b&gt;</title></entry></feed>`,
		// Identity: no guid, empty guid, a repeated derived id.
		`<rss><channel><item><link>https://x.example/a</link></item><item><guid> </guid><link>https://x.example/a#c</link></item><item><title>none</title></item></channel></rss>`,
		billionLaughs(),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Decode(data, nil)
		if err == nil {
			if res == nil {
				t.Fatal("Decode returned neither a result nor an error")
			}
			for i, it := range res.Items {
				if strings.TrimSpace(it.URI) == "" {
					t.Errorf("item %d has an empty uri", i)
				}
				switch it.PubStatus {
				case story.Usable, story.Withheld, story.Canceled:
				default:
					t.Errorf("item %d has pubstatus %q", i, it.PubStatus)
				}
			}
			return
		}
		var we *wire.Error
		if !errors.As(err, &we) {
			t.Fatalf("Decode error %T %v is not a *wire.Error", err, err)
		}
		if strings.HasPrefix(we.Reason, "decoder failed: panic") {
			t.Fatalf("a decoder panicked: %v", err)
		}
	})
}
