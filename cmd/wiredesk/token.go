package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/store"
)

const tokenUsage = `usage:
  wiredesk token add NAME --scope read:all|admin   print a new API token, once
  wiredesk token list
  wiredesk token revoke NAME
each also takes [--config FILE] [--data DIR | --database-url URL]`

// cmdToken manages API tokens. A token is printed once, when it is made:
// the store keeps only its SHA-256.
func cmdToken(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, tokenUsage)
		return errUsage
	}
	sub := args[0]
	switch sub {
	case "add", "list", "revoke":
	default:
		fmt.Fprintf(env.stderr, "unknown token command %q\n%s\n", sub, tokenUsage)
		return errUsage
	}
	fs := newFlagSet("token "+sub, env)
	var cf configFlags
	cf.register(fs, false)
	scope := fs.String("scope", "", "read:all (stories in every state, versions) or admin (also webhooks)")
	name, err := parseNamed(fs, args[1:])
	if err != nil {
		return err
	}
	if sub != "list" && name == "" {
		return fmt.Errorf("%w: token %s needs a token name", errUsage, sub)
	}
	if sub == "add" && !store.ValidScope(*scope) {
		return fmt.Errorf("%w: --scope must be %s or %s", errUsage, store.ScopeReadAll, store.ScopeAdmin)
	}
	b, _, _, err := openChecked(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer b.store.Close()
	switch sub {
	case "add":
		token, sum := api.NewToken()
		if _, err := b.store.CreateAPIToken(ctx, &store.CreateAPITokenParams{Name: name, SHA256: sum, Scope: *scope, At: time.Now()}); err != nil {
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("a token called %q exists: revoke it first", name)
			}
			return err
		}
		fmt.Fprintf(env.stderr, "token %s (%s) made; it is shown this once, keep it now:\n", name, *scope)
		fmt.Fprintln(env.stdout, token)
		return nil
	case "revoke":
		if err := b.store.DeleteAPIToken(ctx, name); err != nil {
			return fmt.Errorf("revoke token %s: %w", name, err)
		}
		fmt.Fprintf(env.stdout, "token %s revoked\n", name)
		return nil
	}
	tokens, err := b.store.ListAPITokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPE\tCREATED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Scope, t.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// parseNamed parses flags that may come after a leading name (token add
// NAME --scope admin), where the flag package would stop reading, and
// returns the name.
func parseNamed(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if name == "" {
		name = fs.Arg(0)
	}
	return name, nil
}
