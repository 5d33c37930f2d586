package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
)

// FuzzParseConditions feeds the stored JSON form of conditions, which the
// desk builds from editors' input, through parsing, compiling and
// evaluating: nothing may panic, and what parses survives a round trip.
func FuzzParseConditions(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"keywords":["court"],"headline_regex":"(?i)trial"}`,
		`{"urgency_min":1,"urgency_max":3,"embargo":true,"signals":["kill"]}`,
		`{"body_regex":"(a+)+$","languages":["en"],"subjects":["medtop:1"]}`,
		`{"sources":[""],"agencies":[" "],"formats":null}`,
	} {
		f.Add([]byte(seed), "headline", "body text")
	}
	f.Fuzz(func(t *testing.T, js []byte, headline, body string) {
		c, err := ParseConditions(js)
		if err != nil {
			return
		}
		b, err := MarshalConditions(c)
		if err != nil {
			t.Fatalf("marshal parsed conditions: %v", err)
		}
		again, err := ParseConditions(b)
		if err != nil {
			t.Fatalf("parse %s again: %v", b, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("round trip changed the conditions (-first +again):\n%s", diff)
		}
		set, err := Compile([]Rule{{ID: 1, Name: "fuzz", When: c, Action: Hold}}, nil)
		if err != nil {
			return
		}
		out := set.Evaluate(&story.Item{Headline: headline, BodyText: body, PubStatus: story.Usable}, "src")
		if out.Action != Hold && out.Action != Publish {
			t.Fatalf("action %q is neither the rule's nor the default", out.Action)
		}
	})
}
