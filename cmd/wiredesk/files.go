package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// cmdParse decodes files and prints one canonical item JSON per line. A file
// that cannot be decoded is named on stderr and the others still go through.
func cmdParse(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("parse", env)
	agency := fs.String("agency", "", "agency name for items whose payload names none")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.stderr, "usage: wiredesk parse [--agency NAME] FILE...")
		return errUsage
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, path := range fs.Args() {
		b, err := readDocument(path)
		if err != nil {
			fmt.Fprintf(env.stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		res, err := decode.Decode(b, &wire.Options{Agency: *agency, SHA256: story.SHA256Hex(b)})
		if err != nil {
			fmt.Fprintf(env.stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		for _, sk := range res.Skipped {
			fmt.Fprintf(env.stderr, "%s: skipped item %d: %s\n", path, sk.Index, sk.Reason)
		}
		for i := range res.Items {
			if err := enc.Encode(&res.Items[i]); err != nil {
				return fmt.Errorf("write item: %w", err)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed: %w", failed, fs.NArg(), errSomeFailed)
	}
	return nil
}

// cmdIngest pushes files through the same pipeline a polled source uses, in
// the order given (folders in name order), one summary line per file.
func cmdIngest(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("ingest", env)
	var cf configFlags
	cf.register(fs, false)
	agency := fs.String("agency", "", "agency name for items whose payload names none")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.stderr, "usage: wiredesk ingest [--data DIR | --database-url URL] [--agency NAME] PATH...")
		return errUsage
	}
	cfg, err := cf.load(env.getenv)
	if err != nil {
		return err
	}
	paths, err := expandPaths(fs.Args())
	if err != nil {
		return err
	}
	logger := env.logger(cfg.LogLevel)
	b, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer b.store.Close()
	if err := b.migrate(ctx, logger); err != nil {
		return err
	}
	// The runner is not run here: the events and embargo releases that
	// ingesting enqueues wait in the database for `wiredesk serve`.
	runner, err := b.newJobs(jobs.Config{Logger: logger, Store: b.store, Poll: noPoll})
	if err != nil {
		return err
	}
	pipeline := ingest.NewPipeline(b.store, apply.New(b.store, runner, nil), logger, nil)
	failed := 0
	for _, path := range paths {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		body, err := readDocument(path)
		if err != nil {
			fmt.Fprintf(env.stdout, "%s: error: %v\n", path, err)
			failed++
			continue
		}
		res, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: path, Body: body, Agency: *agency})
		if err != nil {
			fmt.Fprintf(env.stdout, "%s: error: %v\n", path, err)
			failed++
			continue
		}
		fmt.Fprintf(env.stdout, "%s: %s\n", path, res.Summary())
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed: %w", failed, len(paths), errSomeFailed)
	}
	return nil
}

// readDocument reads a file to decode, refusing one over the decoders'
// bound before reading it, so a huge file costs no memory.
func readDocument(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > wire.MaxDocumentBytes {
		return nil, fmt.Errorf("file is %d MiB, over the %d MiB limit for one document", fi.Size()>>20, wire.MaxDocumentBytes>>20)
	}
	// Read at most one byte past the bound: the file may grow while read.
	b, err := io.ReadAll(io.LimitReader(f, wire.MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > wire.MaxDocumentBytes {
		return nil, fmt.Errorf("file grew over the %d MiB limit for one document while being read", wire.MaxDocumentBytes>>20)
	}
	return b, nil
}

// expandPaths turns folders into the regular files beneath them, in name
// order, skipping hidden ones; files named directly are kept as given.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", a, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
