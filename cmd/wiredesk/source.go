package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// cmdSource manages polled sources from the command line.
func cmdSource(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: wiredesk source add|list [flags]")
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
	case "list":
	default:
		fmt.Fprintf(env.stderr, "unknown source command %q: want add or list\n", args[0])
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
	case "add":
		if p.Name == "" || p.URL == "" {
			return fmt.Errorf("%w: source add needs --name and --url", errUsage)
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, state, s.Interval, fmtTime(s.LastSuccessAt), fmtTime(s.NextAttemptAt), s.LastError, s.URL)
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
