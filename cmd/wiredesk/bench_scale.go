package main

import (
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
}

// benchScale stores cfg.scaleStories stories in a fresh SQLite store with
// the bulk loader, then serves the site's real handlers from it without
// the response cache, and times the home page and searches one request at
// a time, watching the process's memory.
func benchScale(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Scale: %d stories stored (SQLite)", cfg.scaleStories),
		header: []string{"page", "requests", "p50", "p95", "p99", "max"},
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir, err := os.MkdirTemp("", "wiredesk-bench-")
	if err != nil {
		return sec, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "wiredesk.db")

	s, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: logger})
	if err != nil {
		return sec, fmt.Errorf("open SQLite store: %w", err)
	}
	load, err := func() (*loadFigures, error) {
		defer s.Close()
		if err := s.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("migrate store: %w", err)
		}
		return bulkLoad(ctx, env, s, cfg)
	}()
	if err != nil {
		return sec, err
	}
	dbBytes := fileSizes(path, path+"-wal", path+"-shm")

	// What the load left in this process's heap is garbage now: give it
	// back, so the memory measured is the serving store's.
	runtime.GC()
	debug.FreeOSMemory()
	s, err = sqlite.Open(ctx, sqlite.Config{Path: path, Logger: logger})
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
			"the OS page cache is as the load left it."),
		fmt.Sprintf("The stories were written by a bulk loader, not through the pipeline (which runs at about 100 to 2,000 items/s): corpus seed %d, first versions only, all four formats, "+
			"%d stories per transaction through the store's own transaction primitives (LockStory, InsertVersion, SetFingerprint, SetSection, SetCurrent), "+
			"so search and tags are indexed as apply indexes them; %d stories in %s (%.0f/s). "+
			"Unlike the pipeline it archives no raw deliveries (the agencies' documents for these stories would add %.0f MiB), looks for no duplicates and enqueues no jobs.",
			cfg.seed, scaleBatch, load.stories, load.wall.Round(time.Second), float64(load.stories)/load.wall.Seconds(), float64(load.rawBytes)/(1<<20)))
	return sec, nil
}

// bulkLoad writes cfg.scaleStories corpus stories, published, in
// transactions of scaleBatch stories.
func bulkLoad(ctx context.Context, env *cmdEnv, s store.Store, cfg *benchConfig) (*loadFigures, error) {
	f := &loadFigures{}
	batch := make([]*story.Item, 0, scaleBatch)
	bar := newProgress(env.stderr, "scale: load", cfg.scaleStories)
	start := time.Now()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, it := range batch {
				if err := loadStory(ctx, tx, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		f.stories += len(batch)
		batch = batch[:0]
		bar.update(f.stories)
		return nil
	}
	err := corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.scaleStories, Mix: &corpus.Mix{}}).Each(func(d *corpus.Delivery) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.rawBytes += int64(len(d.Body))
		batch = append(batch, d.Item)
		if len(batch) == scaleBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	bar.done(f.stories)
	f.wall = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	return f, nil
}

// loadStory stores one item as a new published story, as apply does for a
// first version that no rule holds.
func loadStory(ctx context.Context, tx store.Tx, it *story.Item) error {
	at := time.Now().UTC()
	if it.VersionCreated != nil {
		at = it.VersionCreated.UTC()
	}
	published := at
	if it.FirstCreated != nil {
		published = it.FirstCreated.UTC()
	}
	agency := strings.TrimSpace(it.Source.Agency)
	s, created, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: agency, URI: it.URI, Slug: story.Slug(it.Headline), State: story.Published, At: at})
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("story %s %s is in the corpus twice", agency, it.URI)
	}
	v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{
		StoryID: s.ID, Key: story.VersionKey(it), Item: it, SourceName: "bench", ReceivedAt: at, Applied: true,
	})
	if err != nil {
		return err
	}
	if sha, sig, bands, ok := dedup.Fingerprint(it.BodyText); ok {
		if err := tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: s.ID, VersionID: v.ID, TextSHA256: sha, MinHash: sig, Bands: bands}); err != nil {
			return err
		}
	}
	if err := tx.SetSection(ctx, s.ID, story.SectionFor(it)); err != nil {
		return err
	}
	return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: s.ID, VersionID: v.ID, State: story.Published, PublishedAt: &published, At: at})
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
