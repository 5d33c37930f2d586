package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/store"
)

const userUsage = `usage:
  wiredesk user add NAME --role admin|editor|viewer   (password on standard input)
  wiredesk user list
  wiredesk user passwd NAME                           (new password on standard input)
  wiredesk user role NAME --role admin|editor|viewer
  wiredesk user remove NAME
each also takes [--config FILE] [--data DIR | --database-url URL]`

// cmdUser manages desk accounts. Passwords are read from standard input,
// never from the command line, where other users of the machine and the
// shell history would see them.
func cmdUser(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, userUsage)
		return errUsage
	}
	sub := args[0]
	switch sub {
	case "add", "list", "passwd", "role", "remove":
	default:
		fmt.Fprintf(env.stderr, "unknown user command %q\n%s\n", sub, userUsage)
		return errUsage
	}
	fs := newFlagSet("user "+sub, env)
	var cf configFlags
	cf.register(fs, false)
	role := fs.String("role", "", "admin, editor or viewer")
	// The name may come before, between or after the flags (user add NAME
	// --role editor); the flag package stops at the first argument, so
	// parsing resumes after it.
	var name string
	rest := args[1:]
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		if name != "" {
			return fmt.Errorf("%w: user %s takes one account name, got %q and %q", errUsage, sub, name, fs.Arg(0))
		}
		name, rest = fs.Arg(0), fs.Args()[1:]
	}
	if sub != "list" && name == "" {
		return fmt.Errorf("%w: user %s needs an account name", errUsage, sub)
	}
	if (sub == "add" || sub == "role") && !store.Role(*role).Valid() {
		return fmt.Errorf("%w: user %s needs --role admin, editor or viewer", errUsage, sub)
	}
	b, _, logger, err := openChecked(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer b.store.Close()
	a, err := auth.New(auth.Config{Store: b.store, Logger: logger})
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		users, err := b.store.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		return tw.Flush()
	case "add":
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		u, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: name, Role: store.Role(*role), Password: pw})
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("account %s exists already (change it with user passwd or user role)", name)
		}
		if err != nil {
			return err
		}
		if err := auditUser(ctx, b.store, "user.add", u.Name, nil, u); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "account %s added with role %s\n", u.Name, u.Role)
		return nil
	case "passwd":
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		if err := a.SetPassword(ctx, name, pw); err != nil {
			return fmt.Errorf("account %s: %w", name, err)
		}
		if err := auditUser(ctx, b.store, "user.passwd", name, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "password of %s changed; its sessions are ended\n", name)
		return nil
	case "role":
		before, err := b.store.GetUser(ctx, name)
		if err != nil {
			return fmt.Errorf("account %s: %w", name, err)
		}
		u, err := b.store.UpdateUser(ctx, &store.UpdateUserParams{Name: name, Role: store.Role(*role)})
		if err != nil {
			return fmt.Errorf("account %s: %w", name, err)
		}
		if err := auditUser(ctx, b.store, "user.role", name, before, u); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "account %s now has role %s; its sessions are ended\n", u.Name, u.Role)
		return nil
	default: // remove
		before, err := b.store.GetUser(ctx, name)
		if err != nil {
			return fmt.Errorf("account %s: %w", name, err)
		}
		if err := b.store.DeleteUser(ctx, name); err != nil {
			return err
		}
		if err := auditUser(ctx, b.store, "user.remove", name, before, nil); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "account %s removed\n", name)
		return nil
	}
}

// readPassword reads the first line of standard input and checks it,
// saying why a password is refused.
func readPassword(env *cmdEnv) (string, error) {
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := auth.CheckPassword(pw); err != nil {
		return "", fmt.Errorf("password refused: %w (give it on standard input, e.g. printf '%%s\\n' \"$PW\" | wiredesk user add ...)", err)
	}
	return pw, nil
}

// auditUser records an account change made from the command line. The
// password hash is never in the record.
func auditUser(ctx context.Context, s store.Store, action, name string, before, after *store.User) error {
	enc := func(u *store.User) json.RawMessage {
		if u == nil {
			return nil
		}
		b, _ := json.Marshal(map[string]string{"name": u.Name, "role": string(u.Role)})
		return b
	}
	_, err := s.AppendAudit(ctx, &store.AppendAuditParams{
		Actor: "cli", Action: action, ObjectType: store.AuditUser, ObjectID: name, Before: enc(before), After: enc(after),
	})
	return err
}
