package jsonread

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/wire"
)

func TestScalar(t *testing.T) {
	tests := []struct {
		in      string
		want    Scalar
		wantErr bool
	}{
		{`"2"`, "2", false},
		{`" 2 "`, "2", false},
		{`2`, "2", false},
		{`2.0`, "2.0", false},
		{`-1e3`, "-1e3", false},
		{`null`, "", false},
		{`true`, "", true},
		{`{}`, "", true},
		{`[]`, "", true},
	}
	for _, tt := range tests {
		var v struct {
			S Scalar `json:"s"`
		}
		err := json.Unmarshal([]byte(`{"s":`+tt.in+`}`), &v)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if err == nil && v.S != tt.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, v.S, tt.want)
		}
	}
}

func TestWholeNumber(t *testing.T) {
	tests := []struct {
		in      Scalar
		want    int
		wantOK  bool
		wantErr bool
	}{
		{"4", 4, true, false},
		{"4.0", 4, true, false},
		{"", 0, false, false},
		{"4.5", 0, false, true},
		{"four", 0, false, true},
		{"1e400", 0, false, true},
	}
	for _, tt := range tests {
		got, ok, err := tt.in.WholeNumber()
		if got != tt.want || ok != tt.wantOK || (err != nil) != tt.wantErr {
			t.Errorf("%q.WholeNumber() = %d, %v, %v; want %d, %v, error %v", tt.in, got, ok, err, tt.want, tt.wantOK, tt.wantErr)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		in      string
		want    Text
		wantErr bool
	}{
		{`"One."`, "One.", false},
		{`["One.", " ", "Two."]`, "One. Two.", false},
		{`[null, "Two."]`, "Two.", false},
		{`null`, "", false},
		{`[1]`, "", true},
		{`1`, "", true},
	}
	for _, tt := range tests {
		var v struct {
			T Text `json:"t"`
		}
		err := json.Unmarshal([]byte(`{"t":`+tt.in+`}`), &v)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if err == nil && v.T != tt.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, v.T, tt.want)
		}
	}
}

func TestPosition(t *testing.T) {
	doc := []byte("ab\ncd\n\nef")
	tests := []struct {
		offset         int64
		line, col      int
		wantDescribing string
	}{
		{0, 1, 1, "start"},
		{2, 1, 3, "the newline"},
		{3, 2, 1, "after a newline"},
		{7, 4, 1, "after an empty line"},
		{99, 4, 3, "past the end"},
		{-1, 1, 1, "before the start"},
	}
	for _, tt := range tests {
		line, col := Position(doc, tt.offset)
		if line != tt.line || col != tt.col {
			t.Errorf("Position(%d) (%s) = %d:%d, want %d:%d", tt.offset, tt.wantDescribing, line, col, tt.line, tt.col)
		}
	}
}

func TestError(t *testing.T) {
	type doc struct {
		Name    string `json:"name"`
		Version Scalar `json:"version"`
		List    []struct {
			Terms Text `json:"terms"`
		} `json:"list"`
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"syntax", "{\n \"name\": nope}", `decode f: malformed JSON at line 2, column 11 (byte offset 12)`},
		{"truncated", "{\n \"name\": \"x", `decode f: truncated JSON: the document ends at line 2, column 12 (byte offset 13) before it is complete`},
		{"type", "{\"name\": 1}", `decode f: member "name" is a JSON number, want a string (line 1, column 11)`},
		{"flexible type", `{"version": []}`, `decode f: member "version" is a JSON array, want a string or a number`},
		{"nested", `{"list": [{"terms": {}}]}`, `decode f: member "list.terms" is a JSON object, want a string or an array of strings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := json.Unmarshal([]byte(tt.in), &d)
			if err == nil {
				t.Fatal("Unmarshal succeeded")
			}
			got := Error("f", []byte(tt.in), err)
			if !strings.HasPrefix(got.Error(), tt.want) {
				t.Errorf("Error() = %q, want it to start with %q", got.Error(), tt.want)
			}
			if !errors.Is(got, err) {
				t.Errorf("the *wire.Error does not wrap the JSON error")
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"object", ` {"a":1}`, ` {"a":1}`, ""},
		{"byte order mark removed", "\xEF\xBB\xBF{}", "{}", ""},
		{"Latin-1 repaired", "{\"a\":\"\xfc\"}", `{"a":"ü"}`, ""},
		{"empty", " \n", "", "decode f: empty document"},
		{"array", `[1]`, "", "decode f: not a f document: JSON array"},
		{"text", `hello`, "", `decode f: not a f document: not XML or JSON, starts with "hello"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Prepare("f", []byte(tt.in))
			if tt.wantErr != "" {
				var we *wire.Error
				if !errors.As(err, &we) || err.Error() != tt.wantErr {
					t.Fatalf("Prepare error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Prepare mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
