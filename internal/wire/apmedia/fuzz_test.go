package apmedia

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// FuzzDecode: whatever the input, Decode does not panic, and it returns
// either a *wire.Error and no items, or items that each have a uri and a
// valid pubstatus (with a *wire.PartialError when it left some out).
func FuzzDecode(f *testing.F) {
	for _, path := range fixtures(f) {
		f.Add(wiretest.Read(f, path))
	}
	for _, doc := range []string{
		`{"data":{"item":{"altids":{"itemid":"x","etag":"y"}}}}`,
		`{"api_version":"1","data":{"items":[{"item":null},{"item":{"altids":{"itemid":"x"},"editorialtypes":["Kill"]}}],"next_page":"n"}}`,
		`{"altids":{"itemid":"x","etag":"y"},"usageterms":[null,"a"],"version":1e400}`,
		`[]`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Decode(data, nil)
		wiretest.CheckDecoded(t, items, err)
	})
}
