package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// baseSignature is the MinHash signature the near duplicates below are
// made from. Its values have the top bit set, and so do about half of its
// band keys, which only survive the trip through a signed 64-bit column if
// they are stored bit for bit.
func baseSignature() []uint32 {
	sig := make([]uint32, dedup.SignatureSize)
	for i := range sig {
		sig[i] = 0xC0FFEE00 | uint32(i)
	}
	return sig
}

// agreeing is baseSignature changed (by adding salt) in every position
// where equal is false. Distinct salts keep the variants of different
// stories from agreeing with each other where they differ from the base.
func agreeing(salt uint32, equal func(i int) bool) []uint32 {
	sig := baseSignature()
	for i := range sig {
		if !equal(i) {
			sig[i] += salt
		}
	}
	return sig
}

// firstK agrees with baseSignature in its first k positions, so shares its
// first k/BandRows bands.
func firstK(salt uint32, k int) []uint32 {
	return agreeing(salt, func(i int) bool { return i < k })
}

// fingerprinted is one version of a story with its fingerprint.
type fingerprinted struct {
	sha string
	sig []uint32
}

// addFingerprinted stores a version of the story with each fingerprint and
// returns their ids.
func addFingerprinted(ctx context.Context, tx store.Tx, storyID int64, fps ...fingerprinted) ([]int64, error) {
	var ids []int64
	for i, fp := range fps {
		key := fmt.Sprintf("fp:%d", i+2)
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: storyID, Key: key,
			Item: &story.Item{URI: fmt.Sprintf("story-%d", storyID), Headline: key}, ReceivedAt: at})
		if err != nil {
			return nil, err
		}
		if err := setFingerprint(ctx, tx, storyID, v.ID, fp); err != nil {
			return nil, err
		}
		ids = append(ids, v.ID)
	}
	return ids, nil
}

func setFingerprint(ctx context.Context, tx store.Tx, storyID, versionID int64, fp fingerprinted) error {
	return tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: storyID, VersionID: versionID,
		TextSHA256: fp.sha, MinHash: fp.sig, Bands: dedup.Bands(fp.sig)})
}

func testFindSimilar(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	base := baseSignature()
	// Similar, yet differing in row 0 of every band: no band key in common.
	noBand := agreeing(9, func(i int) bool { return i%dedup.BandRows != 0 })
	if sim := dedup.Similarity(base, noBand); sim < dedup.MinSimilarity {
		t.Fatalf("the no-band signature has similarity %v, want it similar enough to count", sim)
	}
	seeds := []struct {
		name  string
		state story.State
		fps   []fingerprinted
		// replace, when set, fingerprints the first version again.
		replace *fingerprinted
	}{
		{name: "self", state: story.Published, fps: []fingerprinted{{"text-S", base}}},
		{name: "exact", state: story.Published, fps: []fingerprinted{{"text-S", base}}},
		// Same text, yet a signature differing in every position: the text
		// hash alone finds it.
		{name: "same-text-far-sig", state: story.Published, fps: []fingerprinted{{"text-S", firstK(1, 0)}}},
		{name: "same-text-no-sig", state: story.Published, fps: []fingerprinted{{"text-S", nil}}},
		// Either side of MinSimilarity 0.6: 77/128 = 0.602, 76/128 = 0.594;
		// both share 19 bands.
		{name: "77-of-128", state: story.Published, fps: []fingerprinted{{"text-77", firstK(2, 77)}}},
		{name: "76-of-128", state: story.Published, fps: []fingerprinted{{"text-76", firstK(3, 76)}}},
		// One band in common and nothing else: a candidate, never similar.
		{name: "one-band", state: story.Published, fps: []fingerprinted{{"text-4", firstK(4, 4)}}},
		// 96 of 128 equal, similarity 0.75, but no band in common: the
		// miss locality-sensitive hashing accepts so as not to compare
		// every version. It is never found.
		{name: "similar-no-band", state: story.Published, fps: []fingerprinted{{"text-nb", noBand}}},
		{name: "killed-120", state: story.Killed, fps: []fingerprinted{{"text-k", firstK(5, 120)}}},
		// Several versions: the story comes once, at the similarity of its
		// closest version, and identical if any version is.
		{name: "two-versions", state: story.Published, fps: []fingerprinted{{"text-t1", firstK(6, 80)}, {"text-t2", firstK(7, 100)}}},
		{name: "identical-then-near", state: story.Published, fps: []fingerprinted{{"text-S", firstK(8, 0)}, {"text-t3", firstK(10, 90)}}},
		// A second SetFingerprint of a version replaces the first, band
		// keys and all.
		{name: "was-near-now-far", state: story.Published, fps: []fingerprinted{{"text-S", base}}, replace: &fingerprinted{"text-r1", firstK(11, 0)}},
		{name: "was-far-now-near", state: story.Published, fps: []fingerprinted{{"text-r2", firstK(12, 0)}}, replace: &fingerprinted{"text-r3", firstK(13, 112)}},
		{name: "far", state: story.Published, fps: []fingerprinted{{"text-far", firstK(14, 0)}}},
		// Fingerprinted without a text hash: must not be found by a query
		// that has none either.
		{name: "no-text-hash", state: story.Published, fps: []fingerprinted{{"", firstK(15, 0)}}},
		{name: "no-fingerprint", state: story.Published},
	}
	ids := map[string]int64{}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, sd := range seeds {
			id, _, err := seedStory(ctx, tx, "ap", "urn:"+sd.name, sd.state, nil)
			if err != nil {
				return err
			}
			ids[sd.name] = id
			versions, err := addFingerprinted(ctx, tx, id, sd.fps...)
			if err != nil {
				return fmt.Errorf("fingerprint %s: %w", sd.name, err)
			}
			if sd.replace != nil {
				if err := setFingerprint(ctx, tx, id, versions[0], *sd.replace); err != nil {
					return fmt.Errorf("fingerprint %s again: %w", sd.name, err)
				}
			}
		}
		_, err := tx.MergeClusters(ctx, []int64{ids["77-of-128"], ids["killed-120"]})
		return err
	})
	cluster := ids["77-of-128"]

	type hit struct {
		name       string
		identical  bool
		similarity float64
	}
	of128 := func(k int) float64 { return float64(k) / 128 }
	query := func(storyID int64, sha string, sig []uint32, minSimilarity float64) store.FindSimilarParams {
		return store.FindSimilarParams{StoryID: storyID, TextSHA256: sha, MinHash: sig, Bands: dedup.Bands(sig), MinSimilarity: minSimilarity}
	}
	tests := []struct {
		name string
		p    store.FindSimilarParams
		want []hit
	}{
		{
			name: "identical text, or similar through a shared band; killed included, self excluded",
			p:    query(ids["self"], "text-S", base, dedup.MinSimilarity),
			want: []hit{{"exact", true, 1}, {"same-text-far-sig", true, 1}, {"same-text-no-sig", true, 1},
				{"77-of-128", false, of128(77)}, {"killed-120", false, of128(120)}, {"two-versions", false, of128(100)},
				{"identical-then-near", true, 1}, {"was-far-now-near", false, of128(112)}},
		},
		{
			name: "at similarity 0 every candidate sharing a band comes, and still none that shares no band",
			p:    query(ids["self"], "text-S", base, 0),
			want: []hit{{"exact", true, 1}, {"same-text-far-sig", true, 1}, {"same-text-no-sig", true, 1},
				{"77-of-128", false, of128(77)}, {"76-of-128", false, of128(76)}, {"one-band", false, of128(4)},
				{"killed-120", false, of128(120)}, {"two-versions", false, of128(100)},
				{"identical-then-near", true, 1}, {"was-far-now-near", false, of128(112)}},
		},
		{
			name: "at similarity 1, identical text and equal signatures",
			p:    query(ids["self"], "text-S", base, 1),
			want: []hit{{"exact", true, 1}, {"same-text-far-sig", true, 1}, {"same-text-no-sig", true, 1}, {"identical-then-near", true, 1}},
		},
		{
			name: "without a text hash only the signature counts",
			p:    query(ids["self"], "", base, dedup.MinSimilarity),
			want: []hit{{"exact", false, 1}, {"77-of-128", false, of128(77)}, {"killed-120", false, of128(120)},
				{"two-versions", false, of128(100)}, {"identical-then-near", false, of128(90)}, {"was-far-now-near", false, of128(112)}},
		},
		{
			name: "without band keys only the text hash finds",
			p:    store.FindSimilarParams{StoryID: ids["self"], TextSHA256: "text-S", MinHash: base, MinSimilarity: dedup.MinSimilarity},
			want: []hit{{"exact", true, 1}, {"same-text-far-sig", true, 1}, {"same-text-no-sig", true, 1}, {"identical-then-near", true, 1}},
		},
		{
			name: "from another story, the first is found and the asker is not",
			p:    query(ids["exact"], "text-S", base, 1),
			want: []hit{{"self", true, 1}, {"same-text-far-sig", true, 1}, {"same-text-no-sig", true, 1}, {"identical-then-near", true, 1}},
		},
		{
			name: "nothing similar",
			p:    query(ids["self"], "text-none", firstK(99, 0), 0),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []*store.SimilarStory
			for _, h := range tt.want {
				c := &store.SimilarStory{ID: ids[h.name], Identical: h.identical, Similarity: h.similarity}
				if h.name == "77-of-128" || h.name == "killed-120" {
					c.ClusterID = cluster
				}
				want = append(want, c)
			}
			sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
			var got []*store.SimilarStory
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				var err error
				got, err = tx.FindSimilar(ctx, &tt.p)
				return err
			})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FindSimilar (-want +got):\n%s\nstory ids: %v", diff, ids)
			}
		})
	}
}

func testMergeClusters(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	tests := []struct {
		name   string
		merges [][]string
		// wantReturned is what each merge returns, as a story letter.
		wantReturned []string
		// wantCluster maps each story to the letter of its cluster; ""
		// means alone.
		wantCluster map[string]string
	}{
		{
			name:         "pairs, then a bridge between them",
			merges:       [][]string{{"a", "b"}, {"c", "d"}, {"b", "c"}},
			wantReturned: []string{"a", "c", "a"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "a", "d": "a", "e": ""},
		},
		{
			name:         "the bridge first: the same partition",
			merges:       [][]string{{"b", "c"}, {"c", "d"}, {"a", "b"}},
			wantReturned: []string{"b", "b", "a"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "a", "d": "a", "e": ""},
		},
		{
			name:         "ids given in reverse: the same partition",
			merges:       [][]string{{"d", "c"}, {"b", "a"}, {"c", "b"}},
			wantReturned: []string{"c", "a", "a"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "a", "d": "a", "e": ""},
		},
		{
			name:         "all at once",
			merges:       [][]string{{"d", "b", "e", "a", "c"}},
			wantReturned: []string{"a"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "a", "d": "a", "e": "a"},
		},
		{
			name:         "unlinked clusters stay apart",
			merges:       [][]string{{"a", "b"}, {"e", "d"}},
			wantReturned: []string{"a", "d"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "", "d": "d", "e": "d"},
		},
		{
			name:         "a lone story stays alone",
			merges:       [][]string{{"c"}, {"c", "c"}},
			wantReturned: []string{"c", "c"},
			wantCluster:  map[string]string{"a": "", "b": "", "c": "", "d": "", "e": ""},
		},
		{
			name:         "one member of a cluster answers with its cluster",
			merges:       [][]string{{"c", "b"}, {"c"}},
			wantReturned: []string{"b", "b"},
			wantCluster:  map[string]string{"a": "", "b": "b", "c": "b", "d": "", "e": ""},
		},
		{
			name:         "merging again changes nothing",
			merges:       [][]string{{"a", "b"}, {"b", "a"}, {"a", "b", "a"}},
			wantReturned: []string{"a", "a", "a"},
			wantCluster:  map[string]string{"a": "a", "b": "a", "c": "", "d": "", "e": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			ids := map[string]int64{}
			letters := map[int64]string{0: ""}
			inTx(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, l := range []string{"a", "b", "c", "d", "e"} {
					id, _, err := seedStory(ctx, tx, "ap", tt.name+"/"+l, story.Published, nil)
					if err != nil {
						return err
					}
					ids[l], letters[id] = id, l
				}
				return nil
			})
			var returned []string
			for _, m := range tt.merges {
				var given []int64
				for _, l := range m {
					given = append(given, ids[l])
				}
				inTx(t, s, func(ctx context.Context, tx store.Tx) error {
					c, err := tx.MergeClusters(ctx, given)
					returned = append(returned, letters[c])
					return err
				})
			}
			if diff := cmp.Diff(tt.wantReturned, returned); diff != "" {
				t.Errorf("MergeClusters returned (-want +got):\n%s", diff)
			}
			got := map[string]string{}
			for l, id := range ids {
				st, err := s.GetStory(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				cl, ok := letters[st.ClusterID]
				if !ok {
					cl = fmt.Sprintf("story %d", st.ClusterID)
				}
				got[l] = cl
			}
			if diff := cmp.Diff(tt.wantCluster, got); diff != "" {
				t.Errorf("clusters (-want +got):\n%s", diff)
			}
		})
	}
}

// testListOnePerCluster checks that the story list shows each cluster once,
// as its smallest visible id, and that the next visible copy takes the
// place of one that is killed or withheld.
func testListOnePerCluster(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	seeds := []struct {
		uri, agency string
		state       story.State
		published   *time.Time
	}{
		{"lead", "ap", story.Published, ptr(at.Add(-time.Hour))},
		{"copy-1", "reuters", story.Published, ptr(at)},
		{"copy-2", "afp", story.Published, ptr(at.Add(time.Hour))},
		{"alone", "dpa", story.Published, ptr(at.Add(-30 * time.Minute))},
		{"embargoed-lead", "ap", story.Embargoed, nil},
		{"visible-second", "pa", story.Published, ptr(at.Add(-2 * time.Hour))},
	}
	ids := map[string]int64{}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, sd := range seeds {
			id, _, err := seedStory(ctx, tx, sd.agency, sd.uri, sd.state, sd.published)
			if err != nil {
				return err
			}
			ids[sd.uri] = id
		}
		if _, err := tx.MergeClusters(ctx, []int64{ids["copy-2"], ids["lead"], ids["copy-1"]}); err != nil {
			return err
		}
		_, err := tx.MergeClusters(ctx, []int64{ids["embargoed-lead"], ids["visible-second"]})
		return err
	})
	setState := func(uri string, state story.State) func(ctx context.Context, tx store.Tx) error {
		return func(ctx context.Context, tx store.Tx) error {
			return tx.SetState(ctx, &store.SetStateParams{StoryID: ids[uri], State: state, At: at.Add(3 * time.Hour)})
		}
	}
	steps := []struct {
		name   string
		change func(ctx context.Context, tx store.Tx) error
		want   []string
	}{
		{"each cluster once, as its first visible story", nil, []string{"alone", "lead", "visible-second"}},
		{"a killed leader gives way to the next visible copy", setState("lead", story.Killed), []string{"copy-1", "alone", "visible-second"}},
		{"and that one withheld, to the next", setState("copy-1", story.WithheldState), []string{"copy-2", "alone", "visible-second"}},
		{"the leader restored takes its place back", setState("lead", story.Published), []string{"alone", "lead", "visible-second"}},
		{"a whole cluster hidden is not listed", func(ctx context.Context, tx store.Tx) error {
			for _, uri := range []string{"lead", "copy-2"} {
				if err := setState(uri, story.Killed)(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		}, []string{"alone", "visible-second"}},
		{"a copy restored is listed again", setState("copy-1", story.Published), []string{"copy-1", "alone", "visible-second"}},
	}
	for _, step := range steps {
		if step.change != nil {
			inTx(t, s, step.change)
		}
		list, err := s.ListStories(ctx, &store.ListStoriesParams{})
		if err != nil {
			t.Fatalf("%s: ListStories: %v", step.name, err)
		}
		var got []string
		for _, st := range list {
			got = append(got, st.URI)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: ListStories (-want +got):\n%s", step.name, diff)
		}

		// Pages of one walk the same list: the cursor skips what the
		// one-per-cluster filter hides.
		var walked []string
		p := &store.ListStoriesParams{Limit: 1}
		for range 10 {
			page, err := s.ListStories(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			walked = append(walked, page[0].URI)
			p.Before = &store.StoryCursor{PublishedAt: page[0].PublishedAt, ID: page[0].ID}
		}
		if diff := cmp.Diff(step.want, walked); diff != "" {
			t.Errorf("%s: pages of one (-want +got):\n%s", step.name, diff)
		}

		// A listed story is the whole story, cluster and all.
		for _, st := range list {
			one, err := s.GetStory(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(one, st); diff != "" {
				t.Errorf("%s: listed %s differs from GetStory (-get +list):\n%s", step.name, st.URI, diff)
			}
		}
	}
}

// testAlsoReportedBy checks "also reported by": the other agencies with a
// visible story in the cluster, each once, sorted, never the story's own.
func testAlsoReportedBy(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	seeds := []struct {
		uri, agency string
		state       story.State
	}{
		{"ap-1", "ap", story.Published},
		{"reuters", "reuters", story.Published},
		{"afp", "afp", story.Published},
		{"ap-2", "ap", story.Published},
		{"dpa-killed", "dpa", story.Killed},
		{"bbc-embargoed", "bbc", story.Embargoed},
		{"afp-again", "afp", story.Published},
		{"pa-alone", "pa", story.Published},
	}
	ids := map[string]int64{}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var members []int64
		for _, sd := range seeds {
			id, _, err := seedStory(ctx, tx, sd.agency, sd.uri, sd.state, nil)
			if err != nil {
				return err
			}
			ids[sd.uri] = id
			if !strings.HasSuffix(sd.uri, "alone") {
				members = append(members, id)
			}
		}
		_, err := tx.MergeClusters(ctx, members)
		return err
	})
	tests := []struct {
		uri         string
		wantCluster string
		want        []string
	}{
		{"ap-1", "ap-1", []string{"afp", "reuters"}},
		{"reuters", "ap-1", []string{"afp", "ap"}},
		{"afp", "ap-1", []string{"ap", "reuters"}},
		{"ap-2", "ap-1", []string{"afp", "reuters"}},
		{"dpa-killed", "ap-1", []string{"afp", "ap", "reuters"}},
		{"bbc-embargoed", "ap-1", []string{"afp", "ap", "reuters"}},
		{"pa-alone", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := s.GetStory(ctx, ids[tt.uri])
			if err != nil {
				t.Fatal(err)
			}
			if got.ClusterID != ids[tt.wantCluster] {
				t.Errorf("ClusterID = %d, want %d (%q)", got.ClusterID, ids[tt.wantCluster], tt.wantCluster)
			}
			if diff := cmp.Diff(tt.want, got.AlsoReportedBy); diff != "" {
				t.Errorf("AlsoReportedBy (-want +got):\n%s", diff)
			}
		})
	}
}

// testConcurrentDuplicates races two transactions applying two copies of one
// story, as two nodes would: the second must see the first's fingerprint
// once the first commits, or the copies would stay apart for good; and two
// merges sharing a story must leave one cluster, not two halves.
func testConcurrentDuplicates(t *testing.T, open func(t *testing.T) store.Store) {
	// hold runs first in a transaction that stays open until release is
	// closed, and then second in another transaction started while the
	// first is open; it returns second's error.
	hold := func(t *testing.T, s store.Store, first, second func(ctx context.Context, tx store.Tx) error) error {
		t.Helper()
		ctx := t.Context()
		done, release := make(chan struct{}), make(chan struct{})
		firstErr := make(chan error, 1)
		go func() {
			firstErr <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				err := first(ctx, tx)
				close(done)
				if err != nil {
					return err
				}
				<-release
				return nil
			})
		}()
		<-done
		secondErr := make(chan error, 1)
		go func() { secondErr <- s.InTx(ctx, second) }()
		// Long enough for the second transaction to reach whatever it
		// waits on; were it not to wait, it would run now, before the
		// first commits, and see none of it.
		time.Sleep(200 * time.Millisecond)
		close(release)
		if err := <-firstErr; err != nil {
			t.Fatalf("first transaction: %v", err)
		}
		return <-secondErr
	}

	t.Run("a fingerprint committed while waiting is found", func(t *testing.T) {
		s := open(t)
		apply := func(uri string, found *[]*store.SimilarStory) func(ctx context.Context, tx store.Tx) error {
			return func(ctx context.Context, tx store.Tx) error {
				id, v, err := seedStory(ctx, tx, "ap", uri, story.Published, nil)
				if err != nil {
					return err
				}
				if err := setFingerprint(ctx, tx, id, v, fingerprinted{"same text", baseSignature()}); err != nil {
					return err
				}
				*found, err = tx.FindSimilar(ctx, &store.FindSimilarParams{StoryID: id, TextSHA256: "same text",
					MinHash: baseSignature(), Bands: dedup.Bands(baseSignature()), MinSimilarity: dedup.MinSimilarity})
				return err
			}
		}
		var firstFound, secondFound []*store.SimilarStory
		if err := hold(t, s, apply("urn:copy-1", &firstFound), apply("urn:copy-2", &secondFound)); err != nil {
			t.Fatalf("second transaction: %v", err)
		}
		if len(firstFound) != 0 {
			t.Errorf("first copy found %d similar stories before the second existed, want 0", len(firstFound))
		}
		if len(secondFound) != 1 || !secondFound[0].Identical {
			t.Errorf("second copy found %+v, want the first copy, identical", secondFound)
		}
	})

	t.Run("merges sharing a story make one cluster", func(t *testing.T) {
		s := open(t)
		ids := map[string]int64{}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			for _, l := range []string{"a", "b", "c"} {
				id, _, err := seedStory(ctx, tx, "ap", "urn:merge-"+l, story.Published, nil)
				if err != nil {
					return err
				}
				ids[l] = id
			}
			return nil
		})
		merge := func(a, b string) func(ctx context.Context, tx store.Tx) error {
			return func(ctx context.Context, tx store.Tx) error {
				_, err := tx.MergeClusters(ctx, []int64{ids[a], ids[b]})
				return err
			}
		}
		if err := hold(t, s, merge("a", "b"), merge("b", "c")); err != nil {
			t.Fatalf("second merge: %v", err)
		}
		for _, l := range []string{"a", "b", "c"} {
			st, err := s.GetStory(t.Context(), ids[l])
			if err != nil {
				t.Fatal(err)
			}
			if st.ClusterID != ids["a"] {
				t.Errorf("story %s in cluster %d, want %d (story a): one cluster of all three", l, st.ClusterID, ids["a"])
			}
		}
	})
}
