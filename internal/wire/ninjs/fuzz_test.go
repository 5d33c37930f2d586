package ninjs

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// FuzzDecode: whatever the input, Decode does not panic, and it returns
// either a *wire.Error and no items, or items that each have a uri and a
// valid pubstatus (with a *wire.PartialError when it left some out).
func FuzzDecode(f *testing.F) {
	for _, path := range wiretest.Fixtures(f, "ninjs") {
		f.Add(wiretest.Read(f, path))
	}
	for _, doc := range []string{
		`{"uri":"u"}`,
		`{"uri":"u","bodies":[{"role":"nitf","value":"<nitf><body><body.content><p>x</p></body.content></body></nitf>"}]}`,
		`{"guid":"g","associations":{"a":{"guid":"p","type":"picture"},"b":null}}`,
		`{"uri":"urn:wiredesk:id:%zz"}`,
		`{"uri":"u","version":1e400,"urgency":"9"}`,
		`[]`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Decode(data, nil)
		wiretest.CheckDecoded(t, items, err)
		for _, it := range items {
			if _, err := Encode(&it); err != nil {
				t.Fatalf("Encode(%q): %v", it.URI, err)
			}
		}
	})
}
