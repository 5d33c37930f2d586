package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/site"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// ninjsDoc is one ninjs 2.x item as an agency would push it.
func ninjsDoc(uri string, version int, pubstatus, headline string) []byte {
	return fmt.Appendf(nil, `{"uri": %q, "version": "%d", "type": "text", "pubstatus": %q,
		"versioncreated": "2026-11-29T10:%02d:00Z", "headlines": [{"role": "main", "value": %q}],
		"bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>Body of %s, version %d, with a few more words.</p>"}],
		"infosources": [{"name": "Bench Press", "role": "originator"}]}`, uri, version, pubstatus, version%60, headline, uri, version)
}

// BenchmarkKillToGone measures, for each of b.N stories, the time from a
// kill delivery entering the pipeline to its story answering 410 Gone and
// being off the home page: every output wiredesk serves today. It reports
// p50 and p99 in milliseconds.
func BenchmarkKillToGone(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var s store.Store
			if backend == "sqlite" {
				s = dbtest.SQLite(b)
			} else {
				s = dbtest.Postgres(b)
			}
			ctx := context.Background()
			pipeline := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
			st, err := site.New(site.Config{Store: s})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			st.Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()

			ids := make([]int64, b.N)
			for i := range b.N {
				uri := fmt.Sprintf("bench-%d", i)
				res, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: "bench", Body: ninjsDoc(uri, 1, "usable", "Story "+uri)})
				if err != nil || res.Created != 1 {
					b.Fatalf("publish %s: %v %+v", uri, err, res)
				}
				list, _ := s.ListStories(ctx, &store.ListStoriesParams{Limit: 1})
				ids[i] = list[0].ID
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				uri := fmt.Sprintf("bench-%d", i)
				start := time.Now()
				if _, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: "bench", Body: ninjsDoc(uri, 2, "canceled", "KILL: "+uri)}); err != nil {
					b.Fatal(err)
				}
				for {
					page := get200(b, fmt.Sprintf("%s/story/%d", srv.URL, ids[i]))
					home := get200(b, srv.URL+"/")
					if page.code == http.StatusGone && !strings.Contains(home.body, fmt.Sprintf("/story/%d/", ids[i])) {
						break
					}
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

type fetched struct {
	code int
	body string
}

// get200 fetches url without following redirects.
func get200(b *testing.B, url string) fetched {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fetched{resp.StatusCode, string(body)}
}
