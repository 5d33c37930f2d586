package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// cmdSource manages polled sources from the command line.
func cmdSource(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: wiredesk source add|list|test|pause|resume [flags] [NAME]")
		return errUsage
	}
	fs := newFlagSet("source "+args[0], env)
	var cf configFlags
	cf.register(fs, false)
	var p store.UpsertSourceParams
	switch args[0] {
	case "add":
		fs.StringVar(&p.Name, "name", "", "source name (required)")
		fs.StringVar(&p.URL, "url", "", "feed URL (required)")
		fs.StringVar(&p.Format, "format", "", "wire format; empty detects it from the content")
		fs.StringVar(&p.Agency, "agency", "", "agency name for items whose payload names none")
		fs.DurationVar(&p.Interval, "interval", 60*time.Second, "poll interval")
		fs.BoolVar(&p.AllowPrivate, "allow-private", false, "allow loopback and private addresses (tests, local agencies)")
	case "list", "test", "pause", "resume":
	default:
		fmt.Fprintf(env.stderr, "unknown source command %q: want add, list, test, pause or resume\n", args[0])
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := cf.load(env.getenv)
	if err != nil {
		return err
	}
	logger := env.logger(cfg.LogLevel)
	b, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer b.store.Close()
	if err := b.store.CheckSchema(ctx); err != nil {
		return err
	}
	switch args[0] {
	case "test":
		return sourceTest(ctx, env, b.store, fs.Arg(0), cfg)
	case "pause", "resume":
		return sourcePause(ctx, env, b.store, fs.Arg(0), args[0] == "pause")
	case "add":
		if p.Name == "" || p.URL == "" {
			return fmt.Errorf("%w: source add needs --name and --url", errUsage)
		}
		if p.Format != "" && !slices.Contains(decode.Formats(), p.Format) {
			return fmt.Errorf("%w: --format %q is not one of %s", errUsage, p.Format, strings.Join(decode.Formats(), ", "))
		}
		if p.Interval < 5*time.Second {
			return fmt.Errorf("%w: --interval must be at least 5s", errUsage)
		}
		s, err := b.store.UpsertSource(ctx, &p)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "source %s (id %d) polls %s every %s\n", s.Name, s.ID, s.URL, s.Interval)
		return nil
	default:
		srcs, err := b.store.ListSources(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tINTERVAL\tLAST SUCCESS\tNEXT ATTEMPT\tLAST ERROR\tURL")
		for _, s := range srcs {
			state := string(s.State)
			if s.Paused {
				state += " (paused)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, state, s.Interval, fmtTime(s.LastSuccessAt), fmtTime(s.NextAttemptAt), s.LastError, fetch.Redact(s.URL))
		}
		return tw.Flush()
	}
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// sourceTest fetches a source once, unconditionally, and prints what it
// decodes to as canonical item JSON Lines, storing nothing: the way to see
// what a new feed will publish before it publishes anything.
func sourceTest(ctx context.Context, env *cmdEnv, s store.Store, name string, cfg Config) error {
	if name == "" {
		return fmt.Errorf("%w: source test needs a source name", errUsage)
	}
	src, err := s.GetSource(ctx, name)
	if err != nil {
		return fmt.Errorf("source %s: %w", name, err)
	}
	f := fetch.New(fetch.Config{Timeout: time.Duration(cfg.FetchTimeout), MaxBytes: cfg.FetchMaxBytes})
	resp, err := f.Get(ctx, &fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate})
	if err != nil {
		return fmt.Errorf("source %s: fetch: %w", name, err)
	}
	res, err := decode.DecodeAs(resp.Body, src.Format, &wire.Options{Agency: src.Agency, SHA256: story.SHA256Hex(resp.Body)})
	if err != nil {
		return fmt.Errorf("source %s: %w", name, err)
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	for i := range res.Items {
		if err := enc.Encode(&res.Items[i]); err != nil {
			return err
		}
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(env.stderr, "skipped item %d: %s\n", sk.Index, sk.Reason)
	}
	fmt.Fprintf(env.stderr, "source %s: %s, %d items, %d skipped (nothing stored)\n", name, res.Format, len(res.Items), len(res.Skipped))
	return nil
}

// sourcePause stops or restarts polling a source, keeping its health and
// history; a paused source is listed as such.
func sourcePause(ctx context.Context, env *cmdEnv, s store.Store, name string, pause bool) error {
	if name == "" {
		return fmt.Errorf("%w: a source name is needed", errUsage)
	}
	src, err := s.GetSource(ctx, name)
	if err != nil {
		return fmt.Errorf("source %s: %w", name, err)
	}
	if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{
		Name: src.Name, URL: src.URL, Format: src.Format, Agency: src.Agency,
		Interval: src.Interval, AllowPrivate: src.AllowPrivate, Paused: pause,
	}); err != nil {
		return fmt.Errorf("source %s: %w", name, err)
	}
	word := "resumed"
	if pause {
		word = "paused"
	}
	fmt.Fprintf(env.stdout, "source %s %s\n", name, word)
	return nil
}
