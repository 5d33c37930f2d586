package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/site"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/story"
)

// scaleBatch is how many stories the bulk loader writes per transaction.
const scaleBatch = 1000

// scaleQueries are the searches the scale part times, in turn: one common
// word, then rarer pairs and triples, all in the corpus's English
// vocabulary.
func scaleQueries() []string {
	return []string{"harbour", "ferry passengers", "minister budget", "wildfire evacuation", "union strike talks", "museum exhibition"}
}

// loadFigures is what the bulk load gave.
type loadFigures struct {
	stories  int
	wall     time.Duration
	rawBytes int64 // the bytes the agencies would have sent for them
	workers  int   // goroutines preparing stories for the writer
}

// benchScale stores cfg.scaleStories stories in a fresh SQLite store with
// the bulk loader (or reuses the one --scale-db names), then serves the
// site's real handlers from it without the response cache, and times the
// home page and searches one request at a time, watching the process's
// memory.
func benchScale(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Scale: %d stories stored (SQLite)", cfg.scaleStories),
		header: []string{"page", "requests", "p50", "p95", "p99", "max"},
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := scaleDatabase(ctx, env, cfg, logger)
	if db != nil {
		defer db.cleanup()
	}
	if err != nil {
		return sec, err
	}
	sec.title = fmt.Sprintf("Scale: %d stories stored (SQLite)", db.stories)
	dbBytes := fileSizes(db.path, db.path+"-wal", db.path+"-shm")

	// What the load left in this process's heap is garbage now: give it
	// back, so the memory measured is the serving store's.
	runtime.GC()
	debug.FreeOSMemory()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: db.path, Logger: logger})
	if err != nil {
		return sec, fmt.Errorf("reopen SQLite store: %w", err)
	}
	defer s.Close()
	st, err := site.New(site.Config{Store: s, Logger: logger})
	if err != nil {
		return sec, err
	}
	mux := http.NewServeMux()
	st.Register(mux)
	srv := server.New(server.Config{Addr: "127.0.0.1:0", Handler: mux, Logger: logger, Ready: s.Ping})
	srvCtx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Run(srvCtx) }()
	defer func() {
		stopServer()
		if err := <-served; err != nil {
			fmt.Fprintln(env.stderr, "bench: scale server:", err)
		}
	}()
	select {
	case <-srv.Listening():
	case err := <-served:
		served <- err // for the deferred wait
		return sec, fmt.Errorf("scale server: %w", err)
	}
	base := "http://" + srv.Addr()
	rssBefore, _ := processMemory()

	var peak atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampled sync.WaitGroup
	sampled.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			rss, _ := processMemory()
			peak.Store(max(peak.Load(), int64(rss*(1<<20))))
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
			}
		}
	})
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	type timed struct {
		name string
		lat  []time.Duration
	}
	home := &timed{name: "home (`/`)"}
	searches := &timed{name: "search, all queries"}
	perQuery := map[string]*timed{}
	bar := newProgress(env.stderr, "scale: requests", 2*cfg.scaleRequests)
	var reqErr error
	for i := range cfg.scaleRequests {
		d, err := timeGet(ctx, client, base+"/")
		if err != nil {
			reqErr = err
			break
		}
		home.lat = append(home.lat, d)
		q := scaleQueries()[i%len(scaleQueries())]
		d, err = timeGet(ctx, client, base+"/search?q="+url.QueryEscape(q))
		if err != nil {
			reqErr = err
			break
		}
		searches.lat = append(searches.lat, d)
		if perQuery[q] == nil {
			perQuery[q] = &timed{name: fmt.Sprintf("search `%s`", q)}
		}
		perQuery[q].lat = append(perQuery[q].lat, d)
		bar.update(2 * (i + 1))
	}
	bar.done(2 * cfg.scaleRequests)
	stopSampling()
	sampled.Wait()
	rssAfter, _ := processMemory()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	if reqErr != nil {
		return sec, reqErr
	}

	rows := []*timed{home, searches}
	for _, q := range scaleQueries() {
		if perQuery[q] != nil {
			rows = append(rows, perQuery[q])
		}
	}
	for _, r := range rows {
		slices.Sort(r.lat)
		p95 := ms(percentile(r.lat, 95))
		if r == home || r == searches {
			p95 = "**" + p95 + "**"
		}
		sec.rows = append(sec.rows, []string{r.name, fmt.Sprint(len(r.lat)), ms(percentile(r.lat, 50)), p95, ms(percentile(r.lat, 99)), ms(percentile(r.lat, 100))})
	}
	sec.notes = append(sec.notes,
		fmt.Sprintf("Memory while serving: resident set **%.0f MiB** at its peak (sampled every 50 ms), %.0f MiB before the first request, %.0f MiB after the last; Go heap in use %d MiB. "+
			"Database size: **%.0f MiB** (the file with its WAL). Targets: search p95 at most 50 ms, memory at most 200 MB.",
			float64(peak.Load())/(1<<20), rssBefore, rssAfter, mem.HeapInuse>>20, float64(dbBytes)/(1<<20)),
		fmt.Sprintf("Requests are sent one at a time over loopback HTTP to the site's real handlers (internal/site behind internal/server's middleware) "+
			"with the response cache **off**: every page is rendered from the store. The home page and the searches alternate, the searches rotating over the queries listed. "+
			"The store is reopened after loading and the load's garbage returned to the OS first, so memory is the serving store's, in the same process; "+
			"the OS page cache is as the load (or, for a reused database, whatever ran before) left it."),
		db.note(cfg))
	return sec, nil
}

// scaleDB is the database the scale part measures and how it came to be.
type scaleDB struct {
	path    string
	stories int
	load    *loadFigures // nil when an earlier run loaded it
	kept    bool         // at --scale-db, for later runs
	cleanup func()
}

// scaleDatabase gives the database to measure. Without --scale-db it loads
// a temporary one, which cleanup removes. With it, a file already there is
// reused as it is; else the stories are loaded beside it and the file
// renamed into place once the load is complete, so that a load cut short
// is never taken for a finished one.
func scaleDatabase(ctx context.Context, env *cmdEnv, cfg *benchConfig, logger *slog.Logger) (*scaleDB, error) {
	if cfg.scaleDB == "" {
		dir, err := os.MkdirTemp("", "wiredesk-bench-")
		if err != nil {
			return nil, fmt.Errorf("scale database: %w", err)
		}
		db := &scaleDB{path: filepath.Join(dir, "wiredesk.db"), cleanup: func() { os.RemoveAll(dir) }}
		db.load, err = loadScaleDatabase(ctx, env, cfg, logger, db.path)
		if err != nil {
			return db, err
		}
		db.stories = db.load.stories
		return db, nil
	}
	db := &scaleDB{path: cfg.scaleDB, kept: true, cleanup: func() {}}
	switch _, err := os.Stat(db.path); {
	case err == nil:
		n, err := reuseScaleDatabase(ctx, logger, db.path)
		if err != nil {
			return db, err
		}
		db.stories = n
		if n != cfg.scaleStories {
			fmt.Fprintf(env.stderr, "bench: scale: %s holds %d stories, not --scale-stories %d; measuring it as it is\n", db.path, n, cfg.scaleStories)
		}
		return db, nil
	case !errors.Is(err, os.ErrNotExist):
		return db, fmt.Errorf("--scale-db: %w", err)
	}
	loading := db.path + ".loading"
	files := func(p string) []string { return []string{p + "-wal", p + "-shm", p} }
	removeLoading := func() error {
		for _, f := range files(loading) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove unfinished load: %w", err)
			}
		}
		return nil
	}
	if err := removeLoading(); err != nil { // left by a run killed while loading
		return db, err
	}
	load, err := loadScaleDatabase(ctx, env, cfg, logger, loading)
	if err != nil {
		return db, errors.Join(err, removeLoading())
	}
	// The main file last: once it is in place, so is everything it needs.
	dst := files(db.path)
	for i, f := range files(loading) {
		if err := os.Rename(f, dst[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return db, fmt.Errorf("keep loaded database: %w", err)
		}
	}
	db.load, db.stories = load, load.stories
	return db, nil
}

// loadScaleDatabase creates the SQLite store at path and bulk-loads it.
func loadScaleDatabase(ctx context.Context, env *cmdEnv, cfg *benchConfig, logger *slog.Logger, path string) (*loadFigures, error) {
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open SQLite store: %w", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	return bulkLoad(ctx, env, s, cfg)
}

// reuseScaleDatabase migrates a database loaded by an earlier run, so one
// loaded before a new migration is brought up to date as a deployed one
// would be, and counts its stories.
func reuseScaleDatabase(ctx context.Context, logger *slog.Logger, path string) (int, error) {
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: logger})
	if err != nil {
		return 0, fmt.Errorf("open SQLite store %s: %w", path, err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return 0, fmt.Errorf("migrate store %s: %w", path, err)
	}
	n, err := s.CountStories(ctx)
	if err != nil {
		return 0, fmt.Errorf("count stories in %s: %w", path, err)
	}
	return n, nil
}

// note says where the stories came from.
func (db *scaleDB) note(cfg *benchConfig) string {
	if db.load == nil {
		return fmt.Sprintf("The database %s was loaded by an earlier run (`--scale-db`) and reused as it was: %d stories, written by the bulk loader described with that run's figures.", db.path, db.stories)
	}
	load := db.load
	kept := ""
	if db.kept {
		kept = fmt.Sprintf(" The database is kept at %s for later runs (`--scale-db`).", db.path)
	}
	return fmt.Sprintf("The stories were written by a bulk loader, not through the pipeline (which runs at about 100 to 2,000 items/s): corpus seed %d, first versions only, all four formats, "+
		"%d stories per transaction through the store's own transaction primitives (LockStory, InsertVersion, SetFingerprint, SetSection, SetCurrent), "+
		"so search and tags are indexed as apply indexes them; fingerprints, version keys, slugs and sections are computed on %d worker goroutines ahead of the one writer, "+
		"which stores the stories in corpus order; %d stories in %s (%.0f/s). "+
		"Unlike the pipeline it archives no raw deliveries (the agencies' documents for these stories would add %.0f MiB), looks for no duplicates and enqueues no jobs.%s",
		cfg.seed, scaleBatch, load.workers, load.stories, load.wall.Round(time.Second), float64(load.stories)/load.wall.Seconds(), float64(load.rawBytes)/(1<<20), kept)
}

// loadBatch is up to scaleBatch corpus stories on their way to the store:
// the corpus fills stories[i].item, a worker prepares them all and closes
// ready, and the writer, taking batches in corpus order, waits for ready
// and writes them in one transaction.
type loadBatch struct {
	stories []preparedStory
	ready   chan struct{}
}

// preparedStory is one corpus item with everything loadStory needs that
// takes CPU but no store computed beforehand, off the writer's goroutine:
// SQLite has one writer, so whatever it does not have to do itself is
// throughput.
type preparedStory struct {
	item          *story.Item
	agency, slug  string
	key, section  string
	at, published time.Time
	fingerprinted bool
	sha           string
	minHash       []uint32
	bands         []uint64
}

func (p *preparedStory) prepare() {
	it := p.item
	p.at = time.Now().UTC()
	if it.VersionCreated != nil {
		p.at = it.VersionCreated.UTC()
	}
	p.published = p.at
	if it.FirstCreated != nil {
		p.published = it.FirstCreated.UTC()
	}
	p.agency = strings.TrimSpace(it.Source.Agency)
	p.slug = story.Slug(it.Headline)
	p.key = story.VersionKey(it)
	p.section = story.SectionFor(it)
	p.sha, p.minHash, p.bands, p.fingerprinted = dedup.Fingerprint(it.BodyText)
}

// bulkLoad writes cfg.scaleStories corpus stories, published, in
// transactions of scaleBatch stories. The corpus is generated on one
// goroutine, the stories prepared on GOMAXPROCS workers, and written on
// the caller's, in corpus order, so the same seed gives the same story ids.
func bulkLoad(ctx context.Context, env *cmdEnv, s store.Store, cfg *benchConfig) (*loadFigures, error) {
	f := &loadFigures{workers: runtime.GOMAXPROCS(0)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		work    = make(chan *loadBatch)
		ordered = make(chan *loadBatch, 2*f.workers) // how far the corpus runs ahead of the writer
		running sync.WaitGroup
		corpErr error
	)
	running.Go(func() {
		defer close(work)
		defer close(ordered)
		var b *loadBatch
		send := func() error {
			for _, ch := range []chan *loadBatch{work, ordered} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			b = nil
			return nil
		}
		corpErr = corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.scaleStories, Mix: &corpus.Mix{}}).Each(func(d *corpus.Delivery) error {
			if b == nil {
				b = &loadBatch{stories: make([]preparedStory, 0, scaleBatch), ready: make(chan struct{})}
			}
			f.rawBytes += int64(len(d.Body))
			b.stories = append(b.stories, preparedStory{item: d.Item})
			if len(b.stories) == scaleBatch {
				return send()
			}
			return nil
		})
		if corpErr == nil && b != nil {
			corpErr = send()
		}
	})
	for range f.workers {
		running.Go(func() {
			for b := range work {
				for i := range b.stories {
					b.stories[i].prepare()
				}
				close(b.ready)
			}
		})
	}

	bar := newProgress(env.stderr, "scale: load", cfg.scaleStories)
	start := time.Now()
	var writeErr error
	for b := range ordered {
		<-b.ready // every batch in ordered went to a worker first, which closes ready
		writeErr = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range b.stories {
				if err := loadStory(ctx, tx, &b.stories[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if writeErr != nil {
			break
		}
		f.stories += len(b.stories)
		bar.update(f.stories)
	}
	cancel() // stops the corpus when the writer stopped early
	running.Wait()
	bar.done(f.stories)
	f.wall = time.Since(start)
	if err := cmp.Or(writeErr, corpErr); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	return f, nil
}

// loadStory stores one prepared item as a new published story, as apply
// does for a first version that no rule holds.
func loadStory(ctx context.Context, tx store.Tx, p *preparedStory) error {
	s, created, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: p.agency, URI: p.item.URI, Slug: p.slug, State: story.Published, At: p.at})
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("story %s %s is in the corpus twice", p.agency, p.item.URI)
	}
	v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
		StoryID: s.ID, Key: p.key, Item: p.item, SourceName: "bench", ReceivedAt: p.at, Applied: true,
	})
	if err != nil {
		return err
	}
	if p.fingerprinted {
		if err := tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: s.ID, VersionID: v.ID, TextSHA256: p.sha, MinHash: p.minHash, Bands: p.bands}); err != nil {
			return err
		}
	}
	if err := tx.SetSection(ctx, s.ID, p.section); err != nil {
		return err
	}
	return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: s.ID, VersionID: v.ID, State: story.Published, PublishedAt: &p.published, At: p.at})
}

// timeGet fetches target, wants 200, and returns how long it took until
// the whole body was read.
func timeGet(ctx context.Context, client *http.Client, target string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", target, resp.Status)
	}
	return d, nil
}

// fileSizes adds up the sizes of the files that exist.
func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			return -1
		}
	}
	return n
}
