package ninjs

import (
	"errors"
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
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
		var partial *wire.PartialError
		if err != nil && !errors.As(err, &partial) {
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v is a %T, want *wire.Error", err, err)
			}
			if len(items) != 0 {
				t.Fatalf("%d items returned with error %v", len(items), err)
			}
			return
		}
		for _, it := range items {
			if it.URI == "" {
				t.Fatalf("item without uri: %+v", it)
			}
			switch it.PubStatus {
			case story.Usable, story.Withheld, story.Canceled:
			default:
				t.Fatalf("item %q has pubstatus %q", it.URI, it.PubStatus)
			}
			if _, err := Encode(&it); err != nil {
				t.Fatalf("Encode(%q): %v", it.URI, err)
			}
		}
	})
}
