package wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

func TestXMLToUTF8(t *testing.T) {
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(`<?xml version="1.0" encoding="UTF-16"?><a>Grüße</a>`)
	if err != nil {
		t.Fatal(err)
	}
	utf16be, err := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().String(`<a>Grüße</a>`)
	if err != nil {
		t.Fatal(err)
	}
	utf16beBOM, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(`<?xml version="1.0" encoding="UTF-16"?><a>Grüße</a>`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"UTF-8 unchanged", `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`, `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`},
		{"no declaration, UTF-8 unchanged", `<a>Grüße</a>`, `<a>Grüße</a>`},
		{"UTF-8 BOM removed", "\xEF\xBB\xBF<a>Grüße</a>", `<a>Grüße</a>`},
		{"lowercase utf-8 label rewritten", `<?xml version="1.0" encoding="utf-8"?><a/>`, `<?xml version="1.0" encoding="UTF-8"?><a/>`},
		{"declared ISO-8859-1 converted", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Gr\xfc\xdfe \xa3</a>", `<?xml version="1.0" encoding="UTF-8"?><a>Grüße £</a>`},
		{"declared windows-1252 converted", "<?xml version='1.0' encoding='windows-1252'?><a>\x93quoted\x94 \x80</a>", `<?xml version='1.0' encoding='UTF-8'?><a>“quoted” €</a>`},
		{"undeclared Latin-1 repaired", "<a>Gr\xfc\xdfe</a>", `<a>Grüße</a>`},
		{"declared UTF-8 with Latin-1 bytes repaired", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>Stra\xdfe und Grüße</a>", `<?xml version="1.0" encoding="UTF-8"?><a>Straße und Grüße</a>`},
		{"declared ISO-8859-1, bytes UTF-8", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Grüße – “x”</a>", `<?xml version="1.0" encoding="UTF-8"?><a>Grüße – “x”</a>`},
		{"declared windows-1252, bytes UTF-8", "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>Straße</a>", `<?xml version="1.0" encoding="UTF-8"?><a>Straße</a>`},
		{"declared ISO-8859-1, windows-1252 quotes", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\x93Gr\xfc\xdfe\x94 \x96 \x85</a>", `<?xml version="1.0" encoding="UTF-8"?><a>“Grüße” – …</a>`},
		{"declared ISO-8859-1, ASCII only", `<?xml version="1.0" encoding="ISO-8859-1"?><a>x</a>`, `<?xml version="1.0" encoding="UTF-8"?><a>x</a>`},
		{"UTF-8 BOM wins over an ISO-8859-1 declaration", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Grüße</a>", `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`},
		{"UTF-8 BOM with Latin-1 bytes repaired", "\xEF\xBB\xBF<a>Gr\xfc\xdfe</a>", `<a>Grüße</a>`},
		{"UTF-16 BE with BOM converted", utf16beBOM, `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`},
		{"UTF-16 with BOM converted", utf16le, `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`},
		{"UTF-16 without BOM converted", utf16be, `<a>Grüße</a>`},
		{"UTF-16 label on 8-bit bytes", `<?xml version="1.0" encoding="UTF-16"?><a>x</a>`, `<?xml version="1.0" encoding="UTF-8"?><a>x</a>`},
		{"unknown label read as UTF-8", `<?xml version="1.0" encoding="x-klingon"?><a>Grüße</a>`, `<?xml version="1.0" encoding="UTF-8"?><a>Grüße</a>`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(XMLToUTF8([]byte(tt.in)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("XMLToUTF8(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRepairUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"valid unchanged", "Grüße – “x”", "Grüße – “x”"},
		{"Latin-1", "Gr\xfc\xdfe", "Grüße"},
		{"windows-1252 quotes", "\x93x\x94", "“x”"},
		{"mixed", "Grüße \xe9t\xe9", "Grüße été"},
		{"truncated UTF-8 sequence", "a\xc3", "aÃ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(RepairUTF8([]byte(tt.in))); got != tt.want {
				t.Errorf("RepairUTF8(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSONToUTF8(t *testing.T) {
	const doc = `{"title":"Grüße „x“"}`
	encode := func(e unicode.Endianness, b unicode.BOMPolicy) string {
		out, err := unicode.UTF16(e, b).NewEncoder().String(doc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"UTF-8 unchanged", doc, doc},
		{"UTF-8 BOM removed", "\xEF\xBB\xBF" + doc, doc},
		{"UTF-16 LE with BOM", encode(unicode.LittleEndian, unicode.UseBOM), doc},
		{"UTF-16 BE with BOM", encode(unicode.BigEndian, unicode.UseBOM), doc},
		{"UTF-16 LE without BOM", encode(unicode.LittleEndian, unicode.IgnoreBOM), doc},
		{"UTF-16 BE without BOM", encode(unicode.BigEndian, unicode.IgnoreBOM), doc},
		{"Latin-1 repaired", "{\"title\":\"Gr\xfc\xdfe \x84x\x93\"}", doc},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(JSONToUTF8([]byte(tt.in)))); diff != "" {
				t.Errorf("JSONToUTF8(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
