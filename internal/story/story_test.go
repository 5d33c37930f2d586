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

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	tests := []struct {
		name string
		item Item
		want State
	}{
		{"usable", Item{PubStatus: Usable}, Published},
		{"canceled", Item{PubStatus: Canceled}, Killed},
		{"withheld", Item{PubStatus: Withheld}, WithheldState},
		{"embargo ahead", Item{PubStatus: Usable, Embargoed: &future}, Embargoed},
		{"embargo passed", Item{PubStatus: Usable, Embargoed: &past}, Published},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(&tt.item, now)
			if !got.Apply || got.State != tt.want {
				t.Errorf("Decide = %+v, want Apply and state %s", got, tt.want)
			}
			if got.State.Visible() != (tt.want == Published) {
				t.Errorf("Visible() = %v for %s", got.State.Visible(), got.State)
			}
		})
	}
}
