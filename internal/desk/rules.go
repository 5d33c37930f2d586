package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/rules"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Audit actions of the rules pages.
const (
	auditRuleCreate  = "rule.create"
	auditRuleUpdate  = "rule.update"
	auditRuleDelete  = "rule.delete"
	auditRuleReorder = "rule.reorder"
	auditRuleDefault = "rule.default"
)

const (
	// defaultDryRunItems is how many recent items a dry run replays.
	defaultDryRunItems = 50
	maxDryRunItems     = 500
)

// ruleActions are the actions a rule form offers, in menu order.
var ruleActions = []rules.Action{rules.Hold, rules.Publish, rules.Spike, rules.NoAction}

type rulesPage struct {
	Rules   []ruleRow
	Sources []sourceDefault
	Actions []rules.Action
}

type ruleRow struct {
	rules.Rule
	Summary string
	Number  int
	First   bool
	Last    bool
}

type sourceDefault struct {
	Source string
	Action string
}

func (d *Desk) loadRules(ctx context.Context) (*store.RuleSet, []rules.Rule, error) {
	set, err := d.store.GetRuleSet(ctx)
	if err != nil {
		return nil, nil, err
	}
	list, err := apply.RulesFromStore(set.Rules)
	if err != nil {
		return nil, nil, err
	}
	return set, list, nil
}

func (d *Desk) serveRules(w http.ResponseWriter, r *http.Request) error {
	set, list, err := d.loadRules(r.Context())
	if err != nil {
		return err
	}
	rp := rulesPage{Actions: []rules.Action{rules.Publish, rules.Hold, rules.Spike}}
	for i, rl := range list {
		rp.Rules = append(rp.Rules, ruleRow{Rule: rl, Summary: summarize(rl.When), Number: i + 1, First: i == 0, Last: i == len(list)-1})
	}
	sources, err := d.store.ListSources(r.Context())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range sources {
		seen[s.Name] = true
		rp.Sources = append(rp.Sources, sourceDefault{Source: s.Name, Action: set.Defaults[s.Name]})
	}
	// Defaults of sources since removed stay visible, so they can be
	// cleared.
	for src, a := range set.Defaults {
		if !seen[src] {
			rp.Sources = append(rp.Sources, sourceDefault{Source: src, Action: a})
		}
	}
	slices.SortFunc(rp.Sources, func(a, b sourceDefault) int { return strings.Compare(a.Source, b.Source) })
	return d.render(w, r, http.StatusOK, "rules", "Routing rules", rp)
}

// summarize says a rule's conditions in a line.
func summarize(c rules.Conditions) string {
	var parts []string
	list := func(name string, l []string) {
		if len(l) > 0 {
			parts = append(parts, name+" "+strings.Join(l, " or "))
		}
	}
	list("source", c.Sources)
	list("agency", c.Agencies)
	list("format", c.Formats)
	list("language", c.Languages)
	if c.UrgencyMin != nil {
		parts = append(parts, fmt.Sprintf("urgency ≥ %d", *c.UrgencyMin))
	}
	if c.UrgencyMax != nil {
		parts = append(parts, fmt.Sprintf("urgency ≤ %d", *c.UrgencyMax))
	}
	list("subject", c.Subjects)
	list("keyword", c.Keywords)
	if c.HeadlineRegex != "" {
		parts = append(parts, "headline matches /"+c.HeadlineRegex+"/")
	}
	if c.BodyRegex != "" {
		parts = append(parts, "body matches /"+c.BodyRegex+"/")
	}
	if c.Embargo != nil {
		if *c.Embargo {
			parts = append(parts, "embargoed")
		} else {
			parts = append(parts, "not embargoed")
		}
	}
	list("signal", c.Signals)
	if len(parts) == 0 {
		return "every item"
	}
	return strings.Join(parts, "; ")
}

// ruleForm is the rule form's fields as the editor typed them.
type ruleForm struct {
	ID                                                                 int64
	Name, Action, Section                                              string
	Continue, Disabled                                                 bool
	Sources, Agencies, Formats, Languages, Subjects, Keywords, Signals string
	UrgencyMin, UrgencyMax, HeadlineRegex, BodyRegex, Embargo          string
	Items                                                              int
}

func formOf(rl rules.Rule) ruleForm {
	c := rl.When
	f := ruleForm{
		ID: rl.ID, Name: rl.Name, Action: string(rl.Action), Section: rl.Section, Continue: rl.Continue, Disabled: rl.Disabled,
		Sources: strings.Join(c.Sources, ", "), Agencies: strings.Join(c.Agencies, ", "), Formats: strings.Join(c.Formats, ", "),
		Languages: strings.Join(c.Languages, ", "), Subjects: strings.Join(c.Subjects, ", "), Keywords: strings.Join(c.Keywords, ", "),
		Signals: strings.Join(c.Signals, ", "), HeadlineRegex: c.HeadlineRegex, BodyRegex: c.BodyRegex, Items: defaultDryRunItems,
	}
	if c.UrgencyMin != nil {
		f.UrgencyMin = strconv.Itoa(*c.UrgencyMin)
	}
	if c.UrgencyMax != nil {
		f.UrgencyMax = strconv.Itoa(*c.UrgencyMax)
	}
	if c.Embargo != nil {
		f.Embargo = strconv.FormatBool(*c.Embargo)
	}
	return f
}

func readRuleForm(r *http.Request) ruleForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := ruleForm{
		Name: v("name"), Action: v("action"), Section: v("section"),
		Continue: v("continue") == "yes", Disabled: v("disabled") == "yes",
		Sources: v("sources"), Agencies: v("agencies"), Formats: v("formats"), Languages: v("languages"),
		Subjects: v("subjects"), Keywords: v("keywords"), Signals: v("signals"),
		UrgencyMin: v("urgency_min"), UrgencyMax: v("urgency_max"),
		HeadlineRegex: v("headline_regex"), BodyRegex: v("body_regex"), Embargo: v("embargo"),
		Items: defaultDryRunItems,
	}
	if n, err := strconv.Atoi(v("items")); err == nil && n > 0 {
		f.Items = min(n, maxDryRunItems)
	}
	return f
}

// rule turns the form into a rule, or says what is wrong with it.
func (f *ruleForm) rule() (rules.Rule, error) {
	rl := rules.Rule{
		ID: f.ID, Name: f.Name, Action: rules.Action(f.Action), Section: f.Section, Continue: f.Continue, Disabled: f.Disabled,
		When: rules.Conditions{
			Sources: rules.ParseList(f.Sources), Agencies: rules.ParseList(f.Agencies), Formats: rules.ParseList(f.Formats),
			Languages: rules.ParseList(f.Languages), Subjects: rules.ParseList(f.Subjects), Keywords: rules.ParseList(f.Keywords),
			Signals: rules.ParseList(f.Signals), HeadlineRegex: f.HeadlineRegex, BodyRegex: f.BodyRegex,
		},
	}
	for _, u := range []struct {
		raw  string
		dst  **int
		name string
	}{{f.UrgencyMin, &rl.When.UrgencyMin, "Urgency at least"}, {f.UrgencyMax, &rl.When.UrgencyMax, "Urgency at most"}} {
		if u.raw == "" {
			continue
		}
		n, err := strconv.Atoi(u.raw)
		if err != nil {
			return rl, fmt.Errorf("%s: %q is not a whole number", u.name, u.raw)
		}
		*u.dst = &n
	}
	switch f.Embargo {
	case "":
	case "true", "false":
		b := f.Embargo == "true"
		rl.When.Embargo = &b
	default:
		return rl, fmt.Errorf("embargo: %q is not one of the choices", f.Embargo)
	}
	if err := rules.Check(&rl); err != nil {
		return rl, errors.New(strings.TrimPrefix(err.Error(), rules.ErrInvalid.Error()+": "))
	}
	return rl, nil
}

type ruleEditPage struct {
	Form    ruleForm
	Actions []rules.Action
	Error   string
	// DryRun is set after "Preview": what the rules would do to recent
	// items with this rule as drafted, beside what they do now.
	DryRun *dryRunResult
}

type dryRunResult struct {
	Items   int
	Changed int
	Rows    []dryRunRow
}

type dryRunRow struct {
	StoryID  int64
	Headline string
	Source   string
	Now      rules.Outcome
	Draft    rules.Outcome
	Changed  bool
	// ByDraft: the drafted rule decided the item's action.
	ByDraft bool
}

func (d *Desk) serveRuleNew(w http.ResponseWriter, r *http.Request) error {
	return d.render(w, r, http.StatusOK, "rules_edit", "New rule",
		&ruleEditPage{Form: ruleForm{Action: string(rules.Hold), Items: defaultDryRunItems}, Actions: ruleActions})
}

func (d *Desk) ruleOf(r *http.Request, list []rules.Rule) (rules.Rule, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return rules.Rule{}, errBadRequest(fmt.Sprintf("%q is not a rule id.", raw))
	}
	for _, rl := range list {
		if rl.ID == id {
			return rl, nil
		}
	}
	return rules.Rule{}, errNotFound(fmt.Sprintf("There is no rule %d.", id))
}

func (d *Desk) serveRuleEdit(w http.ResponseWriter, r *http.Request) error {
	_, list, err := d.loadRules(r.Context())
	if err != nil {
		return err
	}
	rl, err := d.ruleOf(r, list)
	if err != nil {
		return err
	}
	return d.render(w, r, http.StatusOK, "rules_edit", "Rule: "+rl.Name, &ruleEditPage{Form: formOf(rl), Actions: ruleActions})
}

// postRule saves a new rule (POST /desk/rules) or an edited one (POST
// /desk/rules/{id}), or, when the "preview" button was pressed, shows the
// dry run of the draft without saving anything.
func (d *Desk) postRule(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	set, list, err := d.loadRules(ctx)
	if err != nil {
		return err
	}
	f := readRuleForm(r)
	var old *rules.Rule
	if r.PathValue("id") != "" {
		o, err := d.ruleOf(r, list)
		if err != nil {
			return err
		}
		old, f.ID = &o, o.ID
	}
	title := "New rule"
	if old != nil {
		title = "Rule: " + old.Name
	}
	page := &ruleEditPage{Form: f, Actions: ruleActions}
	draft, err := f.rule()
	if err != nil {
		page.Error = err.Error()
		return d.render(w, r, http.StatusBadRequest, "rules_edit", title, page)
	}
	if r.PostFormValue("op") == "preview" {
		if page.DryRun, err = d.dryRun(ctx, set, list, draft, f.Items); err != nil {
			var invalid *dryRunInvalid
			if !errors.As(err, &invalid) {
				return err
			}
			page.Error = invalid.Error()
			return d.render(w, r, http.StatusBadRequest, "rules_edit", title, page)
		}
		return d.render(w, r, http.StatusOK, "rules_edit", title, page)
	}
	when, err := rules.MarshalConditions(draft.When)
	if err != nil {
		return err
	}
	by := userOf(r).Name
	var saved *store.Rule
	err = d.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		action := auditRuleCreate
		if old == nil {
			saved, err = tx.CreateRule(ctx, &store.CreateRuleParams{Name: draft.Name, Disabled: draft.Disabled, When: when,
				Action: string(draft.Action), Section: draft.Section, Continue: draft.Continue, By: by, At: d.now()})
		} else {
			action = auditRuleUpdate
			saved, err = tx.UpdateRule(ctx, &store.UpdateRuleParams{ID: old.ID, Name: draft.Name, Disabled: draft.Disabled, When: when,
				Action: string(draft.Action), Section: draft.Section, Continue: draft.Continue, By: by, At: d.now()})
		}
		if err != nil {
			return err
		}
		draft.ID = saved.ID
		var before any
		if old != nil {
			before = old
		}
		return auditRule(ctx, tx, &ruleAudit{by: by, action: action, ruleID: saved.ID, before: before, after: draft})
	})
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/desk/rules", fmt.Sprintf("Rule %q saved; it routes the next new story.", saved.Name))
}

// dryRunInvalid: the rule set with the draft in it does not compile (a
// stored rule broken by hand).
type dryRunInvalid struct{ err error }

func (e *dryRunInvalid) Error() string { return "The rules cannot be tried: " + e.err.Error() }

// dryRun evaluates the recent items with the current rules and with the
// draft in place (replacing the rule of the same id, or appended), and
// keeps, for each item, what both would do.
func (d *Desk) dryRun(ctx context.Context, set *store.RuleSet, list []rules.Rule, draft rules.Rule, n int) (*dryRunResult, error) {
	defaults := make(map[string]rules.Action, len(set.Defaults))
	for src, a := range set.Defaults {
		defaults[src] = rules.Action(a)
	}
	now, err := rules.Compile(list, defaults)
	if err != nil {
		return nil, &dryRunInvalid{err}
	}
	if draft.ID == 0 {
		draft.ID = -1 // stands for the new rule in the outcomes
	}
	drafted := slices.Clone(list)
	if i := slices.IndexFunc(drafted, func(rl rules.Rule) bool { return rl.ID == draft.ID }); i >= 0 {
		drafted[i] = draft
	} else {
		drafted = append(drafted, draft)
	}
	next, err := rules.Compile(drafted, defaults)
	if err != nil {
		return nil, &dryRunInvalid{err}
	}
	versions, err := d.store.ListRecentVersions(ctx, &store.ListRecentVersionsParams{Limit: n})
	if err != nil {
		return nil, err
	}
	items := make([]rules.DryRunItem, len(versions))
	for i, v := range versions {
		items[i] = rules.DryRunItem{Item: v.Item, Source: v.SourceName}
	}
	before, after := now.DryRun(items), next.DryRun(items)
	res := &dryRunResult{Items: len(items)}
	for i, v := range versions {
		row := dryRunRow{StoryID: v.StoryID, Headline: v.Item.Headline, Source: v.SourceName, Now: before[i], Draft: after[i],
			ByDraft: after[i].RuleID == draft.ID}
		row.Changed = before[i].Action != after[i].Action || before[i].Section != after[i].Section
		if row.Changed {
			res.Changed++
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func (d *Desk) postRuleDelete(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, list, err := d.loadRules(ctx)
	if err != nil {
		return err
	}
	rl, err := d.ruleOf(r, list)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return errBadRequest("Tick the box to confirm the deletion.")
	}
	by := userOf(r).Name
	err = d.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteRule(ctx, rl.ID); err != nil {
			return err
		}
		return auditRule(ctx, tx, &ruleAudit{by: by, action: auditRuleDelete, ruleID: rl.ID, before: rl})
	})
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/desk/rules", fmt.Sprintf("Rule %q deleted.", rl.Name))
}

// postRuleMove moves a rule one place up or down the list.
func (d *Desk) postRuleMove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, list, err := d.loadRules(ctx)
	if err != nil {
		return err
	}
	rl, err := d.ruleOf(r, list)
	if err != nil {
		return err
	}
	ids := make([]int64, len(list))
	for i, x := range list {
		ids[i] = x.ID
	}
	i := slices.Index(ids, rl.ID)
	switch dir := r.PostFormValue("dir"); {
	case dir == "up" && i > 0:
		ids[i-1], ids[i] = ids[i], ids[i-1]
	case dir == "down" && i < len(ids)-1:
		ids[i+1], ids[i] = ids[i], ids[i+1]
	case dir == "up" || dir == "down":
		return d.redirect(w, r, "/desk/rules", fmt.Sprintf("Rule %q is already %s.", rl.Name, map[string]string{"up": "first", "down": "last"}[dir]))
	default:
		return errBadRequest("Move a rule up or down.")
	}
	by := userOf(r).Name
	before := make([]int64, len(list))
	for j, x := range list {
		before[j] = x.ID
	}
	err = d.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.ReorderRules(ctx, ids); err != nil {
			return err
		}
		return auditRule(ctx, tx, &ruleAudit{by: by, action: auditRuleReorder, ruleID: rl.ID, before: before, after: ids})
	})
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/desk/rules", fmt.Sprintf("Rule %q moved %s.", rl.Name, r.PostFormValue("dir")))
}

// postRuleDefault sets a source's default action.
func (d *Desk) postRuleDefault(w http.ResponseWriter, r *http.Request) error {
	src := strings.TrimSpace(r.PostFormValue("source"))
	action := rules.Action(strings.TrimSpace(r.PostFormValue("action")))
	if src == "" || !action.Valid() {
		return errBadRequest("Choose a source and one of publish, hold or spike (or none).")
	}
	ctx := r.Context()
	set, err := d.store.GetRuleSet(ctx)
	if err != nil {
		return err
	}
	by := userOf(r).Name
	err = d.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetSourceDefault(ctx, &store.SetSourceDefaultParams{Source: src, Action: string(action), At: d.now()}); err != nil {
			return err
		}
		return auditRule(ctx, tx, &ruleAudit{by: by, action: auditRuleDefault, objectID: src,
			before: map[string]string{"source": src, "action": set.Defaults[src]},
			after:  map[string]string{"source": src, "action": string(action)}})
	})
	if err != nil {
		return err
	}
	what := string(action)
	if what == "" {
		what = "publish (no default)"
	}
	return d.redirect(w, r, "/desk/rules", fmt.Sprintf("Items from %s that no rule decides: %s.", src, what))
}

type ruleAudit struct {
	by, action    string
	ruleID        int64
	objectID      string
	before, after any
}

// auditRule writes the audit row of a rule change in its transaction.
func auditRule(ctx context.Context, tx store.Tx, a *ruleAudit) error {
	enc := func(v any) (json.RawMessage, error) {
		if v == nil {
			return nil, nil
		}
		return json.Marshal(v)
	}
	before, err := enc(a.before)
	if err != nil {
		return err
	}
	after, err := enc(a.after)
	if err != nil {
		return err
	}
	id := a.objectID
	if id == "" {
		id = strconv.FormatInt(a.ruleID, 10)
	}
	_, err = tx.AppendAudit(ctx, &store.AppendAuditParams{Actor: a.by, Action: a.action, ObjectType: store.AuditRule, ObjectID: id, Before: before, After: after})
	return err
}
