package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
)

func ptr[T any](v T) *T { return &v }

// item is a usable English item from "Harbour Wire" with urgency 3.
func item(mod func(it *story.Item)) *story.Item {
	it := &story.Item{
		URI: "urn:1", PubStatus: story.Usable, Language: "en-GB", Urgency: ptr(3),
		Headline: "Harbour reopens after storm", BodyText: "The harbour reopened on Monday.",
		Subjects: []story.Entity{{Code: "medtop:04000000", Name: "economy, business and finance"}},
		Keywords: []string{"Harbour", "storm"},
		Source:   story.ItemSource{Format: "newsml-g2", Agency: "Harbour Wire"},
	}
	if mod != nil {
		mod(it)
	}
	return it
}

func TestConditionsMatch(t *testing.T) {
	emb := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		when   Conditions
		item   *story.Item
		source string
		want   bool
	}{
		{"no conditions match everything", Conditions{}, item(nil), "s", true},
		{"source exact", Conditions{Sources: []string{"wire-a", "wire-b"}}, item(nil), "wire-b", true},
		{"source other", Conditions{Sources: []string{"wire-a"}}, item(nil), "wire-b", false},
		{"source is case-sensitive", Conditions{Sources: []string{"Wire-A"}}, item(nil), "wire-a", false},
		{"agency any case", Conditions{Agencies: []string{"harbour wire"}}, item(nil), "s", true},
		{"agency other", Conditions{Agencies: []string{"AP"}}, item(nil), "s", false},
		{"format", Conditions{Formats: []string{"NEWSML-G2"}}, item(nil), "s", true},
		{"format other", Conditions{Formats: []string{"rss"}}, item(nil), "s", false},
		{"language prefix", Conditions{Languages: []string{"en"}}, item(nil), "s", true},
		{"language exact", Conditions{Languages: []string{"en-gb"}}, item(nil), "s", true},
		{"language not a prefix of a word", Conditions{Languages: []string{"e"}}, item(nil), "s", false},
		{"language unknown", Conditions{Languages: []string{"en"}}, item(func(it *story.Item) { it.Language = "" }), "s", false},
		{"urgency at least, equal", Conditions{UrgencyMin: ptr(3)}, item(nil), "s", true},
		{"urgency at least, below", Conditions{UrgencyMin: ptr(4)}, item(nil), "s", false},
		{"urgency at most, equal", Conditions{UrgencyMax: ptr(3)}, item(nil), "s", true},
		{"urgency at most, above", Conditions{UrgencyMax: ptr(2)}, item(nil), "s", false},
		{"urgency unknown matches no bound", Conditions{UrgencyMax: ptr(9)}, item(func(it *story.Item) { it.Urgency = nil }), "s", false},
		{"subject by code", Conditions{Subjects: []string{"medtop:04000000"}}, item(nil), "s", true},
		{"subject by name any case", Conditions{Subjects: []string{"Economy, Business and Finance"}}, item(nil), "s", true},
		{"subject other", Conditions{Subjects: []string{"medtop:02000000"}}, item(nil), "s", false},
		{"keyword any case", Conditions{Keywords: []string{"STORM"}}, item(nil), "s", true},
		{"keyword other", Conditions{Keywords: []string{"court"}}, item(nil), "s", false},
		{"headline regex", Conditions{HeadlineRegex: `(?i)\bstorm\b`}, item(nil), "s", true},
		{"headline regex other", Conditions{HeadlineRegex: `court`}, item(nil), "s", false},
		{"body regex on text", Conditions{BodyRegex: `reopened on \w+day`}, item(nil), "s", true},
		{"body regex on html when no text", Conditions{BodyRegex: `secret`}, item(func(it *story.Item) { it.BodyText = ""; it.BodyHTML = "<p>secret</p>" }), "s", true},
		{"embargo wanted, present", Conditions{Embargo: ptr(true)}, item(func(it *story.Item) { it.Embargoed = &emb }), "s", true},
		{"embargo wanted, absent", Conditions{Embargo: ptr(true)}, item(nil), "s", false},
		{"no embargo wanted, absent", Conditions{Embargo: ptr(false)}, item(nil), "s", true},
		{"signal", Conditions{Signals: []string{"correction"}}, item(func(it *story.Item) { it.Signals = []string{"Correction"} }), "s", true},
		{"signal kill is a canceled item", Conditions{Signals: []string{"kill"}}, item(func(it *story.Item) { it.PubStatus = story.Canceled }), "s", true},
		{"signal withheld", Conditions{Signals: []string{"withheld"}}, item(func(it *story.Item) { it.PubStatus = story.Withheld }), "s", true},
		{"signal absent", Conditions{Signals: []string{"kill"}}, item(nil), "s", false},
		{"all conditions must hold", Conditions{Agencies: []string{"Harbour Wire"}, Keywords: []string{"court"}}, item(nil), "s", false},
		{"all conditions hold", Conditions{Agencies: []string{"Harbour Wire"}, Keywords: []string{"storm"}, UrgencyMax: ptr(4)}, item(nil), "s", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Compile([]Rule{{ID: 1, Name: "r", When: tc.when, Action: Hold}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := set.Evaluate(tc.item, tc.source).Action == Hold
			if got != tc.want {
				t.Errorf("matched = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateOrder(t *testing.T) {
	court := Rule{ID: 10, Name: "court reports", When: Conditions{HeadlineRegex: `(?i)court`}, Action: Hold}
	sport := Rule{ID: 11, Name: "sport section", When: Conditions{Keywords: []string{"football"}}, Section: "sport"}
	flash := Rule{ID: 12, Name: "flashes publish", When: Conditions{UrgencyMax: ptr(1)}, Action: Publish, Continue: true}
	spam := Rule{ID: 13, Name: "spike promos", When: Conditions{HeadlineRegex: `^PROMO`}, Action: Spike}
	off := Rule{ID: 14, Name: "disabled", Disabled: true, Action: Spike}
	rs := []Rule{off, sport, court, flash, spam}
	defaults := map[string]Action{"raw-wire": Hold}

	tests := []struct {
		name   string
		item   *story.Item
		source string
		want   Outcome
	}{
		{"nothing matches: publish by default", item(nil), "main", Outcome{Action: Publish, Default: true}},
		{"nothing matches: the source's default", item(nil), "raw-wire", Outcome{Action: Hold, Default: true}},
		{"first match wins", item(func(it *story.Item) { it.Headline = "PROMO: court tickets" }), "main",
			Outcome{Action: Hold, RuleID: 10, RuleName: "court reports", Matched: []int64{10}}},
		{"a section-only rule goes on to the next", item(func(it *story.Item) { it.Keywords = []string{"football"}; it.Headline = "Court bans fans" }), "main",
			Outcome{Action: Hold, Section: "sport", RuleID: 10, RuleName: "court reports", Matched: []int64{11, 10}}},
		{"a section-only rule alone leaves the default", item(func(it *story.Item) { it.Keywords = []string{"football"} }), "raw-wire",
			Outcome{Action: Hold, Section: "sport", Default: true, Matched: []int64{11}}},
		{"continue: a later rule overrides", item(func(it *story.Item) { it.Urgency = ptr(1); it.Headline = "PROMO flash" }), "main",
			Outcome{Action: Spike, RuleID: 13, RuleName: "spike promos", Matched: []int64{12, 13}}},
		{"continue: kept when nothing later matches", item(func(it *story.Item) { it.Urgency = ptr(1) }), "raw-wire",
			Outcome{Action: Publish, RuleID: 12, RuleName: "flashes publish", Matched: []int64{12}}},
	}
	set, err := Compile(rs, defaults)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, set.Evaluate(tc.item, tc.source)); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("nil set publishes", func(t *testing.T) {
		var none *Set
		if diff := cmp.Diff(Outcome{Action: Publish, Default: true}, none.Evaluate(item(nil), "x")); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestDryRun(t *testing.T) {
	set, err := Compile([]Rule{{ID: 1, Name: "hold storms", When: Conditions{Keywords: []string{"storm"}}, Action: Hold}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := set.DryRun([]DryRunItem{
		{Item: item(nil), Source: "a"},
		{Item: item(func(it *story.Item) { it.Keywords = nil }), Source: "a"},
	})
	want := []Outcome{
		{Action: Hold, RuleID: 1, RuleName: "hold storms", Matched: []int64{1}},
		{Action: Publish, Default: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DryRun (-want +got):\n%s", diff)
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name     string
		rule     Rule
		defaults map[string]Action
		want     string
	}{
		{"no name", Rule{Action: Hold}, nil, "needs a name"},
		{"unknown action", Rule{Name: "x", Action: "delete"}, nil, "unknown action"},
		{"no action and no section", Rule{Name: "x"}, nil, "must set a section"},
		{"bad headline pattern", Rule{Name: "x", Action: Hold, When: Conditions{HeadlineRegex: "("}}, nil, "headline pattern"},
		{"backreference is not RE2", Rule{Name: "x", Action: Hold, When: Conditions{BodyRegex: `(a)\1`}}, nil, "body pattern"},
		{"pattern too long", Rule{Name: "x", Action: Hold, When: Conditions{BodyRegex: strings.Repeat("a", MaxPatternBytes+1)}}, nil, "longer than"},
		{"empty urgency range", Rule{Name: "x", Action: Hold, When: Conditions{UrgencyMin: ptr(5), UrgencyMax: ptr(2)}}, nil, "matches nothing"},
		{"too many entries", Rule{Name: "x", Action: Hold, When: Conditions{Keywords: make([]string, MaxListEntries+1)}}, nil, "more than"},
		{"bad default", Rule{Name: "x", Action: Hold}, map[string]Action{"s": "drop"}, "default action"},
		{"default of no action", Rule{Name: "x", Action: Hold}, map[string]Action{"s": NoAction}, "default action"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]Rule{tc.rule}, tc.defaults)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compile error = %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestPatternInputIsBounded(t *testing.T) {
	// The tail past MaxMatchBytes is not looked at.
	long := strings.Repeat("é", MaxMatchBytes) + "NEEDLE"
	set, err := Compile([]Rule{{ID: 1, Name: "n", When: Conditions{BodyRegex: "NEEDLE"}, Action: Spike}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Evaluate(item(func(it *story.Item) { it.BodyText = long }), "s").Action; got != Publish {
		t.Errorf("action = %s, want publish: the pattern must not see past %d bytes", got, MaxMatchBytes)
	}
	if b := bounded(long); len(b) > MaxMatchBytes || !strings.HasSuffix(b, "é") {
		t.Errorf("bounded cut to %d bytes ending %q, want at most %d ending on a whole rune", len(b), b[len(b)-2:], MaxMatchBytes)
	}
}

func TestParseConditions(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Conditions
		wantErr bool
	}{
		{"empty", "", Conditions{}, false},
		{"object", `{"keywords":["a"],"urgency_min":2,"embargo":false}`, Conditions{Keywords: []string{"a"}, UrgencyMin: ptr(2), Embargo: ptr(false)}, false},
		{"unknown key refused", `{"keyword":["a"]}`, Conditions{}, true},
		{"trailing data refused", `{} {}`, Conditions{}, true},
		{"not an object", `[1]`, Conditions{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConditions([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	got := ParseList(" court, trial \n\r\n,court,, minors ")
	if diff := cmp.Diff([]string{"court", "trial", "minors"}, got); diff != "" {
		t.Errorf("ParseList (-want +got):\n%s", diff)
	}
	if got := ParseList(" , \n"); got != nil {
		t.Errorf("ParseList of separators = %q, want nil", got)
	}
}
