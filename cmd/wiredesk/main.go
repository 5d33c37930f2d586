// Command wiredesk turns news-agency wire feeds into a live news site:
// `wiredesk demo` runs it with a built-in demo agency, `wiredesk serve` runs
// it for real. main builds and wires everything; nothing is global.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `wiredesk turns news-agency wire feeds into a live news site.

Usage:
  wiredesk demo    [--addr :8080] [--data ./wiredesk-data]   run with the built-in demo agency
  wiredesk serve   [--config FILE] [--addr ADDR] [--data DIR | --database-url URL]
  wiredesk migrate [--data DIR | --database-url URL]          apply database migrations
  wiredesk parse   FILE...                                    decode files, print items as JSON Lines
  wiredesk ingest  [--data DIR | --database-url URL] PATH...  push files or folders through the pipeline
  wiredesk source  add|list|test|pause|resume|remove ...      manage polled sources
  wiredesk story   restore --id N --by NAME                   bring a killed or withheld story back
  wiredesk user    add|list|passwd|role|remove ...            manage desk accounts (password on stdin)
  wiredesk token   add NAME --scope read:all|admin | list | revoke NAME   API tokens
  wiredesk webhook add NAME --url URL | list | remove NAME | log NAME    webhook subscribers
  wiredesk bench   [--only decode,ingest,latency] [--items N] [--database-url URL]  measure it (see BENCHMARKS.md)

Every setting is also an environment variable WIREDESK_*; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	tuneGC(os.Getenv)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "wiredesk:", err)
		}
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

// errSomeFailed marks a run that went through but failed for some inputs.
var errSomeFailed = errors.New("some inputs failed")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	switch cmd {
	case "demo":
		return cmdServe(ctx, env, rest, true)
	case "serve":
		return cmdServe(ctx, env, rest, false)
	case "migrate":
		return cmdMigrate(ctx, env, rest)
	case "parse":
		return cmdParse(ctx, env, rest)
	case "ingest":
		return cmdIngest(ctx, env, rest)
	case "source":
		return cmdSource(ctx, env, rest)
	case "story":
		return cmdStory(ctx, env, rest)
	case "token":
		return cmdToken(ctx, env, rest)
	case "webhook":
		return cmdWebhook(ctx, env, rest)
	case "user":
		return cmdUser(ctx, env, rest)
	case "bench":
		return cmdBench(ctx, env, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

// cmdEnv is what a subcommand may touch of the outside world.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (e *cmdEnv) logger(level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l}))
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log_level: %q is not one of debug, info, warn, error", s)
}

func newFlagSet(name string, env *cmdEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
