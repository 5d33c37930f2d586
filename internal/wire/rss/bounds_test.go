package rss

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/wire"
)

// billionLaughs is the classic entity bomb: ten levels of entities, each ten
// of the one below, so that expanding &lol9; would give 10^9 "lol"s (3 GB).
func billionLaughs(root string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE " + root + " [\n  <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + string(rune('0'+i))
		b.WriteString("  <!ENTITY " + name + " \"" + strings.Repeat("&"+prev+";", 10) + "\">\n")
		prev = name
	}
	b.WriteString("]>\n")
	return b.String()
}

// hostileCase is a document built to make a parser expand entities or read
// files, and the headline it gives with its entity references left as they
// are: encoding/xml, under gofeed too, reads no DTD, so declared entities
// are never expanded and external ones never fetched.
type hostileCase struct{ name, in, wantHeadline string }

func hostileCases() []hostileCase {
	quadratic := strings.Repeat("a", 64<<10)
	return []hostileCase{
		{"billion laughs in RSS", billionLaughs("rss") +
			`<rss version="2.0"><channel><title>&lol9;</title><item><guid>1</guid><title>&lol9;</title><description>&lol9;</description></item></channel></rss>`,
			"&lol9;"},
		{"billion laughs in Atom", billionLaughs("feed") +
			`<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title><entry><id>1</id><title type="html">&lol9;</title><content type="html">&lol9;</content></entry></feed>`,
			"&lol9;"},
		{"quadratic blowup", "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"" + quadratic + "\">]>\n" +
			`<rss version="2.0"><channel><item><guid>1</guid><title>` + strings.Repeat("&a;", 20000) + `</title></item></channel></rss>`,
			strings.Repeat("&a;", 20000)},
		{"external entity", "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" +
			`<rss version="2.0"><channel><item><guid>1</guid><title>&xxe;</title><description>&xxe;</description></item></channel></rss>`,
			"&xxe;"},
		{"external DTD", "<?xml version=\"1.0\"?>\n<!DOCTYPE rss SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n" +
			`<rss version="2.0"><channel><item><guid>1</guid><title>x</title></item></channel></rss>`,
			"x"},
	}
}

// TestEntityBombs checks that entity bombs and external entities are never
// expanded: Decode answers within a couple of seconds, allocates little, and
// keeps the entity references as text.
func TestEntityBombs(t *testing.T) {
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(tt.in)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			items, err := Decode(doc, nil)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)

			if elapsed > 2*time.Second {
				t.Errorf("Decode took %v, want under 2s", elapsed)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
				t.Errorf("Decode allocated %d MB, want under 50 MB", grew>>20)
			}
			if err != nil || len(items) != 1 {
				t.Fatalf("Decode = %d items, %v; want one item", len(items), err)
			}
			if got := items[0].Headline; got != tt.wantHeadline {
				t.Errorf("headline = %.80q, want %.80q", got, tt.wantHeadline)
			}
			for i, it := range items {
				for _, field := range []string{it.Headline, it.BodyHTML, it.BodyText, it.Source.Agency} {
					if strings.Contains(field, "lollol") || strings.Contains(field, "aaaaaaaa") || strings.Contains(field, "root:") {
						t.Errorf("item %d has expanded an entity: %.80q", i, field)
					}
				}
			}
		})
	}
}

// TestDecodeRefusesOversized checks that a document over the limit is
// refused before it is read, with the size in the message.
func TestDecodeRefusesOversized(t *testing.T) {
	// Starts like a feed, so that only the size can refuse it.
	doc := make([]byte, wire.MaxDocumentBytes+1)
	copy(doc, `<rss version="2.0"><channel><item><guid>1</guid>`)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	items, err := Decode(doc, nil)
	runtime.ReadMemStats(&after)

	var we *wire.Error
	if !errors.As(err, &we) || items != nil {
		t.Fatalf("Decode = %d items, %v; want a *wire.Error and no items", len(items), err)
	}
	if want := "document is 64.1 MiB, over the 64 MiB limit"; we.Reason != want {
		t.Errorf("Reason = %q, want %q", we.Reason, want)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing allocated %d bytes: the document was read", grew)
	}
}
