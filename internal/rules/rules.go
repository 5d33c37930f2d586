// Package rules is wiredesk's routing: an ordered list of rules, each a set
// of conditions on an item and an action (publish, hold for review, spike,
// set section), evaluated for a story's first version. It is pure Go: no I/O.
package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wiredesk/wiredesk/internal/story"
)

// Action is what a rule does to a story.
type Action string

// Actions. A rule with no action only files the story (its Section) and
// always lets evaluation go on.
const (
	// NoAction decides nothing: the rule only sets a section.
	NoAction Action = ""
	// Publish puts the story on show as the agency lifecycle says.
	Publish Action = "publish"
	// Hold keeps the story off every output until an editor approves it.
	Hold Action = "hold"
	// Spike stores the story and never publishes it.
	Spike Action = "spike"
)

// Valid reports whether a is a known action (NoAction included).
func (a Action) Valid() bool {
	switch a {
	case NoAction, Publish, Hold, Spike:
		return true
	}
	return false
}

// Limits on rules from the desk: a regular expression is compiled once per
// rule set, and matched against at most MaxMatchBytes of the headline or
// body, so that neither a long pattern nor a long body makes routing slow.
// Go's regexp (RE2) already runs in time linear in the input.
const (
	MaxPatternBytes = 1000
	MaxMatchBytes   = 64 << 10
	MaxListEntries  = 200
	MaxNameBytes    = 200
)

// Conditions are what an item must have for a rule to match. Every
// condition that is set must hold (AND); a list matches when any of its
// entries does (OR). The zero value matches every item.
type Conditions struct {
	// Sources are source names (store.Source.Name), compared exactly.
	Sources []string `json:"sources,omitempty"`
	// Agencies, Formats and Languages compare case-insensitively; a
	// language also matches its subtags ("en" matches "en-GB").
	Agencies  []string `json:"agencies,omitempty"`
	Formats   []string `json:"formats,omitempty"`
	Languages []string `json:"languages,omitempty"`
	// UrgencyMin and UrgencyMax bound the agency's urgency, both
	// inclusive. An item without urgency matches neither bound.
	UrgencyMin *int `json:"urgency_min,omitempty"`
	UrgencyMax *int `json:"urgency_max,omitempty"`
	// Subjects match a subject's code or its name, case-insensitively.
	Subjects []string `json:"subjects,omitempty"`
	// Keywords match the agency's keywords, case-insensitively.
	Keywords []string `json:"keywords,omitempty"`
	// HeadlineRegex and BodyRegex are RE2 patterns matched against the
	// headline and the plain-text body (Go syntax; "(?i)" for any case).
	HeadlineRegex string `json:"headline_regex,omitempty"`
	BodyRegex     string `json:"body_regex,omitempty"`
	// Embargo, when set, requires an embargo (true) or its absence (false).
	Embargo *bool `json:"embargo,omitempty"`
	// Signals match the item's signals ("correction", "update") and its
	// status: "kill" for a canceled item, "withheld" for a withheld one.
	Signals []string `json:"signals,omitempty"`
}

// Rule is one routing rule.
type Rule struct {
	// ID identifies the rule in the store; 0 for a draft.
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name"`
	// Disabled rules are kept but never match.
	Disabled bool       `json:"disabled,omitempty"`
	When     Conditions `json:"when"`
	Action   Action     `json:"action,omitempty"`
	// Section, when not empty, files the story under it.
	Section string `json:"section,omitempty"`
	// Continue lets evaluation go on after this rule matches: a later
	// matching rule's action and section override this one's.
	Continue bool `json:"continue,omitempty"`
}

// Outcome is what the rules decide for one item.
type Outcome struct {
	Action Action `json:"action"`
	// Section is the section a rule set; "" leaves the story's own.
	Section string `json:"section,omitempty"`
	// RuleID and RuleName name the rule that decided the action; 0 and ""
	// when no rule did and the source's default (or Publish) applies.
	RuleID   int64  `json:"rule_id,omitempty"`
	RuleName string `json:"rule_name,omitempty"`
	// Default is true when no rule decided the action.
	Default bool `json:"default,omitempty"`
	// Matched lists every rule that matched, in order (the dry run shows
	// them).
	Matched []int64 `json:"matched,omitempty"`
}

// Set is a compiled rule list with the per-source default actions. It is
// immutable once built and safe for concurrent use.
type Set struct {
	rules    []compiled
	defaults map[string]Action
}

type compiled struct {
	Rule
	headline, body *regexp.Regexp
}

// ErrInvalid wraps every reason a rule is refused.
var ErrInvalid = errors.New("invalid rule")

// Compile checks every rule and compiles its patterns, in order. defaults
// maps a source name to the action for items no rule decides; sources not
// in it publish. Disabled rules are checked too, so that one cannot be
// saved broken and enabled later.
func Compile(rs []Rule, defaults map[string]Action) (*Set, error) {
	s := &Set{defaults: make(map[string]Action, len(defaults))}
	for src, a := range defaults {
		if a == NoAction || !a.Valid() {
			return nil, fmt.Errorf("%w: default action %q of source %q", ErrInvalid, a, src)
		}
		s.defaults[src] = a
	}
	for i := range rs {
		c, err := compile(&rs[i])
		if err != nil {
			return nil, fmt.Errorf("rule %d %q: %w", i+1, rs[i].Name, err)
		}
		s.rules = append(s.rules, c)
	}
	return s, nil
}

// Check reports why a single rule would be refused, or nil.
func Check(r *Rule) error {
	_, err := compile(r)
	return err
}

func compile(r *Rule) (compiled, error) {
	c := compiled{Rule: *r}
	invalid := func(format string, args ...any) (compiled, error) {
		return compiled{}, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(r.Name) == "" {
		return invalid("a rule needs a name")
	}
	if len(r.Name) > MaxNameBytes {
		return invalid("name longer than %d bytes", MaxNameBytes)
	}
	if !r.Action.Valid() {
		return invalid("unknown action %q (publish, hold, spike or none)", r.Action)
	}
	if r.Action == NoAction && strings.TrimSpace(r.Section) == "" {
		return invalid("a rule without an action must set a section")
	}
	w := &r.When
	for _, l := range [][]string{w.Sources, w.Agencies, w.Formats, w.Languages, w.Subjects, w.Keywords, w.Signals} {
		if len(l) > MaxListEntries {
			return invalid("more than %d entries in one condition", MaxListEntries)
		}
	}
	if w.UrgencyMin != nil && w.UrgencyMax != nil && *w.UrgencyMin > *w.UrgencyMax {
		return invalid("urgency at least %d and at most %d matches nothing", *w.UrgencyMin, *w.UrgencyMax)
	}
	var err error
	if c.headline, err = compilePattern(w.HeadlineRegex); err != nil {
		return invalid("headline pattern: %v", err)
	}
	if c.body, err = compilePattern(w.BodyRegex); err != nil {
		return invalid("body pattern: %v", err)
	}
	return c, nil
}

func compilePattern(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, nil
	}
	if len(p) > MaxPatternBytes {
		return nil, fmt.Errorf("longer than %d bytes", MaxPatternBytes)
	}
	return regexp.Compile(p)
}

// Rules returns the rules of the set, in order.
func (s *Set) Rules() []Rule {
	out := make([]Rule, len(s.rules))
	for i := range s.rules {
		out[i] = s.rules[i].Rule
	}
	return out
}

// Evaluate routes one item that came from the named source: the rules in
// order, the first matching rule with an action deciding unless it says
// Continue; then, when no rule decided, the source's default, else Publish.
// A nil Set publishes everything.
func (s *Set) Evaluate(it *story.Item, source string) Outcome {
	var out Outcome
	if s != nil {
		for i := range s.rules {
			r := &s.rules[i]
			if r.Disabled || !r.matches(it, source) {
				continue
			}
			out.Matched = append(out.Matched, r.ID)
			if sec := strings.TrimSpace(r.Section); sec != "" {
				out.Section = sec
			}
			if r.Action != NoAction {
				out.Action, out.RuleID, out.RuleName = r.Action, r.ID, r.Name
				if !r.Continue {
					return out
				}
			}
		}
	}
	if out.Action == NoAction {
		out.Default = true
		out.Action = Publish
		if s != nil {
			if a, ok := s.defaults[source]; ok {
				out.Action = a
			}
		}
	}
	return out
}

// DryRunItem is one item of a dry run and the source it came from.
type DryRunItem struct {
	Item   *story.Item
	Source string
}

// DryRun says what the set would do to each item, in the order given.
func (s *Set) DryRun(items []DryRunItem) []Outcome {
	out := make([]Outcome, len(items))
	for i, in := range items {
		out[i] = s.Evaluate(in.Item, in.Source)
	}
	return out
}

func (r *compiled) matches(it *story.Item, source string) bool {
	w := &r.When
	switch {
	case len(w.Sources) > 0 && !slices.Contains(w.Sources, source):
		return false
	case len(w.Agencies) > 0 && !anyFold(w.Agencies, it.Source.Agency):
		return false
	case len(w.Formats) > 0 && !anyFold(w.Formats, it.Source.Format):
		return false
	case len(w.Languages) > 0 && !languageMatches(w.Languages, it.Language):
		return false
	case w.UrgencyMin != nil && (it.Urgency == nil || *it.Urgency < *w.UrgencyMin):
		return false
	case w.UrgencyMax != nil && (it.Urgency == nil || *it.Urgency > *w.UrgencyMax):
		return false
	case len(w.Subjects) > 0 && !subjectMatches(w.Subjects, it.Subjects):
		return false
	case len(w.Keywords) > 0 && !slices.ContainsFunc(it.Keywords, func(k string) bool { return anyFold(w.Keywords, k) }):
		return false
	case w.Embargo != nil && *w.Embargo != (it.Embargoed != nil):
		return false
	case len(w.Signals) > 0 && !slices.ContainsFunc(signalsOf(it), func(sg string) bool { return anyFold(w.Signals, sg) }):
		return false
	case r.headline != nil && !r.headline.MatchString(bounded(it.Headline)):
		return false
	case r.body != nil && !r.body.MatchString(bounded(bodyText(it))):
		return false
	}
	return true
}

// bounded cuts s to at most MaxMatchBytes, on a rune boundary.
func bounded(s string) string {
	if len(s) <= MaxMatchBytes {
		return s
	}
	i := MaxMatchBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// bodyText is the body as words: the plain text when the decoder gave one,
// else the HTML, which a pattern on words matches just as well.
func bodyText(it *story.Item) string {
	if t := strings.TrimSpace(it.BodyText); t != "" {
		return it.BodyText
	}
	return it.BodyHTML
}

// signalsOf is the item's signals plus its status as a signal, so a rule can
// route kills ("kill") and withholds ("withheld").
func signalsOf(it *story.Item) []string {
	s := slices.Clone(it.Signals)
	switch it.PubStatus {
	case story.Canceled:
		s = append(s, "kill")
	case story.Withheld:
		s = append(s, "withheld")
	}
	return s
}

func anyFold(list []string, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(strings.TrimSpace(e), v) })
}

func languageMatches(list []string, lang string) bool {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if lang == "" {
		return false
	}
	for _, l := range list {
		l = strings.ToLower(strings.TrimSpace(l))
		if l != "" && (lang == l || strings.HasPrefix(lang, l+"-")) {
			return true
		}
	}
	return false
}

func subjectMatches(list []string, subjects []story.Entity) bool {
	for _, s := range subjects {
		if anyFold(list, s.Code) || anyFold(list, s.Name) {
			return true
		}
	}
	return false
}

// ParseConditions reads the JSON form of a rule's conditions, as the store
// keeps it. Unknown keys are refused, so a typo cannot silently widen a
// rule.
func ParseConditions(b []byte) (Conditions, error) {
	var c Conditions
	if len(b) == 0 {
		return c, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Conditions{}, fmt.Errorf("%w: conditions: %v", ErrInvalid, err)
	}
	if dec.More() {
		return Conditions{}, fmt.Errorf("%w: conditions: trailing data", ErrInvalid)
	}
	return c, nil
}

// MarshalConditions is the stored JSON form of c.
func MarshalConditions(c Conditions) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode rule conditions: %w", err)
	}
	return b, nil
}

// ParseList reads a list as the desk's forms write it: entries separated
// by commas or new lines, trimmed, empty ones left out, duplicates once.
func ParseList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
