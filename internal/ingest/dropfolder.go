package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wiredesk/wiredesk/internal/wire"
)

// Default timings of a drop folder.
const (
	DefaultDropScanInterval = 2 * time.Second
	DefaultDropStableFor    = time.Second
)

// Subfolders of a drop folder that processed files are moved into.
const (
	dropDoneDir   = "done"
	dropFailedDir = "failed"
)

// DropFolderConfig configures one drop folder: a directory an agency
// uploads files into over FTP or SFTP.
type DropFolderConfig struct {
	// Dir is the folder watched. Required. Its subfolders done/ and failed/
	// are created when missing.
	Dir string
	// Agency is the agency the files come from, passed to decoding; a
	// payload may name its own. Default "" (the payload's own).
	Agency string
	// Pipeline archives, decodes and applies each file. Required.
	Pipeline *Pipeline
	// Logger receives one line per file processed and per failure.
	// Default: discard.
	Logger *slog.Logger
	// ScanInterval is how often the whole folder is listed, the safety net
	// for missed events and for network filesystems that send none.
	// Default DefaultDropScanInterval (2s).
	ScanInterval time.Duration
	// StableFor is how long a file's size and modification time must stay
	// unchanged before it is taken as completely uploaded. A file renamed
	// into the folder is complete at once. Default DefaultDropStableFor (1s).
	StableFor time.Duration
	// Now is the clock the stability wait is measured on. Default time.Now.
	Now func() time.Time
}

func (c *DropFolderConfig) validate() error {
	if c.Dir == "" {
		return errors.New("drop folder: Dir is required")
	}
	if c.Pipeline == nil {
		return errors.New("drop folder: Pipeline is required")
	}
	if c.ScanInterval < 0 {
		return fmt.Errorf("drop folder %s: ScanInterval %s is negative", c.Dir, c.ScanInterval)
	}
	if c.StableFor < 0 {
		return fmt.Errorf("drop folder %s: StableFor %s is negative", c.Dir, c.StableFor)
	}
	return nil
}

// DropFolder ingests the files dropped into one folder: each complete file
// goes through the pipeline once, then moves to done/ or, when it cannot be
// used, to failed/ beside a .error file saying why. A file that failed for a
// reason on our side (the store is down) stays where it is and is retried.
type DropFolder struct {
	cfg DropFolderConfig
}

// NewDropFolder checks cfg, fills in its defaults and returns the folder,
// ready to Run.
func NewDropFolder(cfg DropFolderConfig) (*DropFolder, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ScanInterval == 0 {
		cfg.ScanInterval = DefaultDropScanInterval
	}
	if cfg.StableFor == 0 {
		cfg.StableFor = DefaultDropStableFor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DropFolder{cfg: cfg}, nil
}

// observation is the last size and modification time seen of a file, and
// since when they have not changed.
type observation struct {
	size    int64
	modTime time.Time
	since   time.Time
	// renamed is set when the file was renamed into place: complete now.
	renamed bool
}

// Run watches the folder until ctx ends, then returns nil once the file
// being processed, if any, is done with. It returns an error only when the
// folder cannot be set up.
func (d *DropFolder) Run(ctx context.Context) error {
	for _, sub := range []string{dropDoneDir, dropFailedDir} {
		if err := os.MkdirAll(filepath.Join(d.cfg.Dir, sub), 0o755); err != nil {
			return fmt.Errorf("drop folder %s: create %s/: %w", d.cfg.Dir, sub, err)
		}
	}

	// Events bring a file in within StableFor of its last write instead of
	// up to a scan interval later; when the watcher cannot be had (inotify
	// limits, a filesystem without events) the scans alone still work.
	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	watcher, err := fsnotify.NewWatcher()
	if err == nil {
		err = watcher.Add(d.cfg.Dir)
		if err != nil {
			watcher.Close()
		}
	}
	if err != nil {
		d.cfg.Logger.WarnContext(ctx, "drop folder: no change events, scanning only", "dir", d.cfg.Dir, "err", err)
	} else {
		defer watcher.Close()
		events, watchErrs = watcher.Events, watcher.Errors
	}

	// One worker processes files one at a time, in the order queued, so the
	// loop below keeps reading events while a large file is delivered.
	work := make(chan string)
	finished := make(chan string)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for name := range work {
			d.process(ctx, name)
			select {
			case finished <- name:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(work)

	seen := map[string]*observation{}
	inFlight := map[string]bool{} // queued or being processed
	var queue []string            // kept in name order
	enqueue := func(name string) {
		if inFlight[name] {
			return
		}
		inFlight[name] = true
		i, _ := slices.BinarySearch(queue, name)
		queue = slices.Insert(queue, i, name)
	}
	scan := func() {
		for _, name := range d.scan(ctx, seen, inFlight) {
			enqueue(name)
		}
	}

	ticker := time.NewTicker(d.cfg.ScanInterval)
	defer ticker.Stop()
	// recheck fires StableFor after a change event, so a file written and
	// closed is taken then rather than at the next scan.
	recheck := time.NewTimer(0)
	defer recheck.Stop()

	for {
		var next chan string
		if len(queue) > 0 {
			next = work
		}
		var head string
		if len(queue) > 0 {
			head = queue[0]
		}
		select {
		case <-ctx.Done():
			return nil
		case next <- head:
			queue = queue[1:]
		case name := <-finished:
			delete(inFlight, name)
			// Forget it: a file left in place for a retry must be seen
			// stable again, which spaces the retries out.
			delete(seen, name)
		case <-ticker.C:
			scan()
		case <-recheck.C:
			scan()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			name, ok := d.eventName(ev)
			if !ok {
				continue
			}
			switch {
			case ev.Has(fsnotify.Create) && renamedInto(ev):
				seen[name] = &observation{renamed: true, since: d.cfg.Now()}
				scan()
			case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
				delete(seen, name)
			default:
				recheck.Reset(d.cfg.StableFor + d.cfg.StableFor/10)
			}
		case err, ok := <-watchErrs:
			if !ok {
				watchErrs = nil
				continue
			}
			// An overflow loses events; the scan finds what they said.
			d.cfg.Logger.WarnContext(ctx, "drop folder: watch error", "dir", d.cfg.Dir, "err", err)
			scan()
		}
	}
}

// eventName returns the base name of the event's file when it is one of the
// folder's own entries that could be a payload.
func (d *DropFolder) eventName(ev fsnotify.Event) (string, bool) {
	if filepath.Dir(ev.Name) != filepath.Clean(d.cfg.Dir) {
		return "", false
	}
	name := filepath.Base(ev.Name)
	return name, candidateName(name)
}

// renamedInto reports whether a Create event is the arrival end of a
// rename. fsnotify v1.10.1 keeps the old name in an unexported field and
// shows it only in String, as `CREATE "new" ← "old"`; the names are quoted,
// so the arrow after the quoted new name cannot come from inside a name.
// Should the format change, renamed files fall back to the stability wait:
// slower, never wrong.
func renamedInto(ev fsnotify.Event) bool {
	return strings.HasPrefix(ev.String(), fmt.Sprintf("%-13s %q ← ", ev.Op.String(), ev.Name))
}

// candidateName reports whether a file name may be a payload: hidden files
// and uploads in progress are not.
func candidateName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, ext := range []string{".tmp", ".part", ".filepart"} {
		if strings.HasSuffix(name, ext) {
			return false
		}
	}
	return true
}

// scan lists the folder, updates what is known of each candidate file and
// returns the ones complete and not in flight, in name order.
func (d *DropFolder) scan(ctx context.Context, seen map[string]*observation, inFlight map[string]bool) []string {
	entries, err := os.ReadDir(d.cfg.Dir)
	if err != nil {
		d.cfg.Logger.WarnContext(ctx, "drop folder: list", "dir", d.cfg.Dir, "err", err)
		return nil
	}
	now := d.cfg.Now()
	present := make(map[string]bool, len(entries))
	var ready []string
	for _, e := range entries { // ReadDir returns them in name order
		name := e.Name()
		if !e.Type().IsRegular() || !candidateName(name) || inFlight[name] {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone since listed
		}
		present[name] = true
		o := seen[name]
		switch {
		case o != nil && o.renamed:
			ready = append(ready, name)
		case o == nil || o.size != fi.Size() || !o.modTime.Equal(fi.ModTime()):
			seen[name] = &observation{size: fi.Size(), modTime: fi.ModTime(), since: now}
		case now.Sub(o.since) >= d.cfg.StableFor:
			ready = append(ready, name)
		}
	}
	for name := range seen {
		if !present[name] && !inFlight[name] {
			delete(seen, name)
		}
	}
	return ready
}

// process delivers one complete file and moves it to done/ or failed/; on
// a failure on our side it leaves it in place for the next scan.
func (d *DropFolder) process(ctx context.Context, name string) {
	path := filepath.Join(d.cfg.Dir, name)
	log := d.cfg.Logger.With("dir", d.cfg.Dir, "file", name)
	body, err := readDropped(path)
	if errors.Is(err, fs.ErrNotExist) {
		return // taken away before we got to it
	}
	if err != nil {
		d.fail(ctx, log, name, fmt.Errorf("read %s: %w", name, err))
		return
	}
	res, err := d.cfg.Pipeline.Deliver(ctx, &DeliverParams{Origin: "file://" + path, Body: body, Agency: d.cfg.Agency})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if errors.As(err, new(*wire.Error)) {
			d.fail(ctx, log, name, err)
			return
		}
		log.WarnContext(ctx, "drop folder: delivery failed, file left for the next scan", "err", err)
		return
	}
	dest, err := moveAside(filepath.Join(d.cfg.Dir, dropDoneDir), path, "")
	if err != nil {
		// The file is redelivered next scan; applying is idempotent.
		log.ErrorContext(ctx, "drop folder: move to done/", "err", err)
		return
	}
	log.InfoContext(ctx, "drop folder: ingested", "moved_to", dest, "result", res.Summary())
	for _, s := range res.Skipped {
		log.WarnContext(ctx, "skipped item", "reason", s)
	}
}

// fail moves a file that cannot be used to failed/, with the reason beside it.
func (d *DropFolder) fail(ctx context.Context, log *slog.Logger, name string, reason error) {
	path := filepath.Join(d.cfg.Dir, name)
	dest, err := moveAside(filepath.Join(d.cfg.Dir, dropFailedDir), path, ".error")
	if err != nil {
		log.ErrorContext(ctx, "drop folder: move to failed/", "reason", reason, "err", err)
		return
	}
	if err := os.WriteFile(dest+".error", []byte(reason.Error()+"\n"), 0o644); err != nil {
		log.ErrorContext(ctx, "drop folder: write error file", "reason", reason, "err", err)
	}
	log.WarnContext(ctx, "drop folder: file failed", "moved_to", dest, "reason", reason)
}

// readDropped reads a whole file, refusing one over wire.MaxDocumentBytes
// before reading it.
func readDropped(path string) ([]byte, error) {
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
	// One byte past the bound tells a file that grew while read.
	b, err := io.ReadAll(io.LimitReader(f, wire.MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > wire.MaxDocumentBytes {
		return nil, fmt.Errorf("file grew over the %d MiB limit for one document while being read", wire.MaxDocumentBytes>>20)
	}
	return b, nil
}

// maxClashSuffix bounds the search for a free name; past it something is
// wrong with the folder and the file stays where it is.
const maxClashSuffix = 10000

// moveAside moves path into dir under its own name, or name.1, name.2...
// when taken, and returns where it went. It never overwrites: the new name
// is made with a hard link, which fails when the name exists. companion is
// the extension of a file to be written beside it (".error"), whose name
// must be free too.
func moveAside(dir, path, companion string) (string, error) {
	base := filepath.Base(path)
	for n := 0; n < maxClashSuffix; n++ {
		dest := filepath.Join(dir, base)
		if n > 0 {
			dest += "." + strconv.Itoa(n)
		}
		if companion != "" {
			if _, err := os.Lstat(dest + companion); err == nil {
				continue
			}
		}
		err := os.Link(path, dest)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			// Some filesystems (network, FAT) have no hard links: check
			// then rename, which can only race another mover.
			if _, serr := os.Lstat(dest); serr == nil {
				continue
			}
			if rerr := os.Rename(path, dest); rerr != nil {
				return "", fmt.Errorf("move %s to %s: %w", base, dest, rerr)
			}
			return dest, nil
		}
		if err := os.Remove(path); err != nil {
			return "", fmt.Errorf("move %s to %s: remove original: %w", base, dest, err)
		}
		return dest, nil
	}
	return "", fmt.Errorf("move %s into %s: no free name after %d tries", base, dir, maxClashSuffix)
}
