package ninjs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/apmedia"
	"github.com/wiredesk/wiredesk/internal/wire/dpa"
	"github.com/wiredesk/wiredesk/internal/wire/rss"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// schema21 compiles the ninjs 2.1 schema from the shared schemas folder,
// with format assertions on (uri, date-time), which JSON Schema 2020-12
// otherwise leaves as annotations.
func schema21(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(wiretest.FixtureDir(t, ""), "..", "..", "schemas", "ninjs-schema_2.1.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(Schema21, doc); err != nil {
		t.Fatal(err)
	}
	// The schema $refs GeoJSON for places' geojson member. Tests never go
	// to the network, and ninjs uses GeoJSON only for geometry, which the
	// encoder never writes: a permissive schema stands in for it.
	if err := c.AddResource("https://geojson.org/schema/GeoJSON.json", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(Schema21)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// decodedFixture is an item decoded from a shared fixture by its format's
// package.
type decodedFixture struct {
	name string
	item story.Item
}

// decodableFixtures decodes every fixture of the formats this package, the
// AP Media API, dpa digitalwires and rss packages read; payloads that are
// not decodable (broken on purpose) are left out.
func decodableFixtures(t *testing.T) []decodedFixture {
	t.Helper()
	decoders := []struct {
		dirs   []string
		decode func([]byte, *wire.Options) ([]story.Item, error)
		match  func(*wire.Shape) bool
	}{
		{[]string{"ninjs"}, Decode, Match},
		{[]string{"ap"}, apmedia.Decode, apmedia.Match},
		{[]string{"dpa-digitalwires"}, dpa.Decode, dpa.Match},
		{[]string{"rss", "atom", "jsonfeed"}, rss.Decode, func(s *wire.Shape) bool { return rss.XMLFormat(s) != "" || rss.IsJSONFeed(s) }},
	}
	var out []decodedFixture
	for _, d := range decoders {
		for _, dir := range d.dirs {
			entries, err := os.ReadDir(wiretest.FixtureDir(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				data := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, dir), e.Name()))
				if shape := wire.SniffShape(data); !d.match(&shape) {
					continue // another format's file (AP's NITF rendition)
				}
				items, err := d.decode(data, fixtureOptions(data))
				if err != nil && !errors.As(err, new(*wire.PartialError)) {
					continue
				}
				for i, it := range items {
					out = append(out, decodedFixture{name: dir + "/" + e.Name() + "#" + itoa(i), item: it})
				}
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d decoded fixture items", len(out))
	}
	return out
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestEncodeValidates: ninjs 2.1 written for every item of every decodable
// fixture is valid against the ninjs 2.1 schema.
func TestEncodeValidates(t *testing.T) {
	sch := schema21(t)
	for _, f := range decodableFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			b, err := Encode(&f.item)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("not valid ninjs 2.1: %v\n%s", err, b)
			}
		})
	}
}

// TestSchemaRejects makes sure the validation above can fail: documents
// breaking the schema in the ways an encoder could are refused.
func TestSchemaRejects(t *testing.T) {
	sch := schema21(t)
	for _, doc := range []string{
		`{"headlines":[{"value":"no uri"}]}`,
		`{"uri":"not a uri"}`,
		`{"uri":"urn:x","versioncreated":"yesterday"}`,
		`{"uri":"urn:x","pubstatus":"draft"}`,
		`{"uri":"urn:x","type":"story"}`,
		`{"uri":"urn:x","keywords":["not in 2.1"]}`,
		`{"uri":"urn:x","rightsinfo":{"copyrightnotice":"needs linkedrights or encodedrights"}}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err == nil {
			t.Errorf("schema accepted %s", doc)
		}
	}
}

// carried is what of an item ninjs 2.1 carries: Decode(Encode(it)) gives it
// back. Keywords, the dateline's date and source, the link and the source's
// format and fingerprint have no ninjs 2.1 member, and a word count is a
// body's, so there is none without a body.
func carried(it story.Item) story.Item {
	it.Keywords = nil
	if it.BodyHTML == "" {
		it.WordCount = nil
	}
	it.Link, it.IDDerived = "", false
	if it.Dateline != nil {
		if it.Dateline.Place == "" {
			it.Dateline = nil
		} else {
			it.Dateline = &story.Dateline{Place: it.Dateline.Place}
		}
	}
	if !isNinjsType(it.Type) {
		it.Type = ""
	}
	it.Source = story.ItemSource{Format: Format, Agency: it.Source.Agency}
	return it
}

// TestRoundTrip: decoding the ninjs written for an item gives back the
// item, for every field ninjs carries, for every decodable fixture.
func TestRoundTrip(t *testing.T) {
	for _, f := range decodableFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			b, err := Encode(&f.item)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			items, err := Decode(b, nil)
			if err != nil {
				t.Fatalf("Decode(Encode(item)): %v\n%s", err, b)
			}
			if len(items) != 1 {
				t.Fatalf("Decode(Encode(item)) gave %d items", len(items))
			}
			if diff := cmp.Diff(carried(f.item), items[0]); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	vc := time.Date(2024, 9, 25, 10, 37, 24, 0, time.FixedZone("", 2*3600))
	it := story.Item{
		URI: "5ee9b4b40ea5fe9c9ca60f890fb2e1d9", Version: "0", PubStatus: story.Canceled,
		Signals: []string{"kill", "correction"}, Type: "text", VersionCreated: &vc,
		Urgency: intp(2), Language: "de", Headline: "H", Byline: "By X",
		Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"},
		BodyHTML: "<p>b</p>", BodyText: "b", WordCount: intp(1),
		Subjects: []story.Entity{
			{Code: "20000651", Name: "Partei", Scheme: "medtop"},
			{Code: "15000000", Scheme: "http://cv.iptc.org/newscodes/mediatopic/"},
			{Code: "s", Name: "s"},
			{Code: "a b", Scheme: "not a scheme"},
		},
		Keywords: []string{"dropped"},
		Source:   story.ItemSource{Format: "ap-media", Agency: "AP", SHA256: "x"},
	}
	got, err := Encode(&it)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"uri":"urn:wiredesk:id:5ee9b4b40ea5fe9c9ca60f890fb2e1d9","type":"text","version":"0",` +
		`"versioncreated":"2024-09-25T10:37:24+02:00","pubstatus":"canceled","urgency":2,"language":"de",` +
		`"headlines":[{"role":"main","value":"H"}],"by":"By X","located":"Berlin",` +
		`"bodies":[{"role":"main","contenttype":"text/html","wordcount":1,"value":"\u003cp\u003eb\u003c/p\u003e"}],` +
		`"subjects":[{"name":"Partei","uri":"medtop:20000651"},{"uri":"http://cv.iptc.org/newscodes/mediatopic/15000000"},{"name":"s","literal":"s"},{"literal":"a b"}],` +
		`"genres":[{"uri":"urn:wiredesk:signal:kill","literal":"kill"},{"uri":"urn:wiredesk:signal:correction","literal":"correction"}],` +
		`"infosources":[{"name":"AP"}],` +
		`"standard":{"name":"ninjs","version":"2.1","schema":"http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Encode mismatch (-want +got):\n%s", diff)
	}
	if _, err := Encode(&story.Item{}); err == nil {
		t.Error("Encode of an item without uri succeeded")
	}
}
