package main

import (
	"context"
	"fmt"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/jobs"
)

// cmdStory holds editor actions on one story from the command line, until
// the desk has them: `wiredesk story restore --id N --by NAME`.
func cmdStory(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 || args[0] != "restore" {
		fmt.Fprintln(env.stderr, "usage: wiredesk story restore --id N --by NAME [--data DIR | --database-url URL]")
		return errUsage
	}
	fs := newFlagSet("story restore", env)
	var cf configFlags
	cf.register(fs, false)
	id := fs.Int64("id", 0, "story id (the number in its URL)")
	by := fs.String("by", "", "who restores it, for the record (required)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *id <= 0 || *by == "" {
		return fmt.Errorf("%w: story restore needs --id and --by", errUsage)
	}
	b, _, logger, err := openChecked(ctx, env, &cf)
	if err != nil {
		return err
	}
	defer b.store.Close()
	runner, err := b.newJobs(jobs.Config{Logger: logger, Store: b.store, Poll: noPoll})
	if err != nil {
		return err
	}
	res, err := apply.New(b.store, runner, nil).Restore(ctx, *id, *by)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "story %d restored: version %s on show, state %s\n", res.StoryID, res.VersionKey, res.State)
	return nil
}
