package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/store"
)

const webhookUsage = `usage:
  wiredesk webhook add NAME --url URL [--secret-env VAR] [--events published,updated,corrected,killed] [--allow-private]
  wiredesk webhook list
  wiredesk webhook remove NAME
  wiredesk webhook log NAME [--limit N]
each also takes [--config FILE] [--data DIR | --database-url URL]`

// cmdWebhook manages webhook subscribers. A secret is read from the
// environment, never from the command line; without one, a secret is
// generated and printed once.
func cmdWebhook(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, webhookUsage)
		return errUsage
	}
	sub := args[0]
	switch sub {
	case "add", "list", "remove", "log":
	default:
		fmt.Fprintf(env.stderr, "unknown webhook command %q\n%s\n", sub, webhookUsage)
		return errUsage
	}
	fs := newFlagSet("webhook "+sub, env)
	var cf configFlags
	cf.register(fs, false)
	var (
		nw        api.NewWebhook
		secretEnv string
		events    string
		inactive  bool
		limit     int
	)
	switch sub {
	case "add":
		fs.StringVar(&nw.URL, "url", "", "where deliveries are posted (required)")
		fs.StringVar(&secretEnv, "secret-env", "", "environment variable holding the signing secret (whsec_... or 24+ bytes); without it one is generated")
		fs.StringVar(&events, "events", "", "comma-separated events to deliver; empty for all")
		fs.BoolVar(&nw.AllowPrivate, "allow-private", false, "allow loopback and private addresses")
		fs.BoolVar(&inactive, "inactive", false, "add it without delivering to it yet")
	case "log":
		fs.IntVar(&limit, "limit", 20, "how many deliveries, newest first")
	}
	name, err := parseNamed(fs, args[1:])
	if err != nil {
		return err
	}
	if sub != "list" && name == "" {
		return fmt.Errorf("%w: webhook %s needs a webhook name", errUsage, sub)
	}
	if sub == "add" {
		nw.Name = name
		if nw.URL == "" {
			return fmt.Errorf("%w: webhook add needs --url", errUsage)
		}
		if secretEnv != "" {
			if nw.Secret = env.getenv(secretEnv); nw.Secret == "" {
				return fmt.Errorf("%w: --secret-env %s: the variable is empty or unset", errUsage, secretEnv)
			}
		}
		if events != "" {
			nw.Events = strings.Split(events, ",")
		}
		active := !inactive
		nw.Active = &active
	}
	b, _, _, err := openChecked(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer b.store.Close()
	switch sub {
	case "add":
		return webhookAdd(ctx, env, b.store, &nw)
	case "remove":
		h, err := b.store.GetWebhookByName(ctx, name)
		if err != nil {
			return fmt.Errorf("webhook %s: %w", name, err)
		}
		if err := b.store.DeleteWebhook(ctx, h.ID); err != nil {
			return fmt.Errorf("remove webhook %s: %w", name, err)
		}
		fmt.Fprintf(env.stdout, "webhook %s removed, with its queue and delivery log\n", name)
		return nil
	case "log":
		return webhookLog(ctx, env, b.store, name, limit)
	}
	hooks, err := b.store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tACTIVE\tEVENTS\tURL")
	for _, h := range hooks {
		evs := strings.Join(h.Events, ",")
		if evs == "" {
			evs = "all"
		}
		fmt.Fprintf(tw, "%d\t%s\t%v\t%s\t%s\n", h.ID, h.Name, h.Active, evs, fetch.Redact(h.URL))
	}
	return tw.Flush()
}

func webhookAdd(ctx context.Context, env *cmdEnv, s store.Store, nw *api.NewWebhook) error {
	p, generated, err := api.CheckNewWebhook(nw)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	p.At = time.Now()
	h, err := s.CreateWebhook(ctx, p)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("a webhook called %q exists: remove it first", p.Name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "webhook %s (id %d) delivers to %s\n", h.Name, h.ID, fetch.Redact(h.URL))
	if generated {
		fmt.Fprintf(env.stderr, "its signing secret is shown this once, give it to the receiver now:\n")
		fmt.Fprintln(env.stdout, h.Secret)
	}
	return nil
}

// webhookLog prints a subscriber's deliveries, newest first, each with its
// attempts.
func webhookLog(ctx context.Context, env *cmdEnv, s store.Store, name string, limit int) error {
	h, err := s.GetWebhookByName(ctx, name)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", name, err)
	}
	ds, err := s.ListWebhookDeliveries(ctx, &store.ListWebhookDeliveriesParams{WebhookID: h.ID, Limit: limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tEVENT\tSTORY\tSTATE\tATTEMPTS\tQUEUED\tLAST")
	for _, d := range ds {
		last := "-"
		switch {
		case d.LastError != "":
			last = d.LastError
		case d.LastStatus != 0:
			last = fmt.Sprintf("HTTP %d", d.LastStatus)
		}
		state := d.State
		if d.State == store.DeliveryPending && d.Attempts > 0 {
			state += ", next " + d.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\n", d.Seq, d.Event, d.StoryID, state, d.Attempts, d.CreatedAt.UTC().Format(time.RFC3339), last)
		for _, a := range d.AttemptLog {
			what := fmt.Sprintf("HTTP %d", a.Status)
			if a.Error != "" {
				what = a.Error
			}
			fmt.Fprintf(tw, "\t\t\t  attempt\t\t%s\t%s in %s\n", a.At.UTC().Format(time.RFC3339), what, a.Duration.Round(time.Millisecond))
		}
	}
	return tw.Flush()
}
