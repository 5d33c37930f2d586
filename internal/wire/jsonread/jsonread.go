// Package jsonread holds what the JSON wire decoders (ninjs, apmedia, dpa)
// share: lenient member types and decode errors that say where JSON broke.
package jsonread

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/wiredesk/wiredesk/internal/wire"
)

// Scalar is a JSON string or number, kept as the text the source wrote: a
// version is a number in some feeds ("version": 2) and a string in others
// ("version": "2"), and "2" must stay "2". JSON null is empty; a string is
// trimmed.
type Scalar string

// UnmarshalJSON accepts a string, a number or null.
func (s *Scalar) UnmarshalJSON(b []byte) error {
	switch Kind(b) {
	case "null":
		*s = ""
	case "string":
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Scalar(strings.TrimSpace(v))
	case "number":
		*s = Scalar(bytes.TrimSpace(b))
	default:
		return &json.UnmarshalTypeError{Value: Kind(b), Type: reflect.TypeFor[Scalar]()}
	}
	return nil
}

// WantJSON says what a Scalar accepts, for error messages.
func (Scalar) WantJSON() string { return "a string or a number" }

// WholeNumber reads a Scalar that must hold a whole number (an urgency, a
// word count): empty is unknown (ok false); "4", 4 and 4.0 are 4; anything
// else is an error.
func (s Scalar) WholeNumber() (n int, ok bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != float64(int(f)) || f < -1e9 || f > 1e9 {
		return 0, false, fmt.Errorf("%q is not a whole number", string(s))
	}
	return int(f), true, nil
}

// Text is a JSON string, or an array of strings read as one text with its
// non-empty parts separated by a space (usage terms arrive both ways). JSON
// null is empty.
type Text string

// UnmarshalJSON accepts a string, an array of strings or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	switch Kind(b) {
	case "null":
		*t = ""
		return nil
	case "string":
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*t = Text(v)
		return nil
	case "array":
		var parts []*string
		if err := json.Unmarshal(b, &parts); err != nil {
			return &json.UnmarshalTypeError{Value: "array holding something other than strings", Type: reflect.TypeFor[Text]()}
		}
		var kept []string
		for _, p := range parts {
			if p != nil && strings.TrimSpace(*p) != "" {
				kept = append(kept, strings.TrimSpace(*p))
			}
		}
		*t = Text(strings.Join(kept, " "))
		return nil
	}
	return &json.UnmarshalTypeError{Value: Kind(b), Type: reflect.TypeFor[Text]()}
}

// WantJSON says what a Text accepts, for error messages.
func (Text) WantJSON() string { return "a string or an array of strings" }

// Kind names the kind of a JSON value: object, array, string, number, bool,
// null (or "nothing" for no bytes).
func Kind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// Prepare readies a JSON payload for decoding: it refuses one over
// wire.MaxDocumentBytes, converts it to UTF-8 (wire.JSONToUTF8), and
// refuses an empty one or one that is not a JSON object, naming what it is
// instead. Errors are *wire.Error.
func Prepare(format string, data []byte) ([]byte, error) {
	if err := wire.CheckSize(format, data); err != nil {
		return nil, err
	}
	doc := wire.JSONToUTF8(data)
	trimmed := bytes.TrimLeft(doc, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &wire.Error{Format: format, Reason: "empty document"}
	}
	if trimmed[0] != '{' {
		shape := wire.SniffShape(data)
		return nil, &wire.Error{Format: format, Reason: "not a " + format + " document: " + shape.Describe()}
	}
	return doc, nil
}

// Error turns a failure of encoding/json on doc into a *wire.Error that
// says where the document broke (line and column of its UTF-8 text, columns
// counted in bytes) or which member has the wrong type. With a nil doc (a
// part of a document, already known to be well-formed) it names the member
// without a position.
func Error(format string, doc []byte, err error) *wire.Error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) && doc != nil {
		if syn.Offset >= int64(len(doc)) {
			line, col := Position(doc, int64(len(doc)))
			return &wire.Error{Format: format, Reason: fmt.Sprintf("truncated JSON: the document ends at line %d, column %d (byte offset %d) before it is complete", line, col, len(doc)), Err: err}
		}
		// Offset counts the bytes read, the offending one included.
		at := max(syn.Offset-1, 0)
		line, col := Position(doc, at)
		return &wire.Error{Format: format, Reason: fmt.Sprintf("malformed JSON at line %d, column %d (byte offset %d)", line, col, at), Err: err}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if field == "" {
			field = "the document"
		} else {
			field = fmt.Sprintf("member %q", field)
		}
		reason := fmt.Sprintf("%s is a JSON %s, want %s", field, typ.Value, want(typ.Type))
		if typ.Offset > 0 && doc != nil {
			line, col := Position(doc, typ.Offset)
			reason += fmt.Sprintf(" (line %d, column %d)", line, col)
		}
		return &wire.Error{Format: format, Reason: reason, Err: err}
	}
	return &wire.Error{Format: format, Reason: "cannot read the JSON document", Err: err}
}

// want says in words what a Go type accepts from JSON.
func want(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	if w, ok := reflect.Zero(t).Interface().(interface{ WantJSON() string }); ok {
		return w.WantJSON()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return want(t.Elem())
	}
	return t.String()
}

// Position returns the 1-based line and column (in bytes) of a byte offset.
func Position(doc []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(doc)))
	before := doc[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
