package apply

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wiredesk/wiredesk/internal/rules"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// Routing (the rules of internal/rules) decides once per story, on the first
// version wiredesk receives of it: publish, hold for review, or spike, and
// perhaps a section. It is a decision about the story, not about a version,
// so what happens to later versions follows from the story's state:
//
//   - a held story stays held while updates arrive: each newer version is
//     applied (the one on show changes, still hidden), so that the editor
//     approves the latest text; approving then gives the story the state
//     its current version calls for (published, embargoed or withheld);
//   - a spiked story stays spiked, its newer versions recorded the same way;
//   - a kill always kills, held or spiked or not, whatever the rules say
//     (DESIGN §4 rule 4), and a first version that is a kill is never
//     routed.
//
// Because routing looks at the first version to arrive, two delivery
// orders of one story's versions can route it differently when only some
// of its versions match a rule; everything else about the final state is
// still independent of the order.

// ruleCache keeps the compiled rule set of the version last read, so a new
// story costs one read of the rule set's version, not a recompile of every
// pattern. Every node reads the version inside each apply transaction, so
// a rule changed on one node routes the next story on every node.
type ruleCache struct {
	mu      sync.Mutex
	loaded  bool
	version int64
	set     *rules.Set
}

// ruleSet returns the compiled rules as tx sees them.
func (a *Applier) ruleSet(ctx context.Context, tx store.Tx) (*rules.Set, error) {
	v, err := tx.RuleSetVersion(ctx)
	if err != nil {
		return nil, err
	}
	a.rules.mu.Lock()
	if a.rules.loaded && a.rules.version == v {
		set := a.rules.set
		a.rules.mu.Unlock()
		return set, nil
	}
	a.rules.mu.Unlock()
	rs, err := tx.LoadRuleSet(ctx)
	if err != nil {
		return nil, err
	}
	set, err := CompileRuleSet(rs)
	if err != nil {
		// Rules are checked when saved; a stored rule that does not compile
		// (a newer wiredesk wrote it) must not let held copy through.
		return nil, fmt.Errorf("routing rules version %d: %w", rs.Version, err)
	}
	a.rules.mu.Lock()
	a.rules.loaded, a.rules.version, a.rules.set = true, rs.Version, set
	a.rules.mu.Unlock()
	return set, nil
}

// RulesFromStore turns stored rules into rules.Rule values, in order.
func RulesFromStore(stored []*store.Rule) ([]rules.Rule, error) {
	out := make([]rules.Rule, 0, len(stored))
	for _, r := range stored {
		when, err := rules.ParseConditions(r.When)
		if err != nil {
			return nil, fmt.Errorf("rule %d %q: %w", r.ID, r.Name, err)
		}
		out = append(out, rules.Rule{
			ID: r.ID, Name: r.Name, Disabled: r.Disabled, When: when,
			Action: rules.Action(r.Action), Section: r.Section, Continue: r.Continue,
		})
	}
	return out, nil
}

// CompileRuleSet compiles a stored rule set.
func CompileRuleSet(rs *store.RuleSet) (*rules.Set, error) {
	list, err := RulesFromStore(rs.Rules)
	if err != nil {
		return nil, err
	}
	defaults := make(map[string]rules.Action, len(rs.Defaults))
	for src, a := range rs.Defaults {
		defaults[src] = rules.Action(a)
	}
	return rules.Compile(list, defaults)
}

// routeFirst evaluates the rules for a new story's first version and
// changes the lifecycle decision accordingly. It returns nil when the
// version is a kill, which is never routed.
func (a *Applier) routeFirst(ctx context.Context, tx store.Tx, it *story.Item, source string, d *story.Decision) (*rules.Outcome, error) {
	if d.State == story.Killed {
		return nil, nil
	}
	set, err := a.ruleSet(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := set.Evaluate(it, source)
	by := "the default of source " + source
	if out.RuleID != 0 {
		by = fmt.Sprintf("rule %q", out.RuleName)
	}
	switch out.Action {
	case rules.Hold:
		d.State, d.Reason = story.Held, "held for review by "+by
	case rules.Spike:
		d.State, d.Reason = story.Spiked, "spiked by "+by
	}
	return &out, nil
}

// keepGate keeps a held, spiked or unpublished story so while newer
// versions arrive; only a kill moves it. Those are an editor's or a rule's
// decisions, and an agency update is not an editor.
func keepGate(before story.State, d story.Decision) story.Decision {
	if (before == story.Held || before == story.Spiked || before == story.Unpublished) && d.State != story.Killed {
		d.State = before
		if d.Apply {
			d.Reason += "; the story stays " + string(before)
		}
	}
	return d
}

// recordRouting keeps the routing decision of a new story when it says
// more than "published by default": which rule held or spiked it, or which
// rule let it through. A rule's section files the story.
func recordRouting(ctx context.Context, tx store.Tx, storyID int64, out *rules.Outcome, now time.Time) error {
	if out == nil {
		return nil
	}
	if sec := strings.TrimSpace(out.Section); sec != "" {
		if err := tx.SetSection(ctx, storyID, sec); err != nil {
			return err
		}
	}
	if out.Action == rules.Publish && out.RuleID == 0 {
		return nil
	}
	return tx.SetRouting(ctx, &store.SetRoutingParams{
		StoryID: storyID, Action: string(out.Action), RuleID: out.RuleID, RuleName: out.RuleName, DecidedAt: now,
	})
}

// deskEventOf is what the desk's live view hears of an applied item: a new
// held story, an agency update waiting on an edited story, the kill of a
// story that existed before. before is "" for a new story.
func deskEventOf(before story.State, d story.Decision) string {
	switch {
	case d.State == story.Killed && before != story.Killed && before != "":
		return store.DeskEventKilled
	case d.State == story.Held && before != story.Held:
		return store.DeskEventHeld
	case d.Pending:
		return store.DeskEventPending
	}
	return ""
}
