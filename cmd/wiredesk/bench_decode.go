package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// benchDecode measures decoding (detection, parsing, sanitizing, building
// the item) per format over the corpus's documents, beside a raw token
// scan of the same bytes: encoding/xml's RawToken or encoding/json's
// Token, which is the least any decoder must do. Each figure is the median
// of cfg.runs passes over the same documents.
func benchDecode(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Decode throughput per format (%d documents per format, median of %d passes)", cfg.decodeItems, cfg.runs),
		header: []string{"format", "decode MB/s", "decode items/s", "token scan MB/s", "decode / scan"},
	}
	for _, format := range corpus.Formats() {
		var docs [][]byte
		var size int64
		err := corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.decodeItems, Formats: []string{format}}).Each(func(d *corpus.Delivery) error {
			docs = append(docs, d.Body)
			size += int64(len(d.Body))
			return nil
		})
		if err != nil {
			return sec, err
		}
		scan := scanXML
		if format == corpus.FormatNinjs {
			scan = scanJSON
		}
		var decodeMBs, decodeItems, scanMBs []float64
		for run := range cfg.runs {
			if ctx.Err() != nil {
				return sec, ctx.Err()
			}
			start := time.Now()
			for i, doc := range docs {
				res, err := decode.Decode(doc, &wire.Options{})
				if err != nil || len(res.Items) != 1 {
					return sec, fmt.Errorf("%s document %d does not decode to one item: %v", format, i, err)
				}
			}
			d := time.Since(start).Seconds()
			decodeMBs = append(decodeMBs, float64(size)/1e6/d)
			decodeItems = append(decodeItems, float64(len(docs))/d)

			start = time.Now()
			for i, doc := range docs {
				if err := scan(doc); err != nil {
					return sec, fmt.Errorf("%s document %d: token scan: %w", format, i, err)
				}
			}
			scanMBs = append(scanMBs, float64(size)/1e6/time.Since(start).Seconds())
			fmt.Fprintf(env.stderr, "decode %s: pass %d of %d\n", format, run+1, cfg.runs)
		}
		dm, sm := median(decodeMBs), median(scanMBs)
		sec.rows = append(sec.rows, []string{
			format, fmt.Sprintf("%.1f", dm), fmt.Sprintf("%.0f", median(decodeItems)), fmt.Sprintf("%.1f", sm), fmt.Sprintf("%.2f", dm/sm),
		})
		sec.notes = append(sec.notes[:0], fmt.Sprintf("Documents from the corpus (seed %d): one item each, bodies of 150 to 3,800 words; "+
			"the token scan is encoding/xml RawToken (NewsML-G2, NITF, RSS) or encoding/json Token (ninjs) over the same bytes.", cfg.seed))
	}
	return sec, nil
}

func scanXML(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.RawToken(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func scanJSON(doc []byte) error {
	d := json.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
