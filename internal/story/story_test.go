package story

import (
	"testing"
	"time"
)

func TestSlug(t *testing.T) {
	tests := []struct {
		headline, want string
	}{
		{"Storm closes Port Alder harbour", "storm-closes-port-alder-harbour"},
		{"  Gov't  says: 'no' -- again!  ", "govt-says-no-again"},
		{"Eintracht in London: Hintereggers Tränen", "eintracht-in-london-hintereggers-tränen"},
		{"", ""},
		{"!!!", ""},
		{"2:1 win", "2-1-win"},
	}
	for _, tt := range tests {
		if got := Slug(tt.headline); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.headline, got, tt.want)
		}
	}
}

func TestSlugIsBoundedAndValidUTF8(t *testing.T) {
	long := ""
	for range 40 {
		long += "Ärger über "
	}
	got := Slug(long)
	if len(got) > 80 {
		t.Errorf("len(Slug) = %d, want <= 80", len(got))
	}
	for i, r := range got {
		if r == '\uFFFD' {
			t.Fatalf("Slug cut a rune at byte %d: %q", i, got)
		}
	}
}

func TestVersionKey(t *testing.T) {
	base := Item{URI: "u1", Headline: "Quake hits coast", BodyHTML: "<p>Text</p>", PubStatus: Usable}
	withVersion := base
	withVersion.Version = " 3 "
	edited := base
	edited.BodyHTML = "<p>Text, corrected</p>"
	otherDelivery := base
	otherDelivery.Source.SHA256 = "abc"
	otherDelivery.Link = "https://elsewhere.example/"

	if got, want := VersionKey(&withVersion), "v:3"; got != want {
		t.Errorf("VersionKey with agency version = %q, want %q", got, want)
	}
	if VersionKey(&base) == VersionKey(&edited) {
		t.Error("content change kept the same version key")
	}
	if VersionKey(&base) != VersionKey(&otherDelivery) {
		t.Error("the same content from another delivery got another version key")
	}
}

func TestCompare(t *testing.T) {
	t1 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	tests := []struct {
		name      string
		a, b      Item
		want      int
		wantKnown bool
	}{
		{"small integers", Item{Version: "2"}, Item{Version: "10"}, -1, true},
		{"leading zeros", Item{Version: "010"}, Item{Version: "9"}, 1, true},
		{"reuters long numbers", Item{Version: "1132689232"}, Item{Version: "1132689231"}, 1, true},
		{"longer than int64", Item{Version: "99999999999999999999999"}, Item{Version: "100000000000000000000000"}, -1, true},
		{"etags fall back to versioncreated", Item{Version: "a1b2", VersionCreated: &t2}, Item{Version: "ffe0", VersionCreated: &t1}, 1, true},
		{"same number, later time", Item{Version: "3", VersionCreated: &t1}, Item{Version: "3", VersionCreated: &t2}, -1, true},
		{"no version, no time", Item{}, Item{}, 0, false},
		{"same time, no numbers", Item{VersionCreated: &t1}, Item{VersionCreated: &t1}, 0, false},
		{"one side numeric only", Item{Version: "2"}, Item{Version: "x"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := Compare(&tt.a, &tt.b)
			if got != tt.want || known != tt.wantKnown {
				t.Errorf("Compare = %d, %v; want %d, %v", got, known, tt.want, tt.wantKnown)
			}
			if back, _ := Compare(&tt.b, &tt.a); back != -tt.want {
				t.Errorf("Compare reversed = %d, want %d", back, -tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	v := func(n string, st PubStatus) *Item { return &Item{Version: n, PubStatus: st} }
	tests := []struct {
		name        string
		cur         *Current
		in          *Item
		wantApply   bool
		wantPending bool
		wantState   State
	}{
		{"new usable", nil, v("1", Usable), true, false, Published},
		{"new canceled", nil, v("1", Canceled), true, false, Killed},
		{"new withheld", nil, v("1", Withheld), true, false, WithheldState},
		{"new embargo ahead", nil, &Item{Version: "1", PubStatus: Usable, Embargoed: &future}, true, false, Embargoed},
		{"new embargo passed", nil, &Item{Version: "1", PubStatus: Usable, Embargoed: &past}, true, false, Published},
		{"newer update", &Current{State: Published, Item: v("1", Usable)}, v("2", Usable), true, false, Published},
		{"older arrives late", &Current{State: Published, Item: v("3", Usable)}, v("2", Usable), false, false, Published},
		{"newer kill", &Current{State: Published, Item: v("1", Usable)}, v("2", Canceled), true, false, Killed},
		{"older kill still kills", &Current{State: Published, Item: v("3", Usable)}, v("2", Canceled), false, false, Killed},
		{"newer usable after kill stays killed", &Current{State: Killed, Item: v("2", Canceled)}, v("3", Usable), false, false, Killed},
		{"older usable after kill stays killed", &Current{State: Killed, Item: v("2", Canceled)}, v("1", Usable), false, false, Killed},
		{"newer withheld hides", &Current{State: Published, Item: v("1", Usable)}, v("2", Withheld), true, false, WithheldState},
		{"newer usable lifts withhold", &Current{State: WithheldState, Item: v("2", Withheld)}, v("3", Usable), true, false, Published},
		{"older usable keeps withhold", &Current{State: WithheldState, Item: v("2", Withheld)}, v("1", Usable), false, false, WithheldState},
		{"protected story: update waits", &Current{State: Published, Item: v("1", Usable), Protected: true}, v("2", Usable), false, true, Published},
		{"protected story: kill still kills", &Current{State: Published, Item: v("1", Usable), Protected: true}, v("2", Canceled), false, false, Killed},
		{"unordered versions apply by arrival", &Current{State: Published, Item: &Item{Version: "abc"}}, &Item{Version: "def", PubStatus: Usable}, true, false, Published},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.cur, tt.in, now)
			if got.Apply != tt.wantApply || got.Pending != tt.wantPending || got.State != tt.wantState {
				t.Errorf("Decide = %+v, want apply %v pending %v state %s", got, tt.wantApply, tt.wantPending, tt.wantState)
			}
			if got.Reason == "" {
				t.Error("Decide gave no reason")
			}
		})
	}
}
