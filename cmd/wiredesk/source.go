package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// minSourceInterval is the shortest poll interval a source may be given,
// on the command line or in the config file.
const minSourceInterval = ingest.MinInterval

// cmdSource manages polled sources from the command line.
func cmdSource(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: wiredesk source add|list|test|pause|resume|remove [flags] [NAME]")
		return errUsage
	}
	fs := newFlagSet("source "+args[0], env)
	var cf configFlags
	cf.register(fs, false)
	var (
		p    store.UpsertSourceParams
		auth SourceAuthConfig
	)
	switch args[0] {
	case "add":
		fs.StringVar(&p.Name, "name", "", "source name (required)")
		fs.StringVar(&p.URL, "url", "", "feed URL (required)")
		fs.StringVar(&p.Format, "format", "", "wire format; empty detects it from the content")
		fs.StringVar(&p.Agency, "agency", "", "agency name for items whose payload names none")
		fs.DurationVar(&p.Interval, "interval", ingest.DefaultInterval, fmt.Sprintf("poll interval, at least %s", ingest.MinInterval))
		fs.BoolVar(&p.AllowPrivate, "allow-private", false, "allow loopback and private addresses (tests, local agencies)")
		fs.StringVar(&auth.Kind, "auth-kind", "", "credentials: basic, bearer, header or query")
		fs.StringVar(&auth.Username, "auth-user", "", "user name (--auth-kind basic)")
		fs.StringVar(&auth.SecretEnv, "auth-secret-env", "", "environment variable holding the password, token or key (never on the command line)")
		fs.StringVar(&auth.Name, "auth-name", "", "header name (--auth-kind header) or query parameter (--auth-kind query)")
	case "list", "test", "pause", "resume", "remove":
	default:
		fmt.Fprintf(env.stderr, "unknown source command %q: want add, list, test, pause, resume or remove\n", args[0])
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	b, cfg, _, err := openChecked(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer b.store.Close()
	switch args[0] {
	case "test":
		return sourceTest(ctx, env, b.store, fs.Arg(0), cfg)
	case "pause", "resume":
		return sourcePause(ctx, env, b.store, fs.Arg(0), args[0] == "pause")
	case "remove":
		return sourceRemove(ctx, env, b.store, fs.Arg(0))
	case "add":
		if p.Name == "" || p.URL == "" {
			return fmt.Errorf("%w: source add needs --name and --url", errUsage)
		}
		if p.Format != "" && !slices.Contains(decode.Formats(), p.Format) {
			return fmt.Errorf("%w: --format %q is not one of %s", errUsage, p.Format, strings.Join(decode.Formats(), ", "))
		}
		if err := ingest.CheckInterval(p.Interval); err != nil {
			return fmt.Errorf("%w: --interval: %w", errUsage, err)
		}
		if p.Auth, err = auth.resolve(env.getenv); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		p.FirstAttemptAt = ingest.FirstAttemptAt(time.Now(), p.Interval)
		s, err := b.store.UpsertSource(ctx, &p)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "source %s (id %d) polls %s every %s\n", s.Name, s.ID, fetch.Redact(s.URL), s.Interval)
		return nil
	default:
		return sourceList(ctx, env, b.store)
	}
}

// sourceList prints every source's health. Credentials are never printed:
// only their kind, and the URL with any key in it redacted.
func sourceList(ctx context.Context, env *cmdEnv, s store.Store) error {
	srcs, err := s.ListSources(ctx)
	if err != nil {
		return err
	}
	counts, err := s.CountSourceItems(ctx, &store.CountSourceItemsParams{Since: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tINTERVAL\tITEMS/DAY\tLAST SUCCESS\tNEXT ATTEMPT\tLAST ERROR\tAUTH\tURL")
	for _, src := range srcs {
		state := string(src.State)
		if src.Paused {
			state += " (paused)"
		}
		if src.PushActiveUntil != nil && src.PushActiveUntil.After(time.Now()) {
			state += " (push)"
		}
		interval := src.Interval.String()
		if src.CurrentInterval > 0 && src.CurrentInterval != src.Interval {
			interval = fmt.Sprintf("%s (now %s)", src.Interval, src.CurrentInterval.Round(time.Second))
		}
		authKind := src.Auth.Kind
		if authKind == "" {
			authKind = "-"
		}
		lastErr := src.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", src.Name, state, interval, counts[src.ID],
			fmtTime(src.LastSuccessAt), fmtTime(src.NextAttemptAt), lastErr, authKind, fetch.Redact(src.URL))
	}
	return tw.Flush()
}

// sourceRemove takes a source out of service. What it published stays:
// stories are the agency's, not the source's, and the raw deliveries stay
// archived as the proof of their words.
func sourceRemove(ctx context.Context, env *cmdEnv, s store.Store, name string) error {
	if name == "" {
		return fmt.Errorf("%w: source remove needs a source name", errUsage)
	}
	if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: name, At: time.Now()}); err != nil {
		return fmt.Errorf("source %s: %w", name, err)
	}
	fmt.Fprintf(env.stdout, "source %s removed; its stories and archived deliveries stay\n", name)
	return nil
}

// configureSources creates or updates the config file's sources by name at
// start. A new one is first polled within a tenth of its interval, at
// random, so a long list does not poll all at once.
func configureSources(ctx context.Context, s store.Store, sources []SourceConfig, getenv func(string) string) error {
	now := time.Now()
	for _, sc := range sources {
		auth, err := sc.Auth.resolve(getenv)
		if err != nil {
			return fmt.Errorf("configure source %s: %w", sc.Name, err)
		}
		interval := intervalOrDefault(time.Duration(sc.Interval))
		if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{
			Name: sc.Name, URL: sc.URL, Format: sc.Format, Agency: sc.Agency,
			Interval: interval, AllowPrivate: sc.AllowPrivate, Paused: sc.Paused,
			Auth: auth, FirstAttemptAt: ingest.FirstAttemptAt(now, interval),
		}); err != nil {
			return fmt.Errorf("configure source %s: %w", sc.Name, err)
		}
	}
	return nil
}

// resolve reads the secret from the environment variable the
// configuration names and checks that the credentials are complete.
func (a *SourceAuthConfig) resolve(getenv func(string) string) (store.SourceAuth, error) {
	if a == nil || (a.Kind == "" && a.Username == "" && a.SecretEnv == "" && a.Name == "") {
		return store.SourceAuth{}, nil
	}
	out := store.SourceAuth{Kind: a.Kind, Username: a.Username, Name: a.Name}
	if a.SecretEnv == "" {
		return out, fmt.Errorf("auth: %s credentials need secret_env (--auth-secret-env), the environment variable holding the secret", a.Kind)
	}
	out.Secret = getenv(a.SecretEnv)
	if out.Secret == "" {
		return out, fmt.Errorf("auth: environment variable %s is empty or unset", a.SecretEnv)
	}
	switch a.Kind {
	case fetch.AuthBasic:
		if a.Username == "" {
			return out, errors.New("auth: basic credentials need a username (--auth-user)")
		}
	case fetch.AuthBearer:
	case fetch.AuthHeader, fetch.AuthQuery:
		if a.Name == "" {
			return out, fmt.Errorf("auth: %s credentials need a name (--auth-name)", a.Kind)
		}
	default:
		return out, fmt.Errorf("auth: kind %q is not basic, bearer, header or query", a.Kind)
	}
	return out, nil
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
	resp, err := f.Get(ctx, &fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate, Auth: ingest.SourceFetchAuth(src.Auth)})
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
		Interval: src.Interval, AllowPrivate: src.AllowPrivate, Paused: pause, Auth: src.Auth,
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
