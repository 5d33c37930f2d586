package story

import "testing"

func TestSectionFor(t *testing.T) {
	tests := []struct {
		name     string
		subjects []Entity
		want     string
	}{
		{"none", nil, DefaultSection},
		{"iptc subject code", []Entity{{Scheme: "iptc-subjectcode", Code: "04016007"}}, "business"},
		{"top-level media topic", []Entity{{Scheme: "medtop", Code: "15000000"}}, "sport"},
		{"media topic below top level says nothing", []Entity{{Scheme: "medtop", Code: "20001065", Name: "Fußball"}}, DefaultSection},
		{"media topic with qcode prefix", []Entity{{Scheme: "medtop", Code: "medtop:11000000"}}, "politics"},
		{"anpa category", []Entity{{Scheme: "anpa-category", Code: "s"}}, "sport"},
		{"dpa category", []Entity{{Scheme: "dpacat", Code: "pl"}}, "politics"},
		{"unknown category", []Entity{{Scheme: "anpa-category", Code: "v"}}, DefaultSection},
		{"subject name", []Entity{{Scheme: "http://cv.ap.org/id/", Code: "54df6c", Name: "Sports"}}, "sport"},
		{"code wins over name", []Entity{{Scheme: "apsubject", Name: "Business"}, {Scheme: "subj", Code: "15000000"}}, "sport"},
		{"not an iptc scheme", []Entity{{Scheme: "N2", Code: "15000000"}}, DefaultSection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SectionFor(&Item{Subjects: tt.subjects}); got != tt.want {
				t.Errorf("SectionFor(%v) = %q, want %q", tt.subjects, got, tt.want)
			}
		})
	}
}
